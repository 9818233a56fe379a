"""Streamed answers through the real Envoy: values split over SSE events and
TCP chunks never reach the client, whole or in part; everything else does."""

from __future__ import annotations

import json
import random

import httpx
import pytest

from extproc.demo.model import Reply, anthropic_sse, openai_sse
from harness.stack import Stack
from tests.e2e.conftest import CHAT_PATH, DATA, StackFor, assert_processor_healthy, chat, post

POLICY = DATA / "example.yaml"
AWS_PARTS = ["AKIA", "IOSF", "ODNN", "7EXA", "MPLE"]  # AWS's documented example key
AWS_KEY = "".join(AWS_PARTS)
CARD_PARTS = ["4111 ", "1111 ", "1111 ", "1111"]
CARD = "".join(CARD_PARTS)
WORDS = [
    "Here ", "is ", "the ", "key: ", *AWS_PARTS, " and ", "the ", "card ", *CARD_PARTS,
    " for ", "the ", "order. ", "Thanks!",
]  # fmt: skip


@pytest.fixture(scope="module")
def stack(stack_for: StackFor) -> Stack:
    return stack_for(policy=POLICY)


def rechunk(events: tuple[bytes, ...], seed: int) -> tuple[bytes, ...]:
    """The same bytes cut at random places: events split over TCP writes and merged."""
    data = b"".join(events)
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), k=min(len(data) - 1, len(events) + 5)))
    return tuple(data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True))


def stream(stack: Stack, events: tuple[bytes, ...]) -> tuple[httpx.Response, bytes, list[bytes]]:
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "text/event-stream"),), chunks=events, chunk_delay=0.005
    )
    pieces: list[bytes] = []
    with httpx.stream(
        "POST",
        f"{stack.url}{CHAT_PATH}",
        json=chat("hi", stream=True),
        timeout=10,
    ) as r:
        for piece in r.iter_raw():
            pieces.append(piece)
    return r, b"".join(pieces), pieces


def data_events(raw: bytes) -> list[str]:
    out = []
    for block in raw.decode().split("\n\n"):
        data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
        if data:
            out.append("\n".join(data))
    return out


def openai_text(raw: bytes) -> str:
    text = []
    for data in data_events(raw):
        if data == "[DONE]":
            continue
        obj = json.loads(data)  # every event stays valid JSON
        for choice in obj.get("choices", []):
            text.append(choice.get("delta", {}).get("content") or "")
    return "".join(text)


def assert_no_fragment(raw: bytes) -> None:
    for fragment in [*AWS_PARTS, CARD, "4111", "1111"]:
        assert fragment.encode() not in raw, fragment


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_openai_stream_split_values(stack: Stack, seed: int) -> None:
    r, raw, _ = stream(stack, rechunk(openai_sse(WORDS), seed))
    assert r.status_code == 200, stack.logs()
    assert_no_fragment(raw)
    text = openai_text(raw)
    assert text == (
        "Here is the key: [REDACTED:secret/aws_access_key] and the card "
        "[REDACTED:pii/credit_card] for the order. Thanks!"
    )
    assert data_events(raw)[-1] == "[DONE]"


def test_anthropic_stream_split_values(stack: Stack) -> None:
    r, raw, _ = stream(stack, rechunk(anthropic_sse(WORDS), 7))
    assert r.status_code == 200, stack.logs()
    assert_no_fragment(raw)
    text = []
    types = []
    for data in data_events(raw):
        obj = json.loads(data)
        types.append(obj["type"])
        if obj["type"] == "content_block_delta":
            text.append(obj["delta"]["text"])
    assert "".join(text) == (
        "Here is the key: [REDACTED:secret/aws_access_key] and the card "
        "[REDACTED:pii/credit_card] for the order. Thanks!"
    )
    assert types[-1] == "message_stop"
    assert types.index("content_block_stop") > max(
        i for i, t in enumerate(types) if t == "content_block_delta"
    )


def test_first_words_arrive_before_the_end(stack: Stack) -> None:
    # Time to first token: clean words are released as they come, not at the end.
    words = [f"word{i} " for i in range(40)]
    _, raw, pieces = stream(stack, openai_sse(words))
    assert openai_text(raw) == "".join(words)
    assert len(pieces) > 10  # delivered incrementally, not in one final burst


