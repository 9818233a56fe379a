"""AWS event stream frames: what we encode botocore's own parser reads (CRCs
checked), a corrupt frame is noticed, a rewritten frame gets new lengths and
CRCs, and a block is an exception frame botocore raises as an error."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.eventstream import EventStreamBuffer

from extproc.rewrite.eventstream import (
    BadFrame,
    EventStreamRewriter,
    decode,
    encode,
    event_frame,
    exception_frame,
    frame_length,
)
from tests.e2e import wire
from tests.rewrite.rig import error, holdback, whole


def parsed(data: bytes) -> list[object]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def test_botocore_reads_our_frames() -> None:
    frame = event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "hé"}})
    (message,) = parsed(frame)
    assert message.headers[":event-type"] == "contentBlockDelta"  # type: ignore[attr-defined]
    assert json.loads(message.payload)["delta"]["text"] == "hé"  # type: ignore[attr-defined]
    assert encode(decode(frame)) == frame


def test_a_corrupt_frame_is_noticed() -> None:
    frame = bytearray(event_frame("x", {"a": 1}))
    frame[-6] ^= 1
    with pytest.raises(BadFrame):
        decode(bytes(frame))
    frame[5] ^= 1  # the prelude
    with pytest.raises(BadFrame):
        frame_length(bytes(frame))


def test_wrapped_model_events_are_rewritten_inside_their_base64() -> None:
    rewriter = EventStreamRewriter(holdback, whole, error)
    body = b"".join(wire.invoke_stream(["card ", "4111 ", "1111 ", "1111 ", "1111", " ok"]))
    out = rewriter.feed(body).data + rewriter.finish().data
    inner = [json.loads(base64.b64decode(json.loads(m.payload)["bytes"])) for m in parsed(out)]  # type: ignore[attr-defined]
    text = "".join(e["delta"]["text"] for e in inner if e["type"] == "content_block_delta")
    assert text == "card [CARD] ok"


def test_the_exception_frame_is_an_error_for_botocore() -> None:
    (message,) = parsed(exception_frame("blocked by policy"))
    assert message.headers[":message-type"] == "exception"  # type: ignore[attr-defined]
    assert json.loads(message.payload) == {"message": "blocked by policy"}  # type: ignore[attr-defined]
