"""Candidates to findings: which of overlapping matches are kept."""

from __future__ import annotations

from bisect import bisect_right

Candidate = tuple[float, int, int, int]  # confidence, start, end, detector index


def _priority(candidate: Candidate) -> tuple[float, int, int, int]:
    confidence, start, end, index = candidate
    return (-confidence, start - end, start, index)


def resolve(candidates: list[Candidate]) -> list[Candidate]:
    """Keep non-overlapping candidates: higher confidence first, then the longer span.

    Candidates are cut into clusters of transitively overlapping spans (almost
    always of one); the greedy choice runs inside each cluster only.
    """
    candidates.sort(key=lambda c: (c[1], c[2]))
    kept: list[Candidate] = []
    cluster: list[Candidate] = []
    reach = -1
    for candidate in candidates:
        if cluster and candidate[1] >= reach:
            kept.extend(_choose(cluster))
            cluster = []
        cluster.append(candidate)
        reach = max(reach, candidate[2]) if len(cluster) > 1 else candidate[2]
    kept.extend(_choose(cluster))
    return kept


def overlay(plain: list[Candidate], decoded: list[Candidate]) -> list[Candidate]:
    """Plain findings, with decoded ones laid over them.

    A decoded value replaces the plain findings it overlaps only when it
    covers all of them at no lower confidence (a phone number's escaped digits
    after the ``+3`` that alone looked like something). Otherwise it is most
    often a view of the same characters (the payload of a JWT), and the plain,
    direct evidence wins.
    """
    starts = [c[1] for c in plain]
    dropped: set[int] = set()
    extra = []
    for candidate in resolve(decoded):
        confidence, start, end, _ = candidate
        covered = []
        i = bisect_right(starts, end - 1) - 1
        while i >= 0 and plain[i][2] > start:
            covered.append(i)
            i -= 1
        if all(
            start <= plain[j][1] and plain[j][2] <= end and plain[j][0] <= confidence
            for j in covered
        ):
            dropped.update(covered)
            extra.append(candidate)
    kept = [c for i, c in enumerate(plain) if i not in dropped]
    return sorted(kept + extra, key=lambda c: c[1])


def _choose(cluster: list[Candidate]) -> list[Candidate]:
    if len(cluster) < 2:
        return cluster
    chosen: list[Candidate] = []
    for candidate in sorted(cluster, key=_priority):
        if all(candidate[2] <= c[1] or c[2] <= candidate[1] for c in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda c: c[1])