def tool_call_events(parts: list[str]) -> tuple[bytes, ...]:
    def event(delta: dict[str, object]) -> bytes:
        chunk = {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        }
        return f"data: {json.dumps(chunk)}\n\n".encode()

    head = event(
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "store", "arguments": ""},
                }
            ],
        }
    )
    args = [event({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in parts]
    return (head, *args, b"data: [DONE]\n\n")


def test_key_split_in_tool_call_arguments(stack: Stack) -> None:
    parts = ['{"secret": "', "AKIA", "IOSF", "ODNN7", "EXAMPLE", '", "n": 1}']
    r, raw, _ = stream(stack, tool_call_events(parts))
    assert r.status_code == 200, stack.logs()
    assert_no_fragment(raw)
    args = ""
    for data in data_events(raw):
        if data == "[DONE]":
            continue
        for call in json.loads(data)["choices"][0]["delta"].get("tool_calls", []):
            args += call["function"].get("arguments", "")
    assert json.loads(args) == {"secret": "[REDACTED:secret/aws_access_key]", "n": 1}


def test_no_processor_errors(stack: Stack) -> None:
    assert_processor_healthy(stack)


def gzip_reply(body: bytes, content_type: str, chunks: int = 1) -> Reply:
    import gzip

    data = gzip.compress(body)
    step = max(1, len(data) // chunks)
    pieces = tuple(data[i : i + step] for i in range(0, len(data), step))
    return Reply(
        headers=(("content-type", content_type), ("content-encoding", "gzip")),
        chunks=pieces,
        chunk_delay=0.005,
    )


def test_gzip_json_answer_is_decoded_and_redacted(stack: Stack) -> None:
    from extproc.demo.model import openai_json

    ssn, email = "536-22-" + "8214", "jane.doe@" + "contoso.org"
    body = openai_json(f"SSN {ssn}, mail {email}.")
    stack.upstream.script = lambda _r: gzip_reply(body, "application/json")
    r = httpx.post(
        f"{stack.url}/v1/chat/completions",
        json={"model": "demo", "messages": [{"role": "user", "content": "hi"}]},
        headers={"accept-encoding": "gzip"},
        timeout=10,
    )
    assert r.status_code == 200, stack.logs()
    # The upstream was asked for identity, and what came gzip left identity-encoded.
    assert "accept-encoding" not in stack.upstream.received[-1].headers
    assert "content-encoding" not in r.headers
    assert r.content.startswith(b"{")
    content = r.json()["choices"][0]["message"]["content"]
    assert content == "SSN [REDACTED:pii/us_ssn], mail [REDACTED:pii/email]."
    assert int(r.headers["content-length"]) == len(r.content)


def test_gzip_sse_stream_is_decoded_and_redacted(stack: Stack) -> None:
    body = b"".join(openai_sse(WORDS))
    stack.upstream.script = lambda _r: gzip_reply(body, "text/event-stream", chunks=6)
    with httpx.stream(
        "POST", f"{stack.url}/v1/chat/completions", json={"stream": True}, timeout=10
    ) as r:
        raw = r.read()
    assert r.status_code == 200, stack.logs()
    assert "content-encoding" not in r.headers
    assert_no_fragment(raw)
    assert "[REDACTED:secret/aws_access_key]" in openai_text(raw)


def test_undecodable_encoding_is_blocked(stack: Stack) -> None:
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "application/json"), ("content-encoding", "zstd-unknown")),
        chunks=(b"\x28\xb5\x2f\xfd binary",),
    )
    r = post(stack, {})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "undecodable_content_encoding"


def test_gzip_bomb_is_refused(stack: Stack) -> None:
    import gzip

    bomb = gzip.compress(b"0" * (64 * 1024 * 1024))  # 64 MiB of zeros in ~64 KB
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "application/json"), ("content-encoding", "gzip")),
        chunks=(bomb,),
    )
    r = post(stack, {})
    assert r.status_code == 413, stack.logs()
    assert r.json()["error"]["code"] == "body_too_large"


@pytest.fixture(scope="module")
def blocking(stack_for: StackFor) -> Stack:
    return stack_for(policy=DATA / "block_answers.yaml")


def test_block_mid_stream_ends_with_error_event(blocking: Stack) -> None:
    token = ["ghp_", "a1B2c3D4e5F6", "g7H8i9J0k1L2", "m3N4o5P6q7R8"]
    words = ["Sure, ", "here ", "it ", "is: ", *token, " enjoy ", "it."]
    r, raw, _ = stream(blocking, rechunk(openai_sse(words), 3))
    assert r.status_code == 200  # headers had left before the token came
    for part in token:
        assert part.encode() not in raw
    events = data_events(raw)
    error = json.loads(events[-1])["error"]
    assert error["type"] == "data_leakage_prevention"
    assert error["detectors"] == ["secret/github_token"]
    assert openai_text(b"\n\n".join(f"data: {e}".encode() for e in events[:-1])) == (
        "Sure, here it is: "
    )


def test_block_buffered_answer_is_403(blocking: Stack) -> None:
    from extproc.demo.model import openai_json

    body = openai_json("the token is ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8")
    blocking.upstream.script = lambda _r: Reply(
        headers=(("content-type", "application/json"),), chunks=(body,)
    )
    r = post(blocking, {})
    assert r.status_code == 403
    assert "ghp_" not in r.text
    assert r.json()["error"]["message"].startswith("The answer was blocked")


def test_streamed_decision_reaches_the_access_log(stack: Stack) -> None:
    from harness.stack import wait_for

    stack.upstream.script = None
    _, raw, _ = stream(stack, openai_sse(["mail ", "jane.doe@", "contoso.org", " now"]))
    assert b"contoso" not in raw
    assert stack.envoy is not None
    envoy = stack.envoy

    def logged() -> bool:
        for line in reversed(envoy.output().splitlines()):
            if line.startswith("{") and '"dlp"' in line:
                entry = json.loads(line)
                return bool(entry["dlp"] and entry["dlp"].get("response") == "redacted")
        return False

    wait_for(logged, "the access log line", 10, 0.1)
