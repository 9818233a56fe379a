"""The cheap passes that decide where detectors run.

One Aho-Corasick automaton over every keyword of every detector (gitleaks'
trick): a detector with keywords runs only near its keyword hits. Detectors
without keywords (digit PII) share one RE2 pass over the union of their
prefilters, so clean prose costs one linear scan, not one regex per detector.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import ahocorasick

from extproc.detect.regex import compile_pattern
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


def merge_windows(spans: Iterable[Span], radius: int, size: int) -> list[Span]:
    """Widen each span by ``radius`` on both sides, clip to the text, merge overlaps."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        lo, hi = max(start - radius, 0), min(end + radius, size)
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
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
    """One linear-time pass over the union of the keyword-less detectors' prefilters."""

    __slots__ = ("_pattern",)

    def __init__(self, patterns: Sequence[str]) -> None:
        unique = list(dict.fromkeys(patterns))
        union = "|".join(f"(?:{pattern})" for pattern in unique)
        self._pattern = compile_pattern(union, builtin=False) if unique else None

    def find(self, text: str) -> list[Span]:
        """Spans where some prefilter matches; every value of those detectors overlaps one."""
        if self._pattern is None:
            return []
        return list(self._pattern.finditer(text))
