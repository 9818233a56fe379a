"""JSON bodies: scan every decoded string, rewrite only the strings that change.

A body is scanned as one text made of its decoded strings (so ``\\u0040`` and
``\\n`` hide nothing) joined by NUL separators, keys included: a key such as
``"ssn"`` is the natural context of the value that follows it, and a key can
be a value itself (a tool call's ``input``, a ``metadata`` object keyed by
e-mail address): findings in keys are rewritten like any other, and a
rewritten key that would repeat another of its object is told apart. A
finding belongs to the string holding most of it, clipped to it. Long
numbers are scanned too: a card number sent as a JSON number is still a card
number (it is replaced by a JSON string).

The reader's view: the text a model reads (the string values of
``jsontokens.READING`` keys: content parts, blocks, Gemini parts, Responses
input items, messages) comes in pieces, and a model reads them in order,
joined; a value split across two of them is whole to the reader. So the
joined text holds every other string first, NUL-separated in body order,
then the reading pieces in body order with nothing between them: one scan
finds a split value, and its share in each piece is rewritten there.

Only the tokens that change are re-encoded; every other byte of the body is
kept as it was, so a clean body leaves byte-identical and a rewritten one is
still valid JSON.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from extproc.detect.finding import Finding
from extproc.rewrite import jsontokens
from extproc.rewrite.jsontokens import Kind, Segment
from extproc.rewrite.pieces import Layout, Share

# Kind and Segment (defined with the tokenizer) are part of a view's API.
__all__ = [
    "SEPARATOR",
    "JsonView",
    "Kind",
    "Segment",
    "encode_string",
    "looks_like_json",
    "parse",
    "reading_texts",
    "rewrite",
    "unique_keys",
]

T = TypeVar("T")

SEPARATOR = "\x00"
_SPACE = " \t\r\n"


class JsonView:
    """A JSON body: ``joined`` (its decoded strings) at once, the token
    positions (``segments``) only when a finding needs them."""

    __slots__ = (
        "_layout",
        "_lengths",
        "_order",
        "_reading_set",
        "_segments",
        "_tokens",
        "body",
        "joined",
        "reading",
    )

    def __init__(
        self,
        body: str,
        joined: str,
        tokens: re.Pattern[str],
        lengths: Sequence[int] | None = None,
        reading: Sequence[int] = (),
    ) -> None:
        self.body = body
        self.joined = joined
        self._tokens = tokens  # the tokens that make up ``joined``, in body order
        self._lengths = lengths  # their decoded lengths, when known
        self.reading = reading  # the indices of the pieces a model reads, in body order
        self._segments: tuple[Segment, ...] | None = None
        self._layout: Layout | None = None
        self._order: list[int] = []  # layout piece -> segment index
        self._reading_set = frozenset(reading)

    @property
    def segments(self) -> tuple[Segment, ...]:
        if self._segments is None:
            self._segments = jsontokens.segments(
                self.body, self._tokens, self._lengths, self.reading
            )
        return self._segments

    @property
    def layout(self) -> Layout:
        """The segments in joined-text order (piece ``i`` is segment ``_order[i]``)."""
        if self._layout is None:
            segments = self.segments
            self._order = sorted(range(len(segments)), key=lambda i: segments[i].start)
            self._layout = Layout((segments[i].start, segments[i].end) for i in self._order)
        return self._layout

    def locate(self, findings: Sequence[tuple[Finding, T]]) -> list[tuple[list[Share], T]]:
        """Each finding's shares, by segment index, with a payload passed through.

        A finding across reading pieces has a share in each; any other
        belongs to the one string holding most of it, clipped to it. One
        wholly between strings is dropped. ``findings`` are in joined-text
        coordinates."""
        out: list[tuple[list[Share], T]] = []
        if not findings:
            return out
        layout, order = self.layout, self._order
        first_reading = self.segments[self.reading[0]].start if self.reading else len(self.joined)
        for f, payload in findings:
            if f.start >= first_reading:
                shares = layout.shares(f.start, f.end)
            else:
                owner = layout.owner(f.start, f.end)
                shares = [owner] if owner is not None else []
            if shares:
                out.append(([Share(order[s.piece], s.start, s.end) for s in shares], payload))
        return out

    def crossed(self, start: int, end: int) -> list[tuple[int, int]]:
        """The spans (in ``joined``) of the reading pieces that ``start``..``end``
        runs across; empty unless it crosses from one into the next."""
        if not self.reading:
            return []
        layout = self.layout
        i = bisect.bisect_right(layout.starts, start) - 1
        if i < 0 or end <= layout.ends[i] or self._order[i] not in self._reading_set:
            return []  # within one string (most findings), or not reading text
        shares = layout.shares(start, end)
        return [(layout.starts[s.piece], layout.ends[s.piece]) for s in shares]

    def content(self, seg: Segment) -> str:
        return self.joined[seg.start : seg.end]


def looks_like_json(text: str) -> bool:
    stripped = text.lstrip(_SPACE)
    return stripped[:1] in ("{", "[")


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
        tree = jsontokens.DECODER.decode(body)
    except (ValueError, RecursionError):
        return None
    parts: list[str] = []
    reading: list[int] = []
    try:
        numbers = jsontokens.walk(tree, parts, reading)
    except RecursionError:
        return _from_tokens(body)
    lengths = [len(part) for part in parts]
    tokens = jsontokens.TOKEN if numbers else jsontokens.STRING
    if not reading:
        return JsonView(body, SEPARATOR.join(parts), tokens, lengths)
    read = set(reading)
    other = [part for i, part in enumerate(parts) if i not in read]
    other.append("".join(parts[i] for i in reading))
    return JsonView(body, SEPARATOR.join(other), tokens, lengths, reading)


def reading_texts(body: str) -> list[str]:
    """The strings a model reads in ``body``, found without parsing it; only
    for a body without escapes, where every quote opens or closes a string
    (so splitting at quotes alternates structure and strings) and a string
    is its raw text."""
    parts = body.split('"')
    # (string, what follows it, the next string): a key and its string value
    # when only a colon stands between.
    return [
        value
        for key, between, value in zip(parts[1::2], parts[2::2], parts[3::2], strict=False)
        if key in jsontokens.READING and between.strip(_SPACE) == ":"
    ]


def _from_tokens(body: str) -> JsonView:
    segments = jsontokens.segments(body, jsontokens.TOKEN)
    joined = SEPARATOR.join(jsontokens.content(body[s.raw_start : s.raw_end]) for s in segments)
    view = JsonView(body, joined, jsontokens.TOKEN)
    view.segments  # noqa: B018 (computed now: the tokens were just walked)
    return view


_STRUCTURE = re.compile(f"{jsontokens.STRING_PATTERN}|[{{}}\\[\\]]", re.S)


def unique_keys(view: JsonView, new: dict[int, str]) -> dict[int, str]:
    """``new`` (segment index -> new content) with each rewritten key that
    would repeat another key of its object told apart: ``" (2)"``, ``" (3)"``.
    Two e-mail keys redacted alike stay two keys, not one that parsers keep
    the last of."""
    segments = view.segments
    if not any(segments[i].kind is Kind.KEY for i in new):
        return new
    members: dict[int, list[int]] = {}  # object -> its key segments, in order
    key_at = {s.raw_start: i for i, s in enumerate(segments) if s.kind is Kind.KEY}
    stack: list[int] = []
    opened = 0
    for m in _STRUCTURE.finditer(view.body):
        token = m.group()
        if token in ("{", "["):
            opened += 1
            stack.append(opened if token == "{" else -1)
        elif token in ("}", "]"):
            if stack:
                stack.pop()
        elif m.start() in key_at and stack:
            members.setdefault(stack[-1], []).append(key_at[m.start()])
    out = dict(new)
    for keys in members.values():
        if not any(i in new for i in keys):
            continue
        taken = {view.content(segments[i]) for i in keys if i not in new}
        for i in keys:
            if i not in new:
                continue
            name, n = new[i], 2
            while name in taken:
                name, n = f"{new[i]} ({n})", n + 1
            out[i] = name
            taken.add(name)
    return out


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
