"""The ext_proc rules of ``Exchange`` as plain data, without protobuf: what
each body mode answers, the full-duplex echo, the flush before trailers,
content-length, and a block in the middle of a stream."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from extproc.exchange import REQUEST, RESPONSE, Exchange
from extproc.policy.model import Direction
from extproc.verdicts import BodyMode, BodyStream, Headers, Immediate, PassInspector, Verdict

BLOCK = Immediate(403, b"no")


@dataclass
class HoldLast:
    """A stream that holds the last byte of what it was fed, blocking on ``!``."""

    held: bytes = b""

    def feed(self, chunk: bytes) -> Verdict:
        data = self.held + chunk
        if b"!" in data:
            return Verdict(data=b"<error>", block=BLOCK)
        self.held = data[-1:]
        return Verdict(data=data[:-1])

    def finish(self) -> Verdict:
        held, self.held = self.held, b""
        if b"!" in held:
            return Verdict(data=b"<error>", block=BLOCK)
        return Verdict(data=held or None, metadata={"done": True})


@dataclass
class Holding(PassInspector):
    streams: list[HoldLast] = field(default_factory=list)

    def stream(self, direction: Direction) -> BodyStream:
        self.streams.append(HoldLast())
        return self.streams[-1]


def exchange(mode: BodyMode) -> Exchange:
    ex = Exchange(Holding(), mode, mode)
    ex.on_headers(REQUEST, {":path": "/", "content-length": "9"}, False)
    ex.on_headers(RESPONSE, {":status": "200"}, False)
    return ex


def test_full_duplex_echoes_chunks_the_inspector_left_unchanged() -> None:
    ex = Exchange(PassInspector(), BodyMode.FULL_DUPLEX_STREAMED, BodyMode.FULL_DUPLEX_STREAMED)
    ex.on_headers(REQUEST, {":path": "/"}, False)
    first = ex.on_body(REQUEST, b"abc", False)
    last = ex.on_body(REQUEST, b"def", True)
    assert (first.body, first.streamed, first.end_of_stream) == (b"abc", True, False)
    assert (last.body, last.streamed, last.end_of_stream) == (b"def", True, True)


@pytest.mark.parametrize("mode", [BodyMode.STREAMED, BodyMode.BUFFERED])
def test_other_modes_leave_unchanged_chunks_alone(mode: BodyMode) -> None:
    ex = Exchange(PassInspector(), mode, mode)
    ex.on_headers(REQUEST, {":path": "/"}, False)
    reply = ex.on_body(REQUEST, b"abc", True)
    assert reply.body is None and not reply.streamed


def test_full_duplex_trailers_flush_then_answer() -> None:
    ex = exchange(BodyMode.FULL_DUPLEX_STREAMED)
    assert ex.on_body(RESPONSE, b"abc", False).body == b"ab"
    flushed, trailers = ex.on_trailers(RESPONSE, {"x-t": "1"})
    assert (flushed.body, flushed.streamed, flushed.end_of_stream) == (b"c", True, True)
    assert flushed.metadata == {"done": True}
    assert not trailers.streamed and trailers.body is None and trailers.immediate is None


def test_full_duplex_trailers_with_nothing_held_answer_once() -> None:
    ex = exchange(BodyMode.FULL_DUPLEX_STREAMED)
    (trailers,) = ex.on_trailers(RESPONSE, {})  # no body came
    assert not trailers.streamed
    ex.on_body(RESPONSE, b"a", False)
    inspector = ex.inspector
    assert isinstance(inspector, Holding)
    inspector.streams[-1].held = b""
    (trailers,) = ex.on_trailers(RESPONSE, {})  # the stream holds nothing
    assert not trailers.streamed


def test_streamed_trailers_cannot_add_bytes() -> None:
    ex = exchange(BodyMode.STREAMED)
    ex.on_body(RESPONSE, b"abc", False)
    (trailers,) = ex.on_trailers(RESPONSE, {})
    assert trailers.body is None and not trailers.streamed


def test_request_block_in_flush_is_immediate_alone() -> None:
    ex = exchange(BodyMode.FULL_DUPLEX_STREAMED)
    ex.on_body(REQUEST, b"ab", False)
    inspector = ex.inspector
    assert isinstance(inspector, Holding)
    inspector.streams[-1].held = b"!"  # what the flush releases blocks the request
    (reply,) = ex.on_trailers(REQUEST, {})
    assert reply.immediate == BLOCK
    assert ex.finished


def test_response_block_after_headers_left_ends_in_stream() -> None:
    ex = exchange(BodyMode.STREAMED)
    reply = ex.on_body(RESPONSE, b"a!", False)
    assert reply.immediate is None and reply.body == b"<error>"
    assert ex.on_body(RESPONSE, b"more", True).body == b""  # swallowed
    assert not ex.finished


def test_streaming_removes_content_length_buffered_sets_it() -> None:
    streamed = Exchange(PassInspector(), BodyMode.STREAMED, BodyMode.STREAMED)
    reply = streamed.on_headers(REQUEST, {"content-length": "9"}, False)
    assert "content-length" in reply.remove_headers

    class Doubling(PassInspector):
        def body(self, direction: Direction, body: bytes, complete: bool) -> Verdict:
            return Verdict(data=body * 2)

    buffered = Exchange(Doubling(), BodyMode.BUFFERED, BodyMode.BUFFERED)
    assert buffered.on_headers(REQUEST, {"content-length": "3"}, False).remove_headers == []
    reply = buffered.on_body(REQUEST, b"abc", True)
    assert reply.body == b"abcabc"
    assert ("content-length", "6") in reply.set_headers


def test_mode_override_only_when_it_changes_the_mode() -> None:
    class Streaming(PassInspector):
        def headers(
            self, direction: Direction, headers: Headers, end_of_stream: bool, mode: BodyMode
        ) -> Verdict:
            return Verdict(body_mode=BodyMode.STREAMED)

    ex = Exchange(Streaming(), BodyMode.BUFFERED, BodyMode.STREAMED)
    assert ex.on_headers(REQUEST, {}, False).request_body_mode is BodyMode.STREAMED
    assert ex.on_headers(RESPONSE, {}, False).response_body_mode is None
    assert ex.mode(REQUEST) is BodyMode.STREAMED


def test_a_mode_override_says_both_directions() -> None:
    """Envoy takes a mode override whole: turning the request body off must
    not turn the response body off with it (a response-only policy would
    then never see a streamed answer)."""

    class RequestOff(PassInspector):
        def headers(
            self, direction: Direction, headers: Headers, end_of_stream: bool, mode: BodyMode
        ) -> Verdict:
            return Verdict(body_mode=BodyMode.NONE if direction is REQUEST else None)

    reply = Exchange(RequestOff(), BodyMode.BUFFERED, BodyMode.STREAMED).on_headers(
        REQUEST, {}, False
    )
    assert reply.request_body_mode is BodyMode.NONE
    assert reply.response_body_mode is BodyMode.STREAMED
