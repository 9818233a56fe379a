"""A streamed body scanned as one text stream (any content type without a
format of its own)."""

from __future__ import annotations

import codecs

from extproc.rewrite.holdback import Released
from extproc.rewrite.text import to_bytes
from extproc.side import Side
from extproc.verdicts import Verdict


class TextStream:
    """A streamed body scanned as text."""

    def __init__(self, side: Side) -> None:
        self._side = side
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self._holdback = side.holdback()

    def feed(self, chunk: bytes) -> Verdict:
        side = self._side
        chunk = side.decode(chunk)
        if side.count(len(chunk)):
            return side.verdict(b"", True)
        text = self._decoder.decode(chunk)
        if side.watch is not None:
            side.watch.feed_text(text)
        released = self._holdback.feed(text)
        blocked = released.blocked or side.stopped
        return side.verdict(to_bytes(released.text), blocked)

    def finish(self) -> Verdict:
        side = self._side
        rest = side.decode(b"", final=True)
        tail = self._decoder.decode(rest, final=True)
        if side.watch is not None:
            side.watch.feed_text(tail)
            side.end_of_answer()
        first = self._holdback.feed(tail) if tail else Released("")
        last = self._holdback.finish()
        text = first.text + last.text
        blocked = first.blocked or last.blocked or side.stopped
        return side.verdict(to_bytes(text), blocked, final=True)
