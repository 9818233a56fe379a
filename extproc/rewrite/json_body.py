"""JSON bodies: scan every decoded string, rewrite only the strings that change.

A body is scanned as one text made of its decoded strings (so ``\\u0040`` and
``\\n`` hide nothing) joined by NUL separators, keys included: a key such as
``"ssn"`` is the natural context of the value that follows it. Findings that
start inside a key are dropped (keys are names, not values), findings that
run past the end of their string are clipped to it. Long numbers are scanned
too: a card number sent as a JSON number is still a card number (it is
replaced by a JSON string).

Only the tokens that change are re-encoded; every other byte of the body is
kept as it was, so a clean body leaves byte-identical and a rewritten one is
still valid JSON.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Sequence
from enum import Enum
from typing import NamedTuple, TypeVar

from extproc.detect.finding import Finding

T = TypeVar("T")

SEPARATOR = "\x00"
# Strings (unrolled loop, linear) and numbers of 6+ digits; everything else is structure.
_STRING_PATTERN = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_LONG_NUMBER_PATTERN = r"-?\d[\d.eE+-]{5,}"
# Group 1: a string; group 2: the colon after it, when it is a key.
_KEYED = f"({_STRING_PATTERN})([ \t\r\n]*:)?"
_STRING = re.compile(_KEYED, re.S)
_TOKEN = re.compile(f"{_KEYED}|{_LONG_NUMBER_PATTERN}", re.S)
_LONG_NUMBER = re.compile(_LONG_NUMBER_PATTERN)
_SPACE = " \t\r\n"


class Kind(Enum):
    KEY = "key"
    VALUE = "value"
    NUMBER = "number"


class Segment(NamedTuple):
    """One string or long number (a tuple: a body has many, built in a loop)."""

    raw_start: int  # token span in the body text, quotes included
    raw_end: int
    start: int  # span of the decoded content in the joined text
    end: int
    kind: Kind


class JsonView:
    """A JSON body: ``joined`` (its decoded strings) at once, the token
    positions (``segments``) only when a finding needs them."""

    __slots__ = ("_lengths", "_segments", "_starts", "_tokens", "body", "joined")

    def __init__(
        self,
        body: str,
        joined: str,
        tokens: re.Pattern[str],
        lengths: Sequence[int] | None = None,
    ) -> None:
        self.body = body
        self.joined = joined
        self._tokens = tokens  # the tokens that make up ``joined``, in order
        self._lengths = lengths  # their decoded lengths, when known
        self._segments: tuple[Segment, ...] | None = None
        self._starts: tuple[int, ...] = ()

    @property
    def segments(self) -> tuple[Segment, ...]:
        if self._segments is None:
            self._segments = _segments(self.body, self._tokens, self._lengths)
            self._starts = tuple(s.start for s in self._segments)
        return self._segments

    def locate(self, findings: Sequence[tuple[Finding, T]]) -> list[tuple[Segment, Finding, T]]:
        """Each kept finding with its segment and its span relative to the segment's content.

        ``findings`` are in joined-text coordinates, each with a payload passed through.
        """
        out: list[tuple[Segment, Finding, T]] = []
        if not findings:
            return out
        segments = self.segments
        for f, payload in findings:
            i = bisect.bisect_right(self._starts, f.start) - 1
            if i < 0:
                continue
            seg = segments[i]
            if seg.kind is Kind.KEY or f.start >= seg.end:
                continue
            end = min(f.end, seg.end)
            rel = Finding(f.detector, f.start - seg.start, end - seg.start, f.confidence)
            out.append((seg, rel, payload))
        return out

    def content(self, seg: Segment) -> str:
        return self.joined[seg.start : seg.end]


def looks_like_json(text: str) -> bool:
    stripped = text.lstrip(_SPACE)
    return stripped[:1] in ("{", "[")


class _Pairs(list[tuple[str, object]]):
    """An object as its (key, value) pairs: document order, duplicates kept."""


class _Number:
    """A number as written: long ones are scanned (a card sent as a number)."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


# One decoder, built once: json.loads with hooks would build one per call.
_DECODER = json.JSONDecoder(object_pairs_hook=_Pairs, parse_int=_Number, parse_float=_Number)


def parse(body: str) -> JsonView | None:
    """A view of ``body`` if it is a JSON object or array, else None.

    One pass of the C JSON parser (which hands over each number as written)
    and a walk over what it built give the joined text; the tokenizer that
    finds positions runs only when a finding needs them. Both see the same
    strings and long numbers in the same order.
    """
    if not looks_like_json(body):
        return None
    try:
        tree = _DECODER.decode(body)
    except (ValueError, RecursionError):
        return None
    parts: list[str] = []
    try:
        numbers = _walk(tree, parts)
    except RecursionError:
        return _from_tokens(body)
    lengths = [len(part) for part in parts]
    return JsonView(body, SEPARATOR.join(parts), _TOKEN if numbers else _STRING, lengths)


def _walk(node: object, out: list[str]) -> bool:
    """Append the strings and long numbers under ``node``; True if any number."""
    if isinstance(node, str):
        out.append(node)
        return False
    if isinstance(node, _Number):
        if _LONG_NUMBER.fullmatch(node.token):
            out.append(node.token)
            return True
        return False
    numbers = False
    if isinstance(node, _Pairs):
        for key, value in node:
            out.append(key)
            numbers = _walk(value, out) or numbers
    elif isinstance(node, list):
        for value in node:
            numbers = _walk(value, out) or numbers
    return numbers


def _from_tokens(body: str) -> JsonView:
    segments = _segments(body, _TOKEN)
    joined = SEPARATOR.join(_content(body[s.raw_start : s.raw_end]) for s in segments)
    view = JsonView(body, joined, _TOKEN)
    view.segments  # noqa: B018 (computed now: the tokens were just walked)
    return view


def _content(token: str) -> str:
    if token[0] != '"':
        return token
    return token[1:-1] if "\\" not in token else str(json.loads(token))


def _segments(
    body: str, tokens: re.Pattern[str], lengths: Sequence[int] | None = None
) -> tuple[Segment, ...]:
    """The tokens of ``body``; ``lengths``: their decoded lengths, from the
    parse (saves decoding each string with escapes a second time)."""
    segments: list[Segment] = []
    pos = 0
    for index, m in enumerate(tokens.finditer(body)):
        start, end = m.span(1)
        if start >= 0:
            if lengths is not None:
                length = lengths[index]
            elif body.find("\\", start, end) < 0:
                length = end - start - 2
            else:
                length = len(_content(body[start:end]))
            kind = Kind.VALUE if m.lastindex == 1 else Kind.KEY
        else:
            start, end = m.span()
            length, kind = end - start, Kind.NUMBER
        segments.append(Segment(start, end, pos, pos + length, kind))
        pos += length + 1  # the separator
    return tuple(segments)


def encode_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def rewrite(
    view: JsonView,
    new_content: Callable[[Segment], str | None],
    only: Sequence[Segment] | None = None,
) -> str:
    """The body with each segment whose ``new_content`` is not None replaced.

    ``only``: the segments that may change, in body order (default: all).
    """
    out: list[str] = []
    pos = 0
    for seg in view.segments if only is None else only:
        new = new_content(seg)
        if new is None:
            continue
        out.append(view.body[pos : seg.raw_start])
        out.append(encode_string(new))
        pos = seg.raw_end
    if not out:
        return view.body
    out.append(view.body[pos:])
    return "".join(out)
