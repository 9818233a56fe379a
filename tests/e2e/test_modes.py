"""Every processing mode of Envoy 1.40, through the real Envoy: nothing hangs,
nothing is lost, clean traffic passes byte-identical both ways."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from extproc.demo.model import Received, Reply
from harness.stack import Stack, envoy_stat, running_stack
from tests.e2e.conftest import assert_processor_healthy

CHAT = json.dumps(
    {
        "model": "demo",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Summarise the quarterly plan. " * 60},
        ],
    }
).encode()

MODES: dict[str, dict[str, str]] = {
    "none": {"request_body_mode": "NONE", "response_body_mode": "NONE"},
    "buffered": {"request_body_mode": "BUFFERED", "response_body_mode": "BUFFERED"},
    "buffered_partial": {
        "request_body_mode": "BUFFERED_PARTIAL",
        "response_body_mode": "BUFFERED_PARTIAL",
    },
    "streamed": {"request_body_mode": "STREAMED", "response_body_mode": "STREAMED"},
    "full_duplex": {
        "request_body_mode": "FULL_DUPLEX_STREAMED",
        "response_body_mode": "FULL_DUPLEX_STREAMED",
        "request_trailer_mode": "SEND",
        "response_trailer_mode": "SEND",
    },
    "headers_skip_streamed": {
        "request_header_mode": "SKIP",
        "response_header_mode": "SKIP",
        "request_body_mode": "STREAMED",
        "response_body_mode": "STREAMED",
    },
    "headers_skip_buffered": {
        "request_header_mode": "SKIP",
        "response_header_mode": "SKIP",
        "request_body_mode": "BUFFERED",
        "response_body_mode": "BUFFERED",
    },
}

POLICIES = {"noop": None, "default": Path("policies/default.yaml")}


@pytest.fixture(scope="module", params=[(m, p) for m in MODES for p in POLICIES], ids=str)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    mode, policy = request.param
    workdir = tmp_path_factory.mktemp(f"{mode}-{policy}")
    with running_stack(workdir, policy=POLICIES[policy], processing_mode=MODES[mode]) as s:
        yield s


def echo_reply(received: Received) -> Reply:
    """Answer with exactly what was sent, in three chunks (chunked encoding)."""
    body = received.body
    third = max(1, len(body) // 3)
    chunks = tuple(c for c in (body[:third], body[third : 2 * third], body[2 * third :]) if c)
    return Reply(
        headers=(("content-type", "application/octet-stream"),),
        chunks=chunks or (b"",),
        chunk_delay=0.01,
    )


def h1(
    stack: Stack,
    method: str,
    path: str,
    body: bytes | None = None,
    chunked: bool = False,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", stack.listen, timeout=10)
    try:
        hdrs = {"content-type": "application/json", **(headers or {})}
        if chunked and body is not None:
            pieces = [body[i : i + 700] for i in range(0, len(body), 700)]
            conn.request(method, path, body=iter(pieces), headers=hdrs, encode_chunked=True)
        else:
            conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def test_get_without_body(stack: Stack) -> None:
    stack.upstream.script = None
    status, _, body = h1(stack, "GET", "/healthz")
    assert status == 200, stack.logs()
    assert body == b"ok"
    assert stack.upstream.received[-1].method == "GET"


def test_post_chat_byte_identical(stack: Stack) -> None:
    stack.upstream.script = echo_reply
    status, headers, body = h1(stack, "POST", "/v1/chat/completions", CHAT)
    assert status == 200, stack.logs()
    assert stack.upstream.received[-1].body == CHAT
    assert body == CHAT
    assert "x-risk-blocked" not in headers


def test_chunked_request_body(stack: Stack) -> None:
    stack.upstream.script = echo_reply
    status, _, body = h1(stack, "POST", "/v1/chat/completions", CHAT, chunked=True)
    assert status == 200, stack.logs()
    assert stack.upstream.received[-1].body == CHAT
    assert body == CHAT


def test_empty_post_body(stack: Stack) -> None:
    stack.upstream.script = lambda r: Reply(status=204, chunks=())
    status, _, body = h1(stack, "POST", "/v1/chat/completions", b"")
    assert status == 204, stack.logs()
    assert body == b""
    assert stack.upstream.received[-1].body == b""


def test_large_streamed_answer(stack: Stack) -> None:
    pieces = tuple(f"line {i} of a long clean answer\n".encode() * 40 for i in range(30))
    stack.upstream.script = lambda r: Reply(
        headers=(("content-type", "text/plain"),), chunks=pieces, chunk_delay=0.002
    )
    status, _, body = h1(stack, "GET", "/v1/stream")
    assert status == 200, stack.logs()
    assert body == b"".join(pieces)


def test_http2_client(stack: Stack) -> None:
    stack.upstream.script = echo_reply
    with httpx.Client(http1=False, http2=True, timeout=10) as client:
        for _ in range(3):
            r = client.post(f"{stack.url}/v1/chat/completions", content=CHAT)
            assert r.status_code == 200, stack.logs()
            assert r.http_version == "HTTP/2"
            assert r.content == CHAT
    assert stack.upstream.received[-1].body == CHAT


def test_no_processor_errors(stack: Stack) -> None:
    # Every exchange above was processed: no failed or timed-out ext_proc streams.
    assert_processor_healthy(stack)
    assert envoy_stat(stack.admin, "http.llm.ext_proc.streams_started") > 0
