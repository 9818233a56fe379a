"""The gate: can anything be found in a text at all? One RE2 pass over the
union of every detector's necessary condition (and of what an encoded value
looks like) proves most clean text clean, so it skips the keyword and
pre-filter passes (``extproc.detect.prepass``) and the decoding check."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from extproc.detect.context import phrase
from extproc.detect.prepass import Span, fold
from extproc.detect.regex import CompiledPattern, PatternError, PatternSet, compile_pattern
from extproc.detect.spec import DetectorSpec
from extproc.detect.tables import could_be_cell


class Gate:
    """Can anything be found in a text at all? One linear pass says no for most clean text.

    Each detector contributes a necessary condition: its ``gate`` pattern;
    else its keywords (case-insensitively: RE2's case folding accepts every
    text the keyword pass's ``fold`` does, and a little more); else its
    prefilter; else, for a user pattern (RE2), the pattern itself. A built-in
    detector with none of these opens the gate for every text. ``also`` adds
    conditions of the caller's (what an encoded value looks like).
    """

    __slots__ = ("_always", "_both", "_confirm", "_near", "_set", "_single")

    def __init__(
        self,
        specs: Sequence[DetectorSpec],
        also: Sequence[str] = (),
        weak: tuple[str, Callable[[str], bool]] | None = None,
        reach: tuple[int, int] = (0, 0),
    ) -> None:
        """``weak``: a loose pattern and the exact check it stands for, run in
        Python only when that pattern is the one thing that matched.

        A top-level alternative ``A[\\s\\S]*B`` ("A, and later B": a context
        word anywhere before a value) is asked as two patterns, A and B, both
        of which must occur: a weaker condition (in any order), and one that
        keeps the pass a small automaton instead of the product of them all.
        Asked ``near`` (``open``), the A must end within ``reach[0]``
        characters (plus the detector's longest value) before a B starts;
        in ``A[\\s\\S]*?B`` ("A, soon after B": a value, then a context word
        in its sentence), within ``reach[1]``. Where a match may stand in a
        table (whose column header can lie any distance above), the pair
        counts as met.
        """
        keywords: dict[str, None] = {}
        # The weak pattern first: its index is 0. Each condition with the
        # longest value of the detectors that ask it.
        conditions: list[tuple[str, int]] = [(weak[0], 0)] if weak else []
        conditions += [(pattern, 0) for pattern in also]
        self._confirm = weak[1] if weak else None
        always = False
        for spec in specs:
            if spec.gate is not None:
                conditions.append((spec.gate, spec.max_len))
            elif spec.keywords:
                keywords.update(dict.fromkeys(fold(k) for k in spec.keywords))
            elif spec.prefilter is not None:
                conditions.append((spec.prefilter, spec.max_len))
            elif not spec.builtin:
                pattern = spec.pattern if spec.case_sensitive else f"(?i:{spec.pattern})"
                conditions.append((pattern, spec.max_len))
            else:
                always = True
        if keywords:
            conditions.append(("(?i:" + "|".join(_re2_literal(k) for k in keywords) + ")", 0))
        patterns: dict[str, int] = {}
        single: list[str] = []
        both: dict[tuple[str, str, bool], int] = {}
        for condition, longest in conditions:
            for alternative in split_later(condition):
                if isinstance(alternative, tuple):
                    both[alternative] = max(both.get(alternative, 0), longest)
                else:
                    single.append(alternative)
        pairs = sorted(both.items())
        # The weak pattern keeps index 0 when there is one.
        for pattern in [*single, *(p for (a, b, _), _ in pairs for p in (a, b))]:
            patterns.setdefault(pattern, len(patterns))
        self._single = frozenset(patterns[p] for p in single)
        self._both = tuple((patterns[a], patterns[b]) for (a, b, _), _ in pairs)
        self._near = tuple(
            _Near(a, b, reach[1 if soon else 0] + longest + _SLACK, longest, soon)
            for (a, b, soon), longest in pairs
        )
        self._set: PatternSet | None = None
        try:
            if patterns:
                self._set = PatternSet(list(patterns))
        except PatternError:
            always = True  # too large for one pass: every text takes the full scan
        self._always = always

    def open(self, text: str, near: bool = False) -> bool:
        """False only if no detector can report anything in ``text``.

        ``near``: ``text`` is the very text the detectors will match, so an
        "A later B" condition needs its A near a B (see ``reach``). Without
        it, A and B anywhere will do: a text whose pieces get rearranged
        before matching (the strings of a JSON body, header lines) may bring
        them together."""
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
        singles = hits & self._single
        if singles and (self._confirm is None or singles != {0} or self._confirm(text)):
            return True
        for (a, b), pair in zip(self._both, self._near, strict=True):
            if a in hits and b in hits and (not near or pair.met(text)):
                return True
        return False


_BREAK = re.compile("[\n\x00]")
# Slack for the length of a match on either side of a pair (a context word
# with its boundaries, or a digit run).
_SLACK = 32
# Past this many matches of a pair's side, a text counts as open (bounded work).
_MAX_MATCHES = 32


class _Near:
    """One "A later B" condition asked near: an A ending at most ``reach``
    characters before a B starts; ``soon``: and in the same sentence (no
    line break or NUL, which ends a JSON string, between them)."""

    __slots__ = ("_first", "_longest", "_reach", "_second", "_soon")

    def __init__(self, first: str, second: str, reach: int, longest: int, soon: bool) -> None:
        self._first = compile_pattern(first, builtin=False)
        self._second = compile_pattern(second, builtin=False)
        self._reach = reach
        self._longest = longest  # a value holds its match within this many characters
        self._soon = soon

    def met(self, text: str) -> bool:
        firsts = self._spans(self._first, text)
        seconds = self._spans(self._second, text) if firsts is not None else None
        if firsts is None or seconds is None:
            return True
        reach, soon = self._reach, self._soon
        return any(
            s1 < e2 and s2 - e1 <= reach and not (soon and _BREAK.search(text, e1, s2))
            for s1, e1 in firsts
            for s2, e2 in seconds
        )

    def _spans(self, pattern: CompiledPattern, text: str) -> list[Span] | None:
        """Where ``pattern`` matches; None (count it as met) when there are
        many, or when a value there may stand in a table, whose column header
        can lie any distance above."""
        spans: list[Span] = []
        longest = self._longest
        for start, end in pattern.finditer(text):
            if len(spans) >= _MAX_MATCHES or could_be_cell(text, start - longest, end + longest):
                return None
            spans.append((start, end))
        return spans


LATER = "[\\s\\S]*"
_SOON = "[\\s\\S]*?"


def split_later(pattern: str) -> list[str | tuple[str, str, bool]]:
    """The top-level alternatives of ``pattern``; ``A[\\s\\S]*B`` ones as
    (A, B, False), ``A[\\s\\S]*?B`` ones as (A, B, True)."""
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
    out: list[str | tuple[str, str, bool]] = []
    for part in parts:
        soon = _SOON in part
        first, found, second = part.partition(_SOON if soon else LATER)
        if found and first and second and LATER not in second:
            out.append((first, second, soon))
        else:
            out.append(part)
    return out


def context_gate(words: Iterable[str], names: bool = True) -> str:
    """An RE2 pattern that occurs wherever one of the context ``words`` can
    count for a value (``scanner``, ``context.in_name``): in its sentence,
    as a whole word in any case; in a field name (``names``: a name comes
    before its value), as whole name words or glued at a name word's start
    or end (``customerSsn``, ``SSN_NUMBER``), where a name splits into words
    at case changes, digits and punctuation. Tighter than the words as bare
    substrings ("tin" in "meeting" is neither), and still a necessary
    condition."""
    out: dict[str, None] = {}
    for word in words:
        folded = fold(word.strip())
        if not folded:
            continue
        left = "(?:^|[^0-9A-Za-z])" if folded[0].isalnum() else ""
        right = "(?:[^0-9A-Za-z]|$)" if folded[-1].isalnum() else ""
        out[f"{left}(?i:{_re2_literal(folded)}){right}"] = None
        if names:
            out.update(dict.fromkeys(_as_name(phrase(word).split(" "))))
    return "|".join(out)


def _as_name(parts: list[str]) -> list[str]:
    """Where a field name can hold the phrase of ``parts`` (its name words)."""
    if not all(p.isascii() and p.isalnum() for p in parts):
        return []  # name words hold neither punctuation nor other scripts
    if not all(p.isalpha() for p in parts):
        return [f"(?i:{p})" for p in parts[:1]]  # digits split words: kept loose
    first, glued = parts[0], "".join(parts)

    def starts(word: str, after: str = "") -> list[str]:
        """A name word starting with ``word``: lower case after no letter,
        capitalised (after anything: a case change), or in capitals."""
        return [f"(?:^|[^A-Za-z]){word}{after}", f"{word.capitalize()}{after}", word.upper()]

    if len(parts) == 1 and len(glued) < 3:
        return starts(first, "(?:[^a-z]|$)")  # a short word counts only whole
    # Whole words, the first word of a phrase (its next word may come from
    # another name: a key's and its sibling's words are read together), or
    # glued at a name word's start or end.
    return [*starts(first), *starts(glued), f"{glued}(?:[^a-z]|$)"]


def _re2_literal(word: str) -> str:
    return "".join(c if c.isalnum() and c.isascii() else f"\\x{{{ord(c):x}}}" for c in word)
