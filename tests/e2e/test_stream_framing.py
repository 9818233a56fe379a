"""SSE as servers really send it, and time to first token, through the real
Envoy: a BOM and mixed line endings, JSON-string data (LangServe), an event
larger than 1 MiB arriving in pieces, SSE labelled ``text/plain`` or not
labelled at all; and for every streamed framing, the client holds the first
event before the upstream has sent the second."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest

from harness.scripted import Answer, Request, ScriptedUpstream
from harness.stack import Stack
from tests.e2e import wire
from tests.e2e.conftest import DATA, StackFor, assert_processor_healthy
from tests.e2e.test_formats import assert_clean, sse_data
from tests.e2e.wire import REDACTED, WORDS

POLICY = DATA / "example.yaml"


@pytest.fixture(scope="module")
def stack(stack_for: StackFor) -> Stack:
    return stack_for(policy=POLICY, upstream=ScriptedUpstream())


def serve(
    stack: Stack,
    pieces: Sequence[bytes],
    headers: tuple[tuple[str, str], ...],
    delays: tuple[float, ...] = (0.002,),
) -> None:
    def answer(_r: Request) -> Answer:
        return Answer(tuple(pieces), headers=headers, delays=delays)

    stack.upstream.answer = answer
    stack.upstream.sent_at.clear()


def fetch(stack: Stack, path: str = "/v1/chat/completions") -> bytes:
    with httpx.stream("POST", stack.url + path, json={"stream": True}, timeout=30) as r:
        assert r.status_code == 200
        return b"".join(r.iter_raw())


def chat_chunk(text: str) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }


def chat_text(events: list[Any]) -> str:
    return "".join(c["delta"].get("content") or "" for e in events for c in e["choices"])


def test_bom_and_mixed_line_endings(stack: Stack) -> None:
    endings = [b"\n\n", b"\r\n\r\n", b"\n\r\n", b"\r\r", b"\r\n\n"]
    events = [
        b"data: " + wire.dumps(chat_chunk(w)) + endings[i % len(endings)]
        for i, w in enumerate(WORDS)
    ]
    events[0] = b"\xef\xbb\xbf" + events[0]
    serve(
        stack,
        wire.rechunk([*events, b"data: [DONE]\r\n\r\n"], 5),
        (("content-type", "text/event-stream"),),
    )
    data = fetch(stack)
    assert data.startswith(b"\xef\xbb\xbf")  # passed on as the upstream sent it
    assert_clean(data)
    assert chat_text(spec_events(data)) == REDACTED


def spec_events(data: bytes) -> list[Any]:
    """Events as the SSE specification reads them: a leading BOM skipped, lines
    ending in CRLF, LF or CR, an empty line ending an event."""
    events, lines = [], []
    for line in re.split(r"\r\n|\r|\n", data.decode().removeprefix("\ufeff")):
        if line:
            lines.append(line)
            continue
        payload = "\n".join(x[5:].removeprefix(" ") for x in lines if x.startswith("data:"))
        if payload and payload != "[DONE]":
            events.append(json.loads(payload))
        lines = []
    return events


def test_json_string_data_stays_a_json_string(stack: Stack) -> None:
    # LangServe's /stream: each event's data is a JSON string.
    events = [b"event: data\ndata: " + json.dumps(w).encode() + b"\n\n" for w in WORDS]
    serve(
        stack,
        wire.rechunk([*events, b"event: end\n\n"], 6),
        (("content-type", "text/event-stream"),),
    )
    data = fetch(stack, "/chain/stream")
    assert_clean(data)
    values = sse_data(data)
    assert all(isinstance(v, str) for v in values)
    assert "".join(values) == REDACTED


def test_event_larger_than_a_mebibyte_keeps_per_field_streams(stack: Stack) -> None:
    # One tool-call event of 1.5 MiB, cut into 64 KiB writes, with the key inside
    # it cut in two; the card split between its end and the next event.
    filler = "lorem ipsum dolor " * 90_000
    middle = len(filler) // 2
    args = filler[:middle] + "key AKIA" + "IOSFODNN7EXAMPLE " + filler[middle:] + "card 4111 1111"

    def call(arguments: str) -> dict[str, Any]:
        delta = {"tool_calls": [{"index": 0, "function": {"arguments": arguments}}]}
        return {
            "id": "c1",
            "object": "chat.completion.chunk",
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        }

    big = b"data: " + wire.dumps(call(args)) + b"\n\n"
    assert len(big) > 1024 * 1024
    rest = b"data: " + wire.dumps(call(" 1111 1111 done")) + b"\n\ndata: [DONE]\n\n"
    pieces = [big[i : i + 65536] for i in range(0, len(big), 65536)] + [rest]
    serve(stack, pieces, (("content-type", "text/event-stream"),))
    data = fetch(stack)
    for fragment in ("AKIA", "IOSFODNN", "4111", "1111"):
        assert fragment.encode() not in data, fragment
    joined = "".join(
        call["function"]["arguments"]
        for e in sse_data(data)
        for call in e["choices"][0]["delta"].get("tool_calls", [])
    )
    assert "key [REDACTED:secret/aws_access_key] " in joined
    assert joined.endswith("card [REDACTED:pii/credit_card] done")
    assert joined.replace("[REDACTED:secret/aws_access_key]", "").startswith(filler[:middle])


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", None])
def test_evident_sse_under_another_label(stack: Stack, content_type: str | None) -> None:
    events = [b"data: " + wire.dumps(chat_chunk(w)) + b"\n\n" for w in WORDS]
    headers = (("content-type", content_type),) if content_type else ()
    serve(stack, wire.rechunk([*events, b"data: [DONE]\n\n"], 8), headers)
    data = fetch(stack)
    assert_clean(data)
    assert chat_text(sse_data(data)) == REDACTED


# -- time to first token ------------------------------------------------------

FIRST = "Hello"


def _sse_first(data: bytes) -> bool:
    return b"\n\n" in data and FIRST.encode() in data


def _line_first(data: bytes) -> bool:
    return b"\n" in data and FIRST.encode() in data


def _frame_first(data: bytes) -> bool:
    from extproc.rewrite.eventstream import frame_length

    length = frame_length(data) if len(data) >= 12 else None
    return length is not None and len(data) >= length


STREAMS: dict[
    str, tuple[Callable[[Sequence[str]], tuple[bytes, ...]], str, Callable[[bytes], bool]]
] = {
    "sse": (lambda w: wire.sse(*(chat_chunk(x) for x in w)), "text/event-stream", _sse_first),
    "ndjson": (wire.ollama_chat, "application/x-ndjson", _line_first),
    "json-array": (wire.gemini_array, "application/json", lambda d: FIRST.encode() in d),
    "eventstream": (wire.converse_stream, "application/vnd.amazon.eventstream", _frame_first),
}


@pytest.mark.parametrize("kind", list(STREAMS))
def test_first_event_arrives_before_the_second_is_sent(stack: Stack, kind: str) -> None:
    build, content_type, has_first = STREAMS[kind]
    words = [FIRST + " ", "world, ", "again."]
    pieces = build(words)
    if kind == "eventstream":
        pieces = (pieces[0] + pieces[1], *pieces[2:])  # messageStart with the first delta
    serve(stack, pieces, (("content-type", content_type),), delays=(0.0, 1.0))
    path = "/v1beta/models/g:streamGenerateContent" if kind == "json-array" else "/api/chat"
    received = b""
    first_at = None
    with httpx.stream("POST", stack.url + path, json={}, timeout=30) as r:
        for piece in r.iter_raw():
            received += piece
            if first_at is None and has_first(received):
                first_at = time.monotonic()
    assert first_at is not None
    sent = stack.upstream.sent_at
    assert len(sent) >= 2
    assert first_at < sent[1], f"first event after the second was sent ({first_at - sent[1]:.3f}s)"


def test_no_processor_errors(stack: Stack) -> None:
    assert_processor_healthy(stack)
