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
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from extproc.detect.finding import Finding

T = TypeVar("T")

SEPARATOR = "\x00"
# Strings (unrolled loop, linear) and numbers of 6+ digits; everything else is structure.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|-?\d[\d.eE+-]{5,}', re.S)
_SPACE = " \t\r\n"


class Kind(Enum):
    KEY = "key"
    VALUE = "value"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class Segment:
    raw_start: int  # token span in the body text, quotes included
    raw_end: int
    start: int  # span of the decoded content in the joined text
    end: int
    kind: Kind


@dataclass(frozen=True, slots=True)
class JsonView:
    body: str
    joined: str
    segments: tuple[Segment, ...]
    _starts: tuple[int, ...]

    def locate(self, findings: Sequence[tuple[Finding, T]]) -> list[tuple[Segment, Finding, T]]:
        """Each kept finding with its segment and its span relative to the segment's content.

        ``findings`` are in joined-text coordinates, each with a payload passed through.
        """
        out: list[tuple[Segment, Finding, T]] = []
        for f, payload in findings:
            i = bisect.bisect_right(self._starts, f.start) - 1
            if i < 0:
                continue
            seg = self.segments[i]
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


def parse(body: str) -> JsonView | None:
    """A view of ``body`` if it is a JSON object or array, else None."""
    if not looks_like_json(body):
        return None
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return None
    parts: list[str] = []
    segments: list[Segment] = []
    pos = 0
    for m in _TOKEN.finditer(body):
        token = m.group()
        if token[0] == '"':
            content = token[1:-1] if "\\" not in token else json.loads(token)
            after = m.end()
            while after < len(body) and body[after] in _SPACE:
                after += 1
            kind = Kind.KEY if body.startswith(":", after) else Kind.VALUE
        else:
            content, kind = token, Kind.NUMBER
        segments.append(Segment(m.start(), m.end(), pos, pos + len(content), kind))
        parts.append(content)
        pos += len(content) + len(SEPARATOR)
    joined = SEPARATOR.join(parts)
    return JsonView(body, joined, tuple(segments), tuple(s.start for s in segments))


def encode_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def rewrite(view: JsonView, new_content: Callable[[Segment], str | None]) -> str:
    """The body with each segment whose ``new_content`` is not None replaced."""
    out: list[str] = []
    pos = 0
    for seg in view.segments:
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
