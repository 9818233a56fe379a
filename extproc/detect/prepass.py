"""The cheap passes that decide where detectors run.

One Aho-Corasick automaton over every keyword of every detector (gitleaks'
trick): a detector with keywords runs only near its keyword hits. Detectors
without keywords (digit PII) share one RE2 pass over the union of their
prefilters, so clean prose costs one linear scan, not one regex per detector.

Before both, ``Gate``: one RE2 pass over the union of every detector's
necessary condition (and of what an encoded value looks like) proves most
clean text clean, so it skips the passes above and the decoding check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import ahocorasick

from extproc.detect.regex import SET_MAX_MEM, PatternError, PatternSet, compile_pattern
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
    ordered = sorted(spans)
    if not ordered:
        return merged
    lo, hi = ordered[0][0] - radius, ordered[0][1] + radius
    for start, end in ordered:
        if start - radius <= hi:
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
    spots; around each (merged into windows at the widest reach) one RE2 set
    match tells which detectors' prefilters occur there. Every value of a
    detector overlaps a union hit, so it lies inside a window assigned to it.
    """

    __slots__ = ("_owners", "_radius", "_set", "_union")

    def __init__(self, specs: Sequence[DetectorSpec]) -> None:
        patterns: dict[str, list[str]] = {}
        for spec in specs:
            if not spec.keywords and spec.prefilter is not None:
                patterns.setdefault(spec.prefilter, []).append(spec.id)
        self._owners = tuple(tuple(ids) for ids in patterns.values())
        self._radius = max(
            (s.max_len for s in specs if not s.keywords and s.prefilter is not None), default=0
        )
        unique = list(patterns)
        union = "|".join(f"(?:{pattern})" for pattern in unique)
        # As large as the sets' budget: a union of many pre-filters meets many
        # automaton states on dense text, and RE2's default cache thrashed.
        self._union = compile_pattern(union, builtin=False, max_mem=SET_MAX_MEM) if unique else None
        self._set = PatternSet(unique) if unique else None

    def find(self, text: str) -> dict[str, list[Span]]:
        """Detector id -> windows of ``text`` where its prefilter matches (no entry: none)."""
        plan: dict[str, list[Span]] = {}
        if self._union is None or self._set is None:
            return plan
        hits = list(self._union.finditer(text))
        for window in merge_windows(hits, self._radius, len(text)):
            for index in self._set.matching(text, *window):
                for detector in self._owners[index]:
                    plan.setdefault(detector, []).append(window)
        return plan


class Gate:
    """Can anything be found in a text at all? One linear pass says no for most clean text.

    Each detector contributes a necessary condition: its ``gate`` pattern;
    else its keywords (case-insensitively: RE2's case folding accepts every
    text the keyword pass's ``fold`` does, and a little more); else its
    prefilter; else, for a user pattern (RE2), the pattern itself. A built-in
    detector with none of these opens the gate for every text. ``also`` adds
    conditions of the caller's (what an encoded value looks like).
    """

    __slots__ = ("_always", "_both", "_confirm", "_set", "_single")

    def __init__(
        self,
        specs: Sequence[DetectorSpec],
        also: Sequence[str] = (),
        weak: tuple[str, Callable[[str], bool]] | None = None,
    ) -> None:
        """``weak``: a loose pattern and the exact check it stands for, run in
        Python only when that pattern is the one thing that matched.

        A top-level alternative ``A[\\s\\S]*B`` ("A, and later B": a context
        word anywhere before a value) is asked as two patterns, A and B, both
        of which must occur: a weaker condition (in any order), and one that
        keeps the pass a small automaton instead of the product of them all.
        """
        keywords: dict[str, None] = {}
        # The weak pattern first: its index is 0.
        conditions: list[str] = [weak[0]] if weak else []
        conditions += also
        self._confirm = weak[1] if weak else None
        always = False
        for spec in specs:
            if spec.gate is not None:
                conditions.append(spec.gate)
            elif spec.keywords:
                keywords.update(dict.fromkeys(fold(k) for k in spec.keywords))
            elif spec.prefilter is not None:
                conditions.append(spec.prefilter)
            elif not spec.builtin:
                pattern = spec.pattern if spec.case_sensitive else f"(?i:{spec.pattern})"
                conditions.append(pattern)
            else:
                always = True
        if keywords:
            conditions.append("(?i:" + "|".join(_re2_literal(k) for k in keywords) + ")")
        patterns: dict[str, int] = {}
        single: list[str] = []
        both: set[tuple[str, str]] = set()
        for condition in conditions:
            for alternative in split_later(condition):
                if isinstance(alternative, tuple):
                    both.add(alternative)
                else:
                    single.append(alternative)
        # The weak pattern keeps index 0 when there is one.
        for pattern in [*single, *(p for pair in sorted(both) for p in pair)]:
            patterns.setdefault(pattern, len(patterns))
        self._single = frozenset(patterns[p] for p in single)
        self._both = tuple((patterns[a], patterns[b]) for a, b in sorted(both))
        self._set: PatternSet | None = None
        try:
            if patterns:
                self._set = PatternSet(list(patterns))
        except PatternError:
            always = True  # too large for one pass: every text takes the full scan
        self._always = always

    def open(self, text: str) -> bool:
        """False only if no detector can report anything in ``text``."""
        if self._always:
            return True
        if self._set is None:
            return False
        if self._confirm is None and not self._both:
            return self._set.any(text)
        found = self._set.matching(text)
        if not found:
            return False
        hits = set(found)
        if any(a in hits and b in hits for a, b in self._both):
            return True
        singles = hits & self._single
        if self._confirm is not None and singles == {0}:
            return self._confirm(text)
        return bool(singles)


LATER = "[\\s\\S]*"


def split_later(pattern: str) -> list[str | tuple[str, str]]:
    """The top-level alternatives of ``pattern``; ``A[\\s\\S]*B`` ones as (A, B)."""
    if LATER not in pattern:
        return [pattern]
    parts: list[str] = []
    depth, escaped, in_class, start = 0, False, False, 0
    for i, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    out: list[str | tuple[str, str]] = []
    for part in parts:
        first, found, second = part.partition(LATER)
        if found and first and second and LATER not in second:
            out.append((first, second))
        else:
            out.append(part)
    return out


def _re2_literal(word: str) -> str:
    return "".join(c if c.isalnum() and c.isascii() else f"\\x{{{ord(c):x}}}" for c in word)
