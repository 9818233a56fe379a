"""The servicer with hand-built ProcessingRequests: every message answered in
its own phase, in every body mode (full-duplex trailers: a streamed body
answer first, see ``tests/test_exchange.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pytest

from extproc.policy.model import Direction
from extproc.verdicts import BodyMode, BodyStream, Headers, Immediate, PassInspector, Verdict
from extproc.wire.inprocess import body_message, headers_message, process
from extproc.wire.pb import external_processor_pb2 as pb
from extproc.wire.service import ExternalProcessor
from extproc.wire.translate import headers_of

ANSWER_OF = {
    "request_headers": "request_headers",
    "response_headers": "response_headers",
    "request_body": "request_body",
    "response_body": "response_body",
    "request_trailers": "request_trailers",
    "response_trailers": "response_trailers",
}


def trailers_msg(phase: str) -> pb.ProcessingRequest:
    req = pb.ProcessingRequest()
    getattr(req, phase).trailers.headers.add(key="x-t", raw_value=b"1")
    return req


def with_modes(
    req: pb.ProcessingRequest, request_mode: int, response_mode: int
) -> pb.ProcessingRequest:
    req.protocol_config.request_body_mode = request_mode  # type: ignore[assignment]
    req.protocol_config.response_body_mode = response_mode  # type: ignore[assignment]
    return req


async def _collect(
    servicer: ExternalProcessor, messages: Iterable[pb.ProcessingRequest]
) -> list[pb.ProcessingResponse]:
    return await process(servicer, messages)


def run(
    messages: list[pb.ProcessingRequest], inspector: object | None = None
) -> list[pb.ProcessingResponse]:
    servicer = ExternalProcessor(lambda *_: inspector or PassInspector(), "ns")  # type: ignore[arg-type,return-value]
    return asyncio.run(asyncio.wait_for(_collect(servicer, messages), 5))


def exchange(
    request_mode: BodyMode, response_mode: BodyMode, chunks: int = 3
) -> list[pb.ProcessingRequest]:
    first = with_modes(
        headers_message(
            "request_headers", {":method": "POST", ":path": "/v1/x", "content-length": "9"}
        ),
        request_mode,
        response_mode,
    )
    msgs = [first]
    for i in range(chunks):
        msgs.append(body_message("request_body", b"abc", eos=i == chunks - 1))
    msgs.append(headers_message("response_headers", {":status": "200", "content-length": "9"}))
    for i in range(chunks):
        msgs.append(body_message("response_body", b"xyz", eos=i == chunks - 1))
    return msgs


@pytest.mark.parametrize("mode", list(BodyMode)[:5], ids=lambda m: m.name)
def test_every_message_answered_in_its_phase(mode: BodyMode) -> None:
    msgs = exchange(mode, mode)
    responses = run(msgs)
    assert len(responses) == len(msgs)
    for m, r in zip(msgs, responses, strict=True):
        assert r.WhichOneof("response") == ANSWER_OF[m.WhichOneof("request")]


def test_full_duplex_answers_with_streamed_bodies() -> None:
    msgs = exchange(BodyMode.FULL_DUPLEX_STREAMED, BodyMode.FULL_DUPLEX_STREAMED)
    responses = run(msgs)
    bodies = [r.request_body for r in responses if r.HasField("request_body")]
    assert [b.response.body_mutation.streamed_response.body for b in bodies] == [b"abc"] * 3
    assert [b.response.body_mutation.streamed_response.end_of_stream for b in bodies] == [
        False,
        False,
        True,
    ]


def test_streamed_mode_removes_content_length() -> None:
    responses = run(exchange(BodyMode.STREAMED, BodyMode.STREAMED))
    assert list(responses[0].request_headers.response.header_mutation.remove_headers) == [
        "content-length"
    ]


def test_buffered_mode_keeps_content_length_when_unchanged() -> None:
    responses = run(exchange(BodyMode.BUFFERED, BodyMode.BUFFERED, chunks=1))
    assert not responses[0].request_headers.response.HasField("header_mutation")
    assert not responses[1].request_body.response.HasField("body_mutation")


def test_trailers_answered() -> None:
    msgs = exchange(BodyMode.STREAMED, BodyMode.STREAMED)
    msgs.insert(4, trailers_msg("request_trailers"))
    msgs.append(trailers_msg("response_trailers"))
    responses = run(msgs)
    assert [r.WhichOneof("response") for r in responses] == [m.WhichOneof("request") for m in msgs]


def test_header_values_read_from_raw_value() -> None:
    req = headers_message("request_headers", {"x-a": "1", ":path": "/p"})
    assert headers_of(req.request_headers.headers) == {"x-a": "1", ":path": "/p"}


class _Rewriting:
    """Upper-cases bodies and holds back the last byte of each streamed chunk."""

    def headers(
        self, direction: Direction, headers: Headers, end_of_stream: bool, mode: BodyMode
    ) -> Verdict:
        return Verdict(set_headers=(("x-seen", direction.value),))

    def body(self, direction: Direction, body: bytes, complete: bool) -> Verdict:
        if b"BLOCK" in body:
            return Verdict(
                block=Immediate(403, b'{"error": "no"}', (("content-type", "application/json"),))
            )
        return Verdict(data=body.upper() + b"!")

    def stream(self, direction: Direction) -> BodyStream:
        return _Holding()

    def close(self) -> dict[str, object]:
        return {}


class _Holding:
    def __init__(self) -> None:
        self.held = b""

    def feed(self, chunk: bytes) -> Verdict:
        data = self.held + chunk
        if b"BLOCK" in data:
            return Verdict(data=b"data: error\n\n", block=Immediate(403, b"no"))
        self.held = data[-1:]
        return Verdict(data=data[:-1].upper())

    def finish(self) -> Verdict:
        held, self.held = self.held, b""
        return Verdict(data=held.upper())


def test_buffered_rewrite_sets_content_length() -> None:
    responses = run(exchange(BodyMode.BUFFERED, BodyMode.BUFFERED, chunks=1), _Rewriting())
    common = responses[1].request_body.response
    assert common.body_mutation.body == b"ABC!"
    sets = {h.header.key: h.header.raw_value for h in common.header_mutation.set_headers}
    assert sets["content-length"] == b"4"


def test_streamed_holdback_released_at_end() -> None:
    responses = run(exchange(BodyMode.STREAMED, BodyMode.STREAMED), _Rewriting())
    out = b"".join(
        r.response_body.response.body_mutation.body
        for r in responses
        if r.HasField("response_body")
    )
    assert out == b"XYZXYZXYZ"


def test_buffered_block_is_immediate_and_ends_stream() -> None:
    msgs = exchange(BodyMode.BUFFERED, BodyMode.BUFFERED, chunks=1)
    msgs[1] = body_message("request_body", b"please BLOCK", True)
    responses = run(msgs, _Rewriting())
    assert len(responses) == 2
    assert responses[1].immediate_response.status.code == 403


def test_streamed_response_block_goes_in_stream() -> None:
    msgs = exchange(BodyMode.STREAMED, BodyMode.STREAMED)
    msgs[-2] = body_message("response_body", b"BLOCK", False)
    responses = run(msgs, _Rewriting())
    bodies = [
        r.response_body.response.body_mutation.body
        for r in responses
        if r.HasField("response_body")
    ]
    # headers already left: the error is in the stream, later chunks swallowed
    assert bodies[1] == b"data: error\n\n"
    assert bodies[2] == b""
    assert not any(r.HasField("immediate_response") for r in responses)


class _Recording(_Rewriting):
    """Asks for a buffered body at the headers and notes how each body arrives."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def headers(
        self, direction: Direction, headers: Headers, end_of_stream: bool, mode: BodyMode
    ) -> Verdict:
        return Verdict(body_mode=BodyMode.BUFFERED)

    def body(self, direction: Direction, body: bytes, complete: bool) -> Verdict:
        self.seen.append(f"whole {body!r}")
        return super().body(direction, body, complete)

    def stream(self, direction: Direction) -> BodyStream:
        self.seen.append("stream")
        return super().stream(direction)


def test_observability_mode_gets_no_answers_and_keeps_the_stream_mode() -> None:
    """Envoy's "send and go": no protocol_config, every message marked; answers
    (a mode override among them) would be ignored, so none is sent and the
    bodies, which come STREAMED, are read as a stream."""
    msgs = exchange(BodyMode.NONE, BodyMode.NONE)
    msgs[0].ClearField("protocol_config")  # Envoy sends no modes then
    for msg in msgs:
        msg.observability_mode = True
    inspector = _Recording()
    assert run(msgs, inspector) == []
    assert inspector.seen == ["stream", "stream"]
