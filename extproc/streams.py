"""Streamed bodies: scanned piece by piece, holding back only what could
still become a match (``rewrite.holdback``); SSE answers event by event with
one text stream per JSON field (``rewrite.sse``)."""

from __future__ import annotations

import codecs
import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from extproc.detect.finding import Finding
from extproc.detect.tail import build_tail
from extproc.exchange import Verdict
from extproc.policy.decide import Decision, decide
from extproc.policy.model import Action, Direction
from extproc.rewrite.encoding import Decoder, TooLarge, Undecodable, decoder
from extproc.rewrite.holdback import Holdback, Inspected, Released
from extproc.rewrite.redact import apply
from extproc.rewrite.sse import SseRewriter
from extproc.rewrite.text import to_bytes

if TYPE_CHECKING:
    from extproc.dlp import DlpInspector

# Upper bound on held-back characters per text stream, and on one SSE event.
MAX_HOLD = 16 * 1024
MAX_EVENT = 1024 * 1024
_CACHE = 512


class _Pieces:
    """Scanning, deciding and rewriting the pieces of one direction's stream."""

    def __init__(self, inspector: DlpInspector, direction: Direction) -> None:
        self.inspector = inspector
        self.direction = direction
        self.policy = policy = inspector.current_policy()
        self.renderer = inspector.renderer(policy)
        self._tail = build_tail(policy.scanner.specs, MAX_HOLD)
        self._gap = inspector.gap(direction)
        self._pseudonyms = inspector.pseudonyms
        self._whole_cache: dict[str, tuple[str, bool]] = {}
        limit = policy.limits.max_body_bytes or inspector.max_body
        encoding = inspector.encoding[direction]
        self._decoder: Decoder | None = decoder(encoding, limit) if encoding else None
        self.failed = False
        # Volume rules, budgets and size caps (extproc.govern), if the policy sets any.
        self.guard = inspector.guard() if policy.governance.active else None

    def decode(self, chunk: bytes, final: bool = False) -> bytes:
        """Undo the content encoding; on corrupt or oversized data, fail the stream."""
        if self._decoder is None or self.failed:
            return b"" if self.failed else chunk
        try:
            out = self._decoder.feed(chunk)
            return out + self._decoder.finish() if final else out
        except (Undecodable, TooLarge):
            self.failed = True
            self.inspector.seen[self.direction].undecodable = True
            return b""

    def tail(self, text: str) -> int:
        # Also hold what could begin a placeholder to restore: "<EMA" | "IL_1>".
        return max(self._tail(text), self._pseudonyms.pending(text))

    def holdback(self) -> Holdback:
        return Holdback(self._inspect, self._rewrite, self.tail)

    def _decide(self, text: str) -> Decision:
        started = time.perf_counter()
        decision = decide(self.policy.scanner.scan(text), text, self.policy, self.direction)
        self.inspector.seen[self.direction].scan_seconds += time.perf_counter() - started
        return decision

    def _inspect(self, text: str) -> Inspected:
        decision = self._decide(text)
        if decision.blocked:
            self.inspector.seen[self.direction].add(decision)
        return Inspected(decision.actions, decision.blocked)

    def _rewrite(self, text: str, acted: Sequence[tuple[Finding, Action]], offset: int) -> str:
        # Called once per released piece: the findings counted here are final.
        if self.guard is not None:
            keep = self.guard.admit(self.direction, text, acted, offset)
            if keep < len(text):  # a limit was crossed here: the rest never leaves
                text = text[:keep]
                acted = [p for p in acted if p[0].end - offset <= keep]
        self.inspector.seen[self.direction].add(Decision(tuple(acted)))
        rewriting = [p for p in acted if p[1].rewrites]
        return apply(text, rewriting, self.renderer, offset, gap=self._gap)

    def whole(self, value: str) -> tuple[str, bool]:
        """A complete value (an id, a name) inside an event: scanned on its own."""
        cached = self._whole_cache.get(value)
        if cached is not None:
            return cached
        decision = self._decide(value)
        self.inspector.seen[self.direction].add(decision)
        if self.guard is not None and not decision.blocked:
            kept = self.guard.admit(self.direction, value, decision.actions, counts_text=False)
            if kept < len(value):
                return (value, True)
        if decision.blocked:
            result = (value, True)
        else:
            result = (apply(value, decision.rewrite_actions, self.renderer, gap=self._gap), False)
        if len(self._whole_cache) < _CACHE and not decision.actions:
            self._whole_cache[value] = result
        return result

    def over_bytes(self, n: int) -> bool:
        """Count ``n`` more body bytes; True once over the route's byte cap."""
        return self.guard is not None and self.guard.on_bytes(self.direction, n) is not None

    @property
    def stopped(self) -> bool:
        """A volume or size limit ended this direction."""
        return self.guard is not None and self.guard.stop(self.direction) is not None

    def verdict(self, data: bytes, blocked: bool, final: bool = False) -> Verdict:
        if blocked or self.failed:
            return Verdict(
                data=data,
                block=self.inspector.block_answer(self.direction),
                metadata=self.inspector.metadata(),
            )
        # The end of the body carries the decision for Envoy's access log.
        return Verdict(data=data, metadata=self.inspector.metadata() if final else None)


