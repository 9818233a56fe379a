"""``text/event-stream`` answers, event by event, one text stream per JSON
field (``rewrite.sse``); a block ends the stream with an error event shaped
like the provider's."""

from __future__ import annotations

from extproc.exchange import Verdict
from extproc.rewrite.sse import SseRewriter
from extproc.rewrite.text import to_bytes
from extproc.side import Side

# Upper bound on one SSE event: past it the body is scanned as plain text.
MAX_EVENT = 1024 * 1024


class SseStream:
    """A ``text/event-stream`` body, event by event."""

    def __init__(self, side: Side) -> None:
        self._side = side
        self._sse = SseRewriter(side.holdback, side.whole, side.error_event, MAX_EVENT)

    def feed(self, chunk: bytes) -> Verdict:
        side = self._side
        chunk = side.decode(chunk)
        if side.count(len(chunk)):
            return self._limit_end(b"")
        out = self._sse.feed(chunk)
        if self._ends(out.blocked):
            return self._limit_end(out.data)
        return side.verdict(out.data, out.blocked)

    def finish(self) -> Verdict:
        rest = self._side.decode(b"", final=True)
        first = self._sse.feed(rest) if rest else None
        out = self._sse.finish()
        data = (first.data if first else b"") + out.data
        blocked = out.blocked or bool(first and first.blocked)
        if self._ends(blocked):
            return self._limit_end(data)
        return self._side.verdict(data, blocked, final=True)

    def _ends(self, blocked: bool) -> bool:
        """A limit crossed in this chunk, and the rewriter has not said so yet."""
        return not blocked and self._side.stopped

    def _limit_end(self, data: bytes) -> Verdict:
        # The rewriter's own error event (OpenAI or Anthropic shape), after what left.
        return self._side.verdict(data + to_bytes(self._sse.stop()), True)
