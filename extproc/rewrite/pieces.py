"""A text made of pieces: where each finding falls, and each piece's share rewritten.

A surface that is not one plain text (a URL's path segments and query
values, header values, form fields, multipart parts, JSON strings, the text
parts a model reads as one) is scanned as one text joining its decoded
pieces, so context carries across and a value is found whole. Findings are
mapped back to pieces here; each surface re-encodes the pieces that changed
in its own syntax and keeps every other byte.

Two ways to join: pieces *separated* by syntax (``name=value&``, NUL between
JSON strings), where a finding belongs to the one piece holding most of it;
and pieces *adjacent* in the reader's view (text parts a model reads joined),
where a value split across pieces leaves each piece its share.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from extproc.detect.finding import Finding
from extproc.policy.model import Action
from extproc.rewrite.redact import Renderer, unchanged


class Share(NamedTuple):
    """The part of a finding inside one piece, relative to the piece."""

    piece: int
    start: int
    end: int


# start, end (relative to a piece) and the text replacing that span.
Edit = tuple[int, int, str]


class Layout:
    """Where each piece lies in the joined text (sorted, non-overlapping spans)."""

    __slots__ = ("ends", "starts")

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        pairs = list(spans)
        self.starts = [s for s, _ in pairs]
        self.ends = [e for _, e in pairs]

    def __len__(self) -> int:
        return len(self.starts)

    def shares(self, start: int, end: int) -> list[Share]:
        """The pieces that ``start``..``end`` overlaps, each with its part."""
        out: list[Share] = []
        i = max(bisect.bisect_right(self.starts, start) - 1, 0)
        if i < len(self.starts) and self.starts[i] <= start and end <= self.ends[i]:
            return [Share(i, start - self.starts[i], end - self.starts[i])]  # the common case
        while i < len(self.starts) and self.starts[i] < end:
            lo, hi = max(start, self.starts[i]), min(end, self.ends[i])
            if lo < hi:
                out.append(Share(i, lo - self.starts[i], hi - self.starts[i]))
            i += 1
        return out

    def owner(self, start: int, end: int) -> Share | None:
        """The one piece holding most of ``start``..``end`` (separated pieces), clipped."""
        shares = self.shares(start, end)
        if not shares:
            return None
        return max(shares, key=lambda s: s.end - s.start)  # the first among equals


def distribute(new: str, lengths: Sequence[int], mask: bool = False) -> list[str]:
    """``new`` replacing a value split into shares of ``lengths``: a mask
    (as long as the value) is split the same way; any other replacement goes
    whole into the longest share, so the pieces read as one when joined."""
    if len(lengths) == 1:
        return [new]
    if mask and len(new) == sum(lengths):
        out, pos = [], 0
        for n in lengths:
            out.append(new[pos : pos + n])
            pos += n
        return out
    longest = max(range(len(lengths)), key=lambda i: lengths[i])
    return [new if i == longest else "" for i in range(len(lengths))]


class Located(NamedTuple):
    """A finding acted on, with its value and the shares it has in pieces."""

    finding: Finding
    action: Action
    value: str
    shares: Sequence[Share]


def edits(located: Iterable[Located], renderer: Renderer) -> dict[int, list[Edit]]:
    """Piece index -> its edits, in order. Each value is rendered once (one
    hash, one placeholder) however many pieces it spans."""
    out: dict[int, list[Edit]] = {}
    for item in located:
        if not item.action.rewrites or not item.shares:
            continue
        new = renderer.replacement(item.finding.detector, item.value, item.action)
        if new is None:
            continue
        lengths = [s.end - s.start for s in item.shares]
        parts = distribute(new, lengths, item.action is Action.MASK)
        for share, part in zip(item.shares, parts, strict=True):
            out.setdefault(share.piece, []).append((share.start, share.end, part))
    for piece_edits in out.values():
        piece_edits.sort()
    return out


def splice(text: str, piece_edits: Sequence[Edit], gap: Callable[[str], str] = unchanged) -> str:
    """``text`` with each edit applied (sorted; an edit overlapping an earlier
    one is skipped); ``gap`` rewrites the text between them."""
    out: list[str] = []
    pos = 0
    for start, end, new in piece_edits:
        if start < pos:
            continue
        out.append(gap(text[pos:start]))
        out.append(new)
        pos = end
    out.append(gap(text[pos:]))
    return "".join(out)
