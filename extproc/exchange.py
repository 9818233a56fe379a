"""One HTTP exchange as plain data: phases in, replies out.

This is the ext_proc state machine without gRPC, and every rule of Envoy's
protocol lives here. The servicer turns each ``ProcessingRequest`` into one
call here and each returned ``Reply`` into one ``ProcessingResponse``. Every
message is answered by a reply of its own phase, or by an immediate answer
that ends the exchange; trailers in FULL_DUPLEX_STREAMED mode are answered
twice: first a body reply releasing what the stream still held, then their
own.

What the content means (scan, decide, rewrite) is the inspector's business;
this module only knows what Envoy allows in each mode:

* BUFFERED / BUFFERED_PARTIAL: the body arrives whole (or as much as fits), so
  it is inspected at once; if its length changes, ``content-length`` is set in
  the same reply (the headers have not left Envoy yet); a block is an
  ``ImmediateResponse``.
* STREAMED / FULL_DUPLEX_STREAMED: chunks arrive one by one; the inspector's
  stream may hold bytes back and release them later, so ``content-length`` is
  removed when the headers are answered. Once response headers are on their
  way, a block can no longer change the status: the stream itself carries the
  error and every later chunk is swallowed, up to ``SWALLOW`` bytes: past
  that the exchange is ended with its immediate answer, which makes Envoy reset
  the stream (the client already has the error; a 1 GiB answer is not read to
  its end).
* FULL_DUPLEX_STREAMED: Envoy waits for no answer per chunk, so every chunk
  is answered with the bytes to send on (``streamed``, the chunk itself when
  nothing changes), and what a stream holds when trailers arrive is released
  before they are answered. In STREAMED mode Envoy gives no way to add bytes
  at the trailers.
"""

from __future__ import annotations

from dataclasses import dataclass

from extproc.policy.model import Direction
from extproc.verdicts import (
    BodyMode,
    BodyStream,
    Headers,
    Immediate,
    Inspector,
    Reply,
    Verdict,
)

REQUEST = Direction.REQUEST
RESPONSE = Direction.RESPONSE

# What is swallowed after a block said in-stream before the stream is reset.
SWALLOW = 1024 * 1024


@dataclass(slots=True)
class _Side:
    """Per-direction state."""

    mode: BodyMode
    headers_sent: bool = False  # headers answered and gone on (streaming modes)
    stream: BodyStream | None = None
    ended: bool = False  # a block was said in-stream: swallow the rest
    saw_body: bool = False
    block: Immediate | None = None  # the in-stream block, once said
    swallowed: int = 0


