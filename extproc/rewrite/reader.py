"""The reader's view: text pieces a model reads as one.

A prompt's text comes in pieces (content parts, Anthropic blocks, Gemini
parts, Responses input items, consecutive messages) and a model reads them
in order, joined; a value split across two of them is whole to the reader.
Each piece is scanned in its body as it stands; here only where two meet: a
window reaching ``radius`` characters to either side of each junction (the
longest value a detector reports, so a value crossing it lies inside) joins
the neighbouring pieces with nothing between them. A finding in a window is
kept only if it crosses a junction; its shares go back to each piece.
"""

from __future__ import annotations

from collections.abc import Sequence

from extproc.rewrite.pieces import Layout, Share


class Window:
    """A stretch of the joined reading text, and which piece each part came from."""

    __slots__ = ("_first", "_layout", "_origins", "text")

    def __init__(self, texts: Sequence[str], first: int, lo: int, hi: int, starts: Sequence[int]):
        """The joined text from ``lo`` to ``hi``; ``starts``: where each piece
        begins in the joined text; ``first``: the first piece it touches."""
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        origins: list[tuple[int, int]] = []  # (piece, offset of this part in the piece)
        pos = 0
        piece = first
        while piece < len(texts) and starts[piece] < hi:
            start = max(lo, starts[piece]) - starts[piece]
            end = min(hi, starts[piece] + len(texts[piece])) - starts[piece]
            if end > start:
                parts.append(texts[piece][start:end])
                spans.append((pos, pos + end - start))
                origins.append((piece, start))
                pos += end - start
            piece += 1
        self.text = "".join(parts)
        self._layout = Layout(spans)
        self._origins = origins
        self._first = first

    def shares(self, start: int, end: int) -> list[Share]:
        """The pieces ``start``..``end`` of the window text spans, each with
        its share in piece coordinates (more than one: it crosses a junction)."""
        out = []
        for share in self._layout.shares(start, end):
            piece, offset = self._origins[share.piece]
            out.append(Share(piece, share.start + offset, share.end + offset))
        return out


def windows(texts: Sequence[str], radius: int) -> list[Window]:
    """The windows around every junction of ``texts`` (merged where they overlap)."""
    starts: list[int] = []
    pos = 0
    for text in texts:
        starts.append(pos)
        pos += len(text)
    total = pos
    spans: list[tuple[int, int, int]] = []  # lo, hi, first piece
    for i in range(1, len(texts)):
        junction = starts[i]
        if junction in (0, total) or not texts[i]:
            continue  # an empty piece joins nothing; its neighbours meet at the next
        lo, hi = max(junction - radius, 0), min(junction + radius, total)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], hi, spans[-1][2])
        else:
            first = i - 1
            while first > 0 and starts[first] > lo:
                first -= 1
            spans.append((lo, hi, first))
    return [Window(texts, first, lo, hi, starts) for lo, hi, first in spans]
