"""The one seam for the regex engine.

Built-in patterns are vetted and run on Python ``re`` (lookaround, atomic groups,
possessive quantifiers). Patterns written by policy authors run on RE2, which
matches in linear time: ``(a+)+$`` cannot hang the server there, where Python's
backtracking engine would take exponential time on ``"a" * 5000 + "b"``.

RE2 matches UTF-8 bytes. This module hands it bytes and maps byte offsets back
to character offsets, so every span it yields indexes the ``str`` it was given.
Lone surrogates (from ``surrogateescape`` decoding) cannot be UTF-8 encoded;
they are swapped for U+FFFD first, one character for one, so offsets survive.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Protocol

import re2

_SURROGATE = re.compile("[\ud800-\udfff]")

# re2's error text -> the construct a policy author would recognise.
_UNSUPPORTED = (
    (re.compile(r"invalid escape sequence: \\[1-9]"), "backreference (\\1 ... \\9)"),
    (re.compile(r"invalid perl operator: \(\?P(=|$)"), "named backreference (?P=name)"),
    (re.compile(r"invalid perl operator: \(\?<="), "lookbehind (?<=...)"),
    (re.compile(r"invalid perl operator: \(\?<!"), "negative lookbehind (?<!...)"),
    (re.compile(r"invalid perl operator: \(\?="), "lookahead (?=...)"),
    (re.compile(r"invalid perl operator: \(\?!"), "negative lookahead (?!...)"),
    (re.compile(r"invalid perl operator: \(\?>"), "atomic group (?>...)"),
    (re.compile(r"bad repetition operator: .\+"), "possessive quantifier (*+, ++, ?+)"),
    (re.compile(r"invalid escape sequence: \\Z"), "\\Z (write \\z)"),
    (re.compile(r"pattern too large"), "pattern too large for the linear-time engine"),
)


class PatternError(ValueError):
    """A pattern that does not compile, or uses a construct RE2 lacks."""


class CompiledPattern(Protocol):
    """What a detector needs from a compiled regex."""

    @property
    def pattern(self) -> str: ...

    def finditer(
        self, text: str, pos: int = 0, endpos: int | None = None
    ) -> Iterator[tuple[int, int]]:
        """Yield the value span (group ``value`` or the whole match) of each match.

        Spans are character offsets into ``text``; matches lie within
        ``pos``..``endpos``, but characters outside still count as context for
        boundaries and lookaround.
        """
        ...

    def fullmatch(self, text: str) -> bool:
        """True if the whole of ``text`` matches."""
        ...

    def search(self, text: str) -> bool:
        """True if the pattern matches somewhere in ``text``."""
        ...


FIRST_GROUP = -1
"""``group``: the first capture group that matched something (gitleaks' rule
for a secret when ``secretGroup`` is not set), else the whole match."""


def _span(match: re.Match[str] | re2._Match, group: int) -> tuple[int, int]:
    if group != FIRST_GROUP:
        return match.span(group)
    for index in range(1, (match.re.groups or 0) + 1):
        start, end = match.span(index)
        if end > start:
            return start, end
    return match.span(0)


class _PyPattern:
    """A vetted pattern on Python ``re``."""

    __slots__ = ("_group", "_regex")

    def __init__(self, regex: re.Pattern[str], group: int | None = None) -> None:
        self._regex = regex
        self._group = regex.groupindex.get("value", 0) if group is None else group

    @property
    def pattern(self) -> str:
        return self._regex.pattern

    def finditer(
        self, text: str, pos: int = 0, endpos: int | None = None
    ) -> Iterator[tuple[int, int]]:
        group = self._group
        end = len(text) if endpos is None else endpos
        # A list is cheaper than a generator for the many small windows a scan runs.
        if group == FIRST_GROUP:
            return iter([_span(m, group) for m in self._regex.finditer(text, pos, end)])
        return iter([match.span(group) for match in self._regex.finditer(text, pos, end)])

    def fullmatch(self, text: str) -> bool:
        return self._regex.fullmatch(text) is not None

    def search(self, text: str) -> bool:
        return self._regex.search(text) is not None


class _Re2Pattern:
    """A user pattern on RE2 (linear time)."""

    __slots__ = ("_group", "_regex", "_source")

    def __init__(self, source: str, regex: re2._Regexp, group: int | None = None) -> None:
        self._source = source
        self._regex = regex
        self._group: int = regex.groupindex.get("value", 0) if group is None else group

    @property
    def pattern(self) -> str:
        return self._source

    def finditer(
        self, text: str, pos: int = 0, endpos: int | None = None
    ) -> Iterator[tuple[int, int]]:
        size = len(text)
        end = size if endpos is None else max(0, min(endpos, size))
        pos = max(0, min(pos, end))
        # Encode only the searched range plus one character of context on each
        # side: enough for \b, ^ and $ to see what lies outside the range, and
        # it keeps many small window scans from re-encoding a large text.
        lo = max(pos - 1, 0)
        hi = min(end + 1, size)
        piece = text[lo:hi]
        if piece.isascii():
            data = piece.encode("ascii")
            start, stop = pos - lo, end - lo
            for match in self._regex.finditer(data, start, stop):
                s, e = _span(match, self._group)
                if s >= 0:
                    yield s + lo, e + lo
            return
        if _SURROGATE.search(piece):
            piece = _SURROGATE.sub("\ufffd", piece)
        data = piece.encode("utf-8")
        start = len(piece[: pos - lo].encode("utf-8"))
        stop = start + len(piece[pos - lo : end - lo].encode("utf-8"))
        # Byte offsets only grow from match to match, so one forward walk maps
        # all of them: linear in the window, not per match.
        last_byte, last_char = 0, 0
        for match in self._regex.finditer(data, start, stop):
            s, e = _span(match, self._group)
            if s < 0:
                continue
            cs = last_char + len(data[last_byte:s].decode("utf-8"))
            ce = cs + len(data[s:e].decode("utf-8"))
            last_byte, last_char = e, ce
            yield cs + lo, ce + lo

    def fullmatch(self, text: str) -> bool:
        return self._regex.fullmatch(_utf8(text)) is not None

    def search(self, text: str) -> bool:
        return self._regex.search(_utf8(text)) is not None


def _utf8(text: str) -> bytes:
    if text.isascii():
        return text.encode("ascii")
    return _SURROGATE.sub("\ufffd", text).encode("utf-8")


SET_MAX_MEM = 64 << 20


class PatternSet:
    """Which of several RE2 patterns occur in a text, in one linear pass."""

    __slots__ = ("_set",)

    def __init__(self, patterns: Sequence[str]) -> None:
        options = _re2_options(True)
        # The one pass over every detector's condition meets many automaton
        # states on token-dense text; at RE2's default budget (8 MiB) its
        # cache thrashed (0.5 ms per 2 KB). Memory is taken only as states
        # are built.
        options.max_mem = SET_MAX_MEM
        self._set = re2.Set.SearchSet(options)
        for index, pattern in enumerate(patterns):
            try:
                # Compiled alone first: a set's own error does not say why.
                compile_pattern(pattern, builtin=False)
                self._set.Add(pattern)
            except (PatternError, re2.error) as err:
                reason = err if isinstance(err, PatternError) else _explain(_message(err))
                raise PatternError(f"pattern {index}: {reason}") from None
        self._set.Compile()

    def any(self, text: str) -> bool:
        """True if one of the patterns matches somewhere in ``text``."""
        return bool(self._set.Match(_utf8(text)))

    def matching(self, text: str, pos: int = 0, endpos: int | None = None) -> list[int]:
        """Indices of the patterns that match somewhere in ``text[pos:endpos]``."""
        found = self._set.Match(_utf8(text[pos:endpos]))
        return sorted(found) if found else []


def _re2_options(case_sensitive: bool) -> re2.Options:
    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.log_errors = False
    return options


def _message(err: Exception) -> str:
    raw = err.args[0] if err.args else ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _explain(message: str) -> str:
    for probe, construct in _UNSUPPORTED:
        if probe.search(message):
            return f"unsupported construct: {construct}"
    return f"invalid pattern: {message}"


def compile_pattern(
    pattern: str,
    *,
    builtin: bool,
    case_sensitive: bool = True,
    group: int | None = None,
    max_mem: int | None = None,
) -> CompiledPattern:
    """Compile ``pattern`` once: built-ins on Python ``re``, user patterns on RE2.

    ``group``: which capture group is the value (None: the group named
    ``value``, else the whole match; ``FIRST_GROUP``: the first that matched).
    ``max_mem``: RE2's memory budget (for unions of many patterns, as sets).
    Raises ``PatternError`` naming the construct RE2 rejects (never any text).
    """
    if builtin:
        flags = 0 if case_sensitive else re.IGNORECASE
        try:
            compiled = re.compile(pattern, flags)
        except re.error as err:
            raise PatternError(f"invalid pattern: {err.msg} at position {err.pos}") from None
        _check_group(compiled.groups, group)
        return _PyPattern(compiled, group)
    options = _re2_options(case_sensitive)
    if max_mem is not None:
        options.max_mem = max_mem
    try:
        regex = re2.compile(pattern, options)
    except re2.error as err:
        raise PatternError(_explain(_message(err))) from None
    _check_group(regex.groups, group)
    return _Re2Pattern(pattern, regex, group)


def _check_group(groups: int, group: int | None) -> None:
    if group is not None and group > groups:
        raise PatternError(f"capture group {group} does not exist (the pattern has {groups})")