class Exchange:
    """State of one ext_proc stream. Not thread-safe; one per stream."""

    def __init__(
        self,
        inspector: Inspector,
        request_mode: BodyMode = BodyMode.NONE,
        response_mode: BodyMode = BodyMode.NONE,
    ) -> None:
        self.inspector = inspector
        self._sides = {REQUEST: _Side(request_mode), RESPONSE: _Side(response_mode)}
        self.finished = False  # an ImmediateResponse was sent
        self.observed = False  # observability mode: answers are not read
        self.answered = False  # the answer's last message has come

    def configure(
        self, request_mode: BodyMode, response_mode: BodyMode, observed: bool = False
    ) -> None:
        """Body modes from Envoy's ``protocol_config`` (first message only).

        ``observed``: Envoy runs the filter in ``observability_mode``: it sends
        and goes on, ignores every answer (a mode override too), so the modes
        stay as configured."""
        self._sides[REQUEST].mode = request_mode
        self._sides[RESPONSE].mode = response_mode
        self.observed = observed

    def mode(self, direction: Direction) -> BodyMode:
        return self._sides[direction].mode

    # -- phases --------------------------------------------------------

    def on_headers(self, direction: Direction, headers: Headers, end_of_stream: bool) -> Reply:
        side = self._sides[direction]
        self.answered |= direction is RESPONSE and end_of_stream
        verdict = self.inspector.headers(direction, headers, end_of_stream, side.mode)
        if verdict.block is not None:
            return self._immediate(verdict)
        reply = _reply_of(verdict)
        if (
            verdict.body_mode is not None
            and verdict.body_mode != side.mode
            and not end_of_stream
            and not self.observed
        ):
            side.mode = verdict.body_mode
            # Envoy takes a mode override whole: a field left out is reset to
            # its default (NONE for bodies), so both directions are said.
            reply.request_body_mode = self._sides[REQUEST].mode
            reply.response_body_mode = self._sides[RESPONSE].mode
        if side.mode.streaming and not end_of_stream:
            # Held-back or rewritten chunks change the length: let Envoy frame it.
            if "content-length" in headers:
                reply.remove_headers.append("content-length")
            side.headers_sent = True
        return reply

    def on_body(self, direction: Direction, chunk: bytes, end_of_stream: bool) -> Reply:
        side = self._sides[direction]
        side.saw_body = True
        self.answered |= direction is RESPONSE and end_of_stream
        reply = self._body(direction, side, chunk, end_of_stream)
        if side.mode is BodyMode.FULL_DUPLEX_STREAMED and reply.immediate is None:
            # Envoy sends on only what the processor streams back: echo the chunk.
            if reply.body is None:
                reply.body = chunk
            reply.streamed = True
            reply.end_of_stream = end_of_stream
        return reply

    def on_trailers(self, direction: Direction, trailers: Headers) -> list[Reply]:
        """The trailers' reply, after (FULL_DUPLEX) a streamed body reply with
        what the stream still held; an immediate answer alone if that blocks."""
        replies: list[Reply] = []
        side = self._sides[direction]
        self.answered |= direction is RESPONSE
        if side.mode is BodyMode.FULL_DUPLEX_STREAMED:
            flushed = self._flush(direction, side)
            if flushed is not None:
                if flushed.immediate is not None:
                    return [flushed]
                flushed.streamed = flushed.end_of_stream = True
                replies.append(flushed)
        replies.append(Reply())
        return replies

    def close(self) -> dict[str, object]:
        return self.inspector.close()

    def calls_out(self, direction: Direction) -> bool:
        """Whether the inspector may wait on a call-out (a judge) for this
        direction's body: its handling then belongs off the event loop.
        An inspector that never calls out need not say so."""
        check = getattr(self.inspector, "calls_out", None)
        return bool(check(direction)) if check is not None else False

    # -- helpers -------------------------------------------------------

    def _body(self, direction: Direction, side: _Side, chunk: bytes, end_of_stream: bool) -> Reply:
        if side.ended:
            side.swallowed += len(chunk)
            if side.swallowed > SWALLOW and side.block is not None and not end_of_stream:
                return self._immediate(Verdict(block=side.block))
            return Reply(body=b"")
        if not side.mode.streaming:
            # Whole body in one message (BUFFERED, or BUFFERED_PARTIAL up to the limit).
            complete = end_of_stream or side.mode is BodyMode.BUFFERED
            return self._answer_whole(direction, chunk, complete)
        if side.stream is None:
            side.stream = self.inspector.stream(direction)
        verdict = side.stream.feed(chunk)
        if end_of_stream and verdict.block is None:
            tail = side.stream.finish()
            verdict = _join(verdict, tail, chunk)
        return self._answer_streamed(direction, side, verdict)

    def _flush(self, direction: Direction, side: _Side) -> Reply | None:
        """Release what a stream still holds (trailers arrived)."""
        if side.stream is None or side.ended:
            return None
        verdict = side.stream.finish()
        side.stream = None
        if verdict.data is None and verdict.block is None:
            return None
        return self._answer_streamed(direction, side, verdict)

    def _answer_whole(self, direction: Direction, chunk: bytes, complete: bool) -> Reply:
        verdict = self.inspector.body(direction, chunk, complete)
        if verdict.block is not None:
            return self._immediate(verdict)
        reply = _reply_of(verdict)
        if verdict.data is not None and verdict.data != chunk:
            reply.body = verdict.data
            if complete:
                reply.set_headers.append(("content-length", str(len(verdict.data))))
        return reply

    def _answer_streamed(self, direction: Direction, side: _Side, verdict: Verdict) -> Reply:
        if verdict.block is not None:
            if direction is REQUEST or not side.headers_sent:
                return self._immediate(verdict)
            side.ended = True
            side.block = verdict.block
            data = verdict.data if verdict.data is not None else b""
            return Reply(body=data, metadata=verdict.metadata)
        return Reply(body=verdict.data, metadata=verdict.metadata)

    def _immediate(self, verdict: Verdict) -> Reply:
        self.finished = True
        return Reply(immediate=verdict.block, metadata=verdict.metadata)


def _reply_of(verdict: Verdict) -> Reply:
    """A verdict's header mutations and metadata, as a reply."""
    return Reply(
        set_headers=list(verdict.set_headers),
        remove_headers=list(verdict.remove_headers),
        metadata=verdict.metadata,
    )


def _join(first: Verdict, second: Verdict, chunk: bytes) -> Verdict:
    """Combine the verdict on the last chunk with the stream's final flush."""
    if second.data is None and second.block is None:
        return first
    head = chunk if first.data is None else first.data
    tail = b"" if second.data is None else second.data
    return Verdict(data=head + tail, block=second.block, metadata=second.metadata or first.metadata)
