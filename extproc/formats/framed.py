"""A framed answer (SSE, JSON stream, AWS event stream) through its rewriter,
with what every streamed body gets: the content encoding undone, bytes
counted against the route's caps, the policy's size limit, and a block said
in the stream's own shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from extproc.policy.model import OnOversize
from extproc.rewrite.framing import Out
from extproc.rewrite.text import to_bytes
from extproc.rewrite.textfield import Field
from extproc.side import Side
from extproc.verdicts import Verdict

# A stream of events is never held, so the server's own size limit (made for
# bodies held whole) is raised for it: 64 MiB is longer than any model's
# longest answer today. A limit the policy sets applies as it is.
EVENT_STREAM_LIMIT = 64 * 1024 * 1024


def stream_limit(side: Side) -> int:
    if side.policy.limits.max_body_bytes is not None:
        return side.limit
    return max(side.limit, EVENT_STREAM_LIMIT)


class Rewriter(Protocol):
    @property
    def blocked(self) -> bool: ...

    def feed(self, chunk: bytes) -> Out: ...

    def finish(self) -> Out: ...

    def stop(self) -> str | bytes: ...

    def observe(self, seen: Callable[[Field, str], None]) -> None: ...


class Framed:
    """One streamed body, read by a framing's rewriter."""

    def __init__(self, side: Side, rewriter: Rewriter, events: bool = False) -> None:
        self._side = side
        self._rw = rewriter
        self._limit = stream_limit(side) if events else side.limit
        self._size = 0
        self._passing = False  # over the size limit, passed unscanned (``on_oversize: pass``)
        if side.watch is not None:
            rewriter.observe(side.observe)  # the answer's shape, checked as it comes

    def feed(self, chunk: bytes) -> Verdict:
        side = self._side
        chunk = side.decode(chunk)
        if self._passing:
            return side.verdict(chunk, False)
        self._size += len(chunk)
        if self._size > self._limit:
            return self._oversize(chunk)
        if side.count(len(chunk)):
            return self._limit_end(b"")
        out = self._rw.feed(chunk)
        if self._ends(out.blocked):
            return self._limit_end(out.data)
        return side.verdict(out.data, out.blocked)

    def finish(self) -> Verdict:
        side = self._side
        rest = side.decode(b"", final=True)
        if self._passing:
            return side.verdict(rest, False, final=True)
        first = self._rw.feed(rest) if rest else None
        out = self._rw.finish() if not (first and first.blocked) else Out(b"", True)
        data = (first.data if first else b"") + out.data
        blocked = out.blocked or bool(first and first.blocked)
        if not blocked:
            side.end_of_answer()
        if self._ends(blocked):
            return self._limit_end(data)
        return side.verdict(data, blocked, final=True)

    def _ends(self, blocked: bool) -> bool:
        """A limit crossed in this chunk, and the rewriter has not said so yet."""
        return not blocked and self._side.stopped

    def _stop(self) -> bytes:
        said = self._rw.stop()
        return said if isinstance(said, bytes) else to_bytes(said)

    def _limit_end(self, data: bytes) -> Verdict:
        # The rewriter's own error event, after what left.
        return self._side.verdict(data + self._stop(), True)

    def _oversize(self, chunk: bytes) -> Verdict:
        """Past the policy's size limit: cut with the error, or pass the rest."""
        side = self._side
        side.seen.oversize = True
        if side.policy.limits.on_oversize is OnOversize.BLOCK:
            return side.verdict(self._stop(), True)
        self._passing = True
        held = self._rw.finish()
        return side.verdict(held.data + chunk, held.blocked)