class TextStream:
    """A streamed body scanned as text."""

    def __init__(self, inspector: DlpInspector, direction: Direction) -> None:
        self._pieces = _Pieces(inspector, direction)
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self._holdback = self._pieces.holdback()

    def feed(self, chunk: bytes) -> Verdict:
        chunk = self._pieces.decode(chunk)
        self._pieces.inspector.seen[self._pieces.direction].scanned_bytes += len(chunk)
        if self._pieces.over_bytes(len(chunk)):
            return self._pieces.verdict(b"", True)
        released = self._holdback.feed(self._decoder.decode(chunk))
        blocked = released.blocked or self._pieces.stopped
        return self._pieces.verdict(to_bytes(released.text), blocked)

    def finish(self) -> Verdict:
        rest = self._pieces.decode(b"", final=True)
        tail = self._decoder.decode(rest, final=True)
        first = self._holdback.feed(tail) if tail else Released("")
        last = self._holdback.finish()
        text = first.text + last.text
        blocked = first.blocked or last.blocked or self._pieces.stopped
        return self._pieces.verdict(to_bytes(text), blocked, final=True)


class SseStream:
    """A ``text/event-stream`` body, event by event."""

    def __init__(self, inspector: DlpInspector, direction: Direction) -> None:
        self._pieces = pieces = _Pieces(inspector, direction)
        self._sse = SseRewriter(pieces.holdback, pieces.whole, self._error_event, MAX_EVENT)

    def _error_event(self, anthropic: bool) -> str:
        inspector = self._pieces.inspector
        error = json.loads(inspector.block_body(self._pieces.direction))["error"]
        if anthropic:
            payload = json.dumps({"type": "error", "error": error})
            return f"event: error\ndata: {payload}\n\n"
        return f"data: {json.dumps({'error': error})}\n\n"

    def feed(self, chunk: bytes) -> Verdict:
        chunk = self._pieces.decode(chunk)
        self._pieces.inspector.seen[self._pieces.direction].scanned_bytes += len(chunk)
        if self._pieces.over_bytes(len(chunk)):
            return self._limit_end(b"")
        out = self._sse.feed(chunk)
        if self._ends(out.blocked):
            return self._limit_end(out.data)
        return self._pieces.verdict(out.data, out.blocked)

    def _ends(self, blocked: bool) -> bool:
        """A limit crossed in this chunk, and the rewriter has not said so yet."""
        return not blocked and self._pieces.stopped

    def _limit_end(self, data: bytes) -> Verdict:
        # The rewriter's own error event (OpenAI or Anthropic shape), after what left.
        return self._pieces.verdict(data + to_bytes(self._sse._error()), True)

    def finish(self) -> Verdict:
        rest = self._pieces.decode(b"", final=True)
        first = self._sse.feed(rest) if rest else None
        out = self._sse.finish()
        data = (first.data if first else b"") + out.data
        blocked = out.blocked or bool(first and first.blocked)
        if self._ends(blocked):
            return self._limit_end(data)
        return self._pieces.verdict(data, blocked, final=True)
