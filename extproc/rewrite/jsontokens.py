"""A JSON body's strings and long numbers, found two ways: walked in the
tree the C parser builds (fast, no positions), or tokenized in the text with
their positions (``Segment``), only when a finding needs them. Both see the
same strings and long numbers in the same order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from enum import Enum
from typing import NamedTuple

# Keys whose string values are text a model reads (or writes), in every API
# it serves: OpenAI, Anthropic, Gemini, Responses, Cohere, Ollama, Bedrock.
READING = frozenset(
    {"text", "content", "input", "prompt", "system", "instructions", "message", "preamble"}
)

# Strings (unrolled loop, linear) and numbers of 6+ digits; everything else is structure.
STRING_PATTERN = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_LONG_NUMBER_PATTERN = r"-?\d[\d.eE+-]{5,}"
# Group 1: a string; group 2: the colon after it, when it is a key.
_KEYED = f"({STRING_PATTERN})([ \t\r\n]*:)?"
STRING = re.compile(_KEYED, re.S)
TOKEN = re.compile(f"{_KEYED}|{_LONG_NUMBER_PATTERN}", re.S)
_LONG_NUMBER = re.compile(_LONG_NUMBER_PATTERN)


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


class Pairs(list[tuple[str, object]]):
    """An object as its (key, value) pairs: document order, duplicates kept."""


class Number:
    """A number as written: long ones are scanned (a card sent as a number)."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


# One decoder, built once: json.loads with hooks would build one per call.
DECODER = json.JSONDecoder(object_pairs_hook=Pairs, parse_int=Number, parse_float=Number)


def walk(node: object, out: list[str], reading: list[int]) -> bool:
    """Append the strings and long numbers under ``node``; True if any number.
    ``reading``: the indices in ``out`` of the text a model reads."""
    if isinstance(node, str):
        out.append(node)
        return False
    if isinstance(node, Number):
        if _LONG_NUMBER.fullmatch(node.token):
            out.append(node.token)
            return True
        return False
    numbers = False
    if isinstance(node, Pairs):
        for key, value in node:
            out.append(key)
            if value.__class__ is str and key in READING:
                reading.append(len(out))
            numbers = walk(value, out, reading) or numbers
    elif isinstance(node, list):
        for value in node:
            numbers = walk(value, out, reading) or numbers
    return numbers


def content(token: str) -> str:
    if token[0] != '"':
        return token
    return token[1:-1] if "\\" not in token else str(json.loads(token))


def segments(
    body: str,
    tokens: re.Pattern[str],
    lengths: Sequence[int] | None = None,
    reading: Sequence[int] = (),
) -> tuple[Segment, ...]:
    """The tokens of ``body``; ``lengths``: their decoded lengths, from the
    parse (saves decoding each string with escapes a second time);
    ``reading``: the pieces placed last in the joined text, back to back."""
    segments: list[Segment] = []
    starts = reading_starts(lengths, reading) if reading and lengths is not None else {}
    pos = 0
    for index, m in enumerate(tokens.finditer(body)):
        start, end = m.span(1)
        if start >= 0:
            if lengths is not None:
                length = lengths[index]
            elif body.find("\\", start, end) < 0:
                length = end - start - 2
            else:
                length = len(content(body[start:end]))
            kind = Kind.VALUE if m.lastindex == 1 else Kind.KEY
        else:
            start, end = m.span()
            length, kind = end - start, Kind.NUMBER
        at = starts.get(index)
        if at is not None:
            segments.append(Segment(start, end, at, at + length, kind))
            continue
        segments.append(Segment(start, end, pos, pos + length, kind))
        pos += length + 1  # the separator
    return tuple(segments)


def reading_starts(lengths: Sequence[int], reading: Sequence[int]) -> dict[int, int]:
    """Where each reading piece starts: after every other string, back to back."""
    read = set(reading)
    pos = sum(n + 1 for i, n in enumerate(lengths) if i not in read)
    starts = {}
    for i in reading:
        starts[i] = pos
        pos += lengths[i]
    return starts
