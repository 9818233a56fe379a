"""The cheap passes that decide where detectors run.

One Aho-Corasick automaton over every keyword of every detector (gitleaks'
trick): a detector with keywords runs only near its keyword hits. Detectors
without keywords (digit PII) share one RE2 pass over the union of their
prefilters, so clean prose costs one linear scan, not one regex per detector.
Before both, ``extproc.detect.gate`` proves most clean text clean.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import ahocorasick

from extproc.detect.regex import SET_MAX_MEM, PatternSet, compile_pattern
from extproc.detect.spec import DetectorSpec

Span = tuple[int, int]


def fold(text: str) -> str:
    """Lower-case ``text`` without moving any character.

    ``str.lower`` can lengthen a string ('İ' becomes two code points); when it
    does, characters whose lower case is longer than one are left as they are,
    so offsets into the folded text are offsets into ``text``.
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := char.lower()) == 1 else char for char in text)


def merge_windows(spans: Iterable[Span], radius: int, size: int, gap: int = 0) -> list[Span]:
    """Widen each span by ``radius`` on both sides, clip to the text, merge
    overlaps (and windows at most ``gap`` apart)."""
    merged: list[Span] = []
    ordered = sorted(spans)
    if not ordered:
        return merged
    lo, hi = ordered[0][0] - radius, ordered[0][1] + radius
    for start, end in ordered:
        if start - radius <= hi + gap:
            if end + radius > hi:
                hi = end + radius
            continue
        merged.append((lo if lo > 0 else 0, hi if hi < size else size))
        lo, hi = start - radius, end + radius
    merged.append((lo if lo > 0 else 0, hi if hi < size else size))
    return merged


class KeywordIndex:
    """One automaton over all keywords; built once, read-only afterwards."""

    __slots__ = ("_automaton", "_empty")

    def __init__(self, specs: Sequence[DetectorSpec]) -> None:
        owners: dict[str, list[str]] = {}
        for spec in specs:
            for keyword in spec.keywords:
                if not keyword.strip():
                    raise ValueError(f"detector {spec.id}: empty keyword")
                folded = fold(keyword)
                ids = owners.setdefault(folded, [])
                if spec.id not in ids:
                    ids.append(spec.id)
        self._automaton = ahocorasick.Automaton()
        for keyword, ids in owners.items():
            self._automaton.add_word(keyword, (len(keyword), tuple(ids)))
        self._empty = not owners
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, folded: str) -> Mapping[str, list[Span]]:
        """Detector id -> spans of its keywords in ``folded`` (text passed through ``fold``).

        A detector absent from the answer cannot match.
        """
        hits: dict[str, list[Span]] = {}
        if self._empty or not folded:
            return hits
        for last, (length, ids) in self._automaton.iter(folded):
            span = (last + 1 - length, last + 1)
            for detector in ids:
                hits.setdefault(detector, []).append(span)
        return hits


class Prefilter:
    """Where the keyword-less detectors can match, from their prefilters.

    One linear-time pass over the union of all prefilters finds candidate
    spots; at each, one RE2 set match tells which prefilters occur there. A
    detector then runs only around the spots of its own prefilter (not in
    windows that other detectors' spots opened), as far around them as the
    widest reach of all: each of its values holds a match of its prefilter
    (a necessary condition), and every such match starts inside a spot.
    """

    __slots__ = ("_owners", "_reach", "_set", "_union")

    def __init__(self, specs: Sequence[DetectorSpec]) -> None:
        patterns: dict[str, list[str]] = {}
        for spec in specs:
            if not spec.keywords and spec.prefilter is not None:
                patterns.setdefault(spec.prefilter, []).append(spec.id)
        self._owners = tuple(tuple(ids) for ids in patterns.values())
        # The longest value, and a little past it: a value's lookaround sees
        # the characters after it, and a window's end is the text's end. One
        # reach for all, as wide as before the windows were per detector: a
        # context-word prefilter (a routing number's "routing") stands for
        # values as far away as a table's column header is.
        self._reach = (
            max((s.max_len for s in specs if not s.keywords and s.prefilter is not None), default=0)
            + _LOOKAROUND
        )
        unique = list(patterns)
        union = "|".join(f"(?:{pattern})" for pattern in unique)
        # As large as the sets' budget: a union of many pre-filters meets many
        # automaton states on dense text, and RE2's default cache thrashed.
        self._union = compile_pattern(union, builtin=False, max_mem=SET_MAX_MEM) if unique else None
        self._set = PatternSet(unique) if unique else None

    def find(self, text: str) -> dict[str, list[Span]]:
        """Detector id -> windows of ``text`` around its prefilter's spots (no entry: none)."""
        if self._union is None or self._set is None:
            return {}
        spots: dict[str, list[Span]] = {}
        reach, size = self._reach, len(text)
        # A match of any one prefilter starts inside a spot of the union (its
        # leftmost matches cover every start), so it lies within the spot and
        # the ``reach`` characters after it. Spots close together are asked
        # as one (a set match costs some microseconds); one character before
        # a spot is asked too, for a boundary there.
        for start, end in merge_windows(self._union.finditer(text), 0, size, gap=_NEAR_SPOTS):
            for index in self._set.matching(text, max(0, start - 1), min(size, end + reach)):
                for detector in self._owners[index]:
                    spots.setdefault(detector, []).append((start, end + reach))
        return {d: merge_windows(areas, reach, size) for d, areas in spots.items()}


# Spots of the union at most this far apart are asked about together.
_NEAR_SPOTS = 64
# Characters past a value's longest reach that a window still includes.
_LOOKAROUND = 16
