"""The demo upstream, driven over real loopback sockets."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extproc.demo.model import (
    CUSTOMER_RECORD,
    Received,
    Reply,
    anthropic_sse,
    openai_json,
    openai_sse,
    split_words,
)
from extproc.demo.upstream import DemoUpstream

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 5.0


@pytest.fixture
def upstream() -> Iterator[DemoUpstream]:
    with DemoUpstream() as server:
        yield server


def _connect(upstream: DemoUpstream) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", upstream.port, timeout=TIMEOUT)


def _chat(content: Any, **extra: Any) -> bytes:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": content},
    ]
    return json.dumps({"model": "gpt-demo", "messages": messages, **extra}).encode()


def _post(
    upstream: DemoUpstream, path: str, body: bytes, headers: dict[str, str] | None = None
) -> tuple[http.client.HTTPResponse, bytes]:
    conn = _connect(upstream)
    try:
        conn.request("POST", path, body, {"content-type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def _sse_events(body: bytes) -> list[bytes]:
    assert body.endswith(b"\n\n")
    return [event for event in body.split(b"\n\n") if event]


def _raw(upstream: DemoUpstream, request: bytes) -> bytes:
    """Send raw bytes; read until the server closes or a whole response has arrived."""
    with socket.create_connection(("127.0.0.1", upstream.port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        data = b""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
            head, sep, rest = data.partition(b"\r\n\r\n")
            length = [
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ]
            if sep and length and len(rest) >= length[0]:
                break
        return data


# --- default behaviour


def test_chat_completion_echoes_last_user_message(upstream: DemoUpstream) -> None:
    body = _chat("my card is [REDACTED]")
    response, data = _post(upstream, "/v1/chat/completions", body, {"x-trace": "t1"})

    assert response.status == 200
    assert response.getheader("content-type") == "application/json"
    answer = json.loads(data)
    assert answer["object"] == "chat.completion"
    assert answer["model"] == "gpt-demo"
    assert answer["choices"][0]["message"] == {
        "role": "assistant",
        "content": "You said: my card is [REDACTED]",
    }
    [received] = upstream.received
    assert (received.method, received.path, received.body) == ("POST", "/v1/chat/completions", body)
    assert received.headers["x-trace"] == "t1"
    assert received.headers["content-length"] == str(len(body))
    assert all(name == name.lower() for name in received.headers)


def test_chat_completion_reads_content_parts(upstream: DemoUpstream) -> None:
    parts = [
        {"type": "text", "text": "one "},
        {"type": "image_url"},
        {"type": "text", "text": "two"},
    ]
    _, data = _post(upstream, "/v1/chat/completions", _chat(parts))
    assert json.loads(data)["choices"][0]["message"]["content"] == "You said: one two"


def test_streamed_chat_completion_is_sse(upstream: DemoUpstream) -> None:
    response, data = _post(upstream, "/v1/chat/completions", _chat("héllo big world", stream=True))

    assert response.status == 200
    assert response.getheader("content-type", "").startswith("text/event-stream")
    assert response.getheader("transfer-encoding") == "chunked"
    *events, done = _sse_events(data)
    assert done == b"data: [DONE]"
    chunks = [json.loads(event.removeprefix(b"data: ")) for event in events]
    assert all(event.startswith(b"data: {") for event in events)
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert len(chunks) == 5  # one per word
    text = "".join(chunk["choices"][0]["delta"]["content"] for chunk in chunks)
    assert text == "You said: héllo big world"
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert [c["choices"][0]["finish_reason"] for c in chunks][-2:] == [None, "stop"]


@pytest.mark.parametrize("stream", [False, True])
def test_the_customer_record_is_streamed_in_pieces_that_split_its_values(
    upstream: DemoUpstream, stream: bool
) -> None:
    response, data = _post(
        upstream, "/v1/chat/completions", _chat("Show me the Customer Record", stream=stream)
    )
    assert response.status == 200
    if not stream:
        assert json.loads(data)["choices"][0]["message"]["content"] == CUSTOMER_RECORD
        return
    *events, _done = _sse_events(data)
    pieces = [
        json.loads(e.removeprefix(b"data: "))["choices"][0]["delta"]["content"] for e in events
    ]
    assert "".join(pieces) == CUSTOMER_RECORD
    for value in ("jane.doe@contoso.org", "4111 1111 1111 1111"):
        assert value in CUSTOMER_RECORD and not any(value in p for p in pieces)


def test_embeddings(upstream: DemoUpstream) -> None:
    response, data = _post(upstream, "/v1/embeddings", b'{"input": ["a", "b"], "model": "e"}')
    assert response.status == 200
    answer = json.loads(data)
    assert [item["index"] for item in answer["data"]] == [0, 1]
    assert all(len(item["embedding"]) == 8 for item in answer["data"])
    assert answer["data"][0]["embedding"] != answer["data"][1]["embedding"]


def test_healthz(upstream: DemoUpstream) -> None:
    conn = _connect(upstream)
    conn.request("GET", "/healthz")
    response = conn.getresponse()
    assert (response.status, response.read()) == (200, b"ok")
    conn.close()


# --- errors: answered, never fatal


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("GET", "/v1/models", b"", 404, "Unknown request URL: GET /v1/models"),
        ("GET", "/v1/chat/completions", b"", 404, "Unknown request URL"),
        ("POST", "/v1/chat/completions", b"{not json", 400, "could not parse the JSON"),
        ("POST", "/v1/chat/completions", b"\xff\xfe", 400, "could not parse the JSON"),
        ("POST", "/v1/chat/completions", b"[" * 100_000, 400, "could not parse the JSON"),
        ("POST", "/v1/chat/completions", b"[1]", 400, "must be a JSON object"),
        ("POST", "/v1/chat/completions", b'{"messages": 3}', 400, "'messages'"),
        ("POST", "/v1/embeddings", b'{"input": []}', 400, "'input'"),
    ],
)
def test_errors_are_openai_style(
    upstream: DemoUpstream, method: str, path: str, body: bytes, status: int, message: str
) -> None:
    conn = _connect(upstream)
    conn.request(method, path, body or None)
    response = conn.getresponse()
    error = json.loads(response.read())["error"]
    assert response.status == status
    assert message in error["message"]
    assert error["type"] == "invalid_request_error"
    # the connection stays usable after an answered error
    conn.request("GET", "/healthz")
    assert conn.getresponse().read() == b"ok"
    conn.close()


def test_oversized_bodies_get_413_without_reading_them() -> None:
    with DemoUpstream(max_body=1024) as upstream:
        started = time.monotonic()
        data = _raw(upstream, b"POST /v1/chat/completions HTTP/1.1\r\ncontent-length: 1025\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 413 ")
        assert b"\r\nConnection: close\r\n" in data
        assert time.monotonic() - started < TIMEOUT / 2  # did not wait for the body

        chunks = b"400\r\n" + b"x" * 1024 + b"\r\n1\r\nx\r\n0\r\n\r\n"
        data = _raw(
            upstream,
            b"POST /v1/embeddings HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n" + chunks,
        )
        assert data.startswith(b"HTTP/1.1 413 ")
        assert upstream.received == []


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /v1/embeddings HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
        b"POST /v1/embeddings HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n0x2\r\nab\r\n0\r\n\r\n",
        b"POST /v1/embeddings HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        b"POST /v1/embeddings HTTP/1.1\r\ntransfer-encoding: gzip\r\n\r\n",
        b"POST /v1/embeddings HTTP/1.1\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n",
        b"POST /v1/embeddings HTTP/1.1\r\ncontent-length: -1\r\n\r\n",
        b"POST /v1/embeddings HTTP/1.1\r\ncontent-length: \xb2\r\n\r\n",
        b"POST /v1/embeddings HTTP/1.1\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
    ],
    ids=[
        "size",
        "0x-size",
        "overlong-chunk",
        "gzip",
        "both",
        "negative",
        "superscript",
        "two-lengths",
    ],
)
def test_malformed_framing_gets_400_and_close(upstream: DemoUpstream, request_bytes: bytes) -> None:
    data = _raw(upstream, request_bytes)
    assert data.startswith(b"HTTP/1.1 400 "), data[:80]
    assert b"\r\nConnection: close\r\n" in data
    assert upstream.received == []


def test_body_cut_short_closes_quietly(upstream: DemoUpstream) -> None:
    with socket.create_connection(("127.0.0.1", upstream.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"POST /v1/embeddings HTTP/1.1\r\ncontent-length: 10\r\n\r\nabc")
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(65536).startswith(b"HTTP/1.1 400 ")
    _, data = _post(upstream, "/v1/embeddings", b'{"input": "still serving"}')
    assert json.loads(data)["object"] == "list"


def test_failing_script_answers_500(upstream: DemoUpstream) -> None:
    def boom(received: Received) -> Reply:
        raise RuntimeError("script bug")

    upstream.script = boom
    response, data = _post(upstream, "/anything", b"")
    assert response.status == 500
    assert json.loads(data)["error"]["type"] == "server_error"


# --- chunked requests, scripted replies, keep-alive


def test_chunked_request_body_is_decoded(upstream: DemoUpstream) -> None:
    pieces = [b'{"model": "m", ', b'"messages": [{"role": "user", ', b'"content": "chunked"}]}']
    conn = _connect(upstream)
    conn.request(
        "POST",
        "/v1/chat/completions",
        iter(pieces),
        {"content-type": "application/json", "transfer-encoding": "chunked"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    assert json.loads(response.read())["choices"][0]["message"]["content"] == "You said: chunked"
    conn.close()
    [received] = upstream.received
    assert received.body == b"".join(pieces)
    assert received.headers["transfer-encoding"] == "chunked"


def test_chunk_extensions_and_trailers_are_accepted(upstream: DemoUpstream) -> None:
    body = b'{"input": "x"}'
    data = _raw(
        upstream,
        b"POST /v1/embeddings HTTP/1.1\r\nhost: demo\r\ntransfer-encoding: chunked\r\n\r\n"
        + b"%x;name=value\r\n%s\r\n" % (len(body), body)
        + b"0\r\nx-checksum: abc\r\n\r\n",
    )
    assert data.startswith(b"HTTP/1.1 200 ")
    assert upstream.received[0].body == body


@pytest.mark.parametrize("chunked", [True, False])
def test_scripted_chunks_arrive_as_separate_reads(upstream: DemoUpstream, chunked: bool) -> None:
    delay = 0.2
    pieces = (b"data: one\n\n", b"data: two\n\n", b"data: three\n\n")
    upstream.script = lambda received: Reply(
        201, (("x-scripted", "yes"),), pieces, chunk_delay=delay, chunked=chunked
    )
    conn = _connect(upstream)
    conn.request("POST", "/v1/chat/completions", b"{}")
    response = conn.getresponse()
    assert response.status == 201 and response.getheader("x-scripted") == "yes"
    assert (response.getheader("transfer-encoding") == "chunked") is chunked

    reads: list[tuple[float, bytes]] = []
    for _ in range(20):  # bounded: three pieces expected
        piece = response.read1(65536)
        if not piece:
            break
        reads.append((time.monotonic(), piece))
    conn.close()

    assert [piece for _, piece in reads] == list(pieces)
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(reads)]
    assert all(gap >= delay * 0.6 for gap in gaps), gaps
    assert upstream.received[0].body == b"{}"


def test_reply_framing_defaults() -> None:
    with DemoUpstream() as upstream:
        upstream.script = lambda received: Reply(
            headers=(("content-length", "999"),),  # ignored: framing is computed
            chunks=(b"a", b"b") if received.path == "/two" else (b"ab",),
        )
        conn = _connect(upstream)
        for path, expect_chunked in (("/two", True), ("/one", False)):
            conn.request("GET", path)
            response = conn.getresponse()
            assert response.read() == b"ab"
            assert (response.getheader("transfer-encoding") == "chunked") is expect_chunked
            assert response.getheader("content-length") == (None if expect_chunked else "2")
        conn.close()


def test_no_content_reply_has_no_framing(upstream: DemoUpstream) -> None:
    upstream.script = lambda received: Reply(status=204, chunks=(b"dropped",))
    conn = _connect(upstream)
    for _ in range(2):  # the connection stays in sync after a bodiless answer
        conn.request("POST", "/v1/chat/completions", b"")
        response = conn.getresponse()
        assert response.status == 204 and response.read() == b""
        assert response.getheader("content-length") is None
        assert response.getheader("transfer-encoding") is None
    conn.close()


def test_keep_alive_serves_two_requests_on_one_connection(upstream: DemoUpstream) -> None:
    conn = _connect(upstream)
    conn.request("POST", "/v1/chat/completions", _chat("first", stream=True))
    first = conn.getresponse()
    first.read()
    assert not first.will_close
    sock = conn.sock
    assert sock is not None
    conn.request("POST", "/v1/chat/completions", _chat("second"))
    second = conn.getresponse()
    assert json.loads(second.read())["choices"][0]["message"]["content"] == "You said: second"
    assert conn.sock is sock  # the same socket carried both
    conn.close()
    assert [r.body for r in upstream.received] == [_chat("first", stream=True), _chat("second")]


def test_received_is_complete_under_concurrency(upstream: DemoUpstream) -> None:
    def client(index: int) -> None:
        _post(upstream, "/v1/embeddings", json.dumps({"input": str(index)}).encode())

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert sorted(json.loads(r.body)["input"] for r in upstream.received) == [
        str(i) for i in range(8)
    ]


def test_stop_ends_kept_alive_connections() -> None:
    upstream = DemoUpstream()
    upstream.start()
    conn = _connect(upstream)
    conn.request("GET", "/healthz")
    conn.getresponse().read()
    started = time.monotonic()
    upstream.stop()
    assert time.monotonic() - started < 2.0
    assert conn.sock is not None and conn.sock.recv(1) == b""  # closed by the server
    conn.close()
    upstream.stop()  # idempotent


# --- helpers


def test_split_words_round_trips() -> None:
    for text in ("", "one", " lead and  trail ", "a\nb\tc"):
        assert "".join(split_words(text)) == text
    assert split_words("You said: hi") == ("You ", "said: ", "hi")


def test_openai_sse_shape() -> None:
    events = openai_sse(["Hel", "lo"], model="m")
    assert len(events) == 3 and events[-1] == b"data: [DONE]\n\n"
    chunks = [json.loads(e.removeprefix(b"data: ")) for e in events[:-1]]
    assert [c["choices"][0]["delta"].get("content") for c in chunks] == ["Hel", "lo"]
    assert all(c["model"] == "m" for c in chunks)


def test_anthropic_sse_shape() -> None:
    events = anthropic_sse(["Hi", " there"])
    names = [e.split(b"\n", 1)[0].removeprefix(b"event: ").decode() for e in events]
    assert names == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    payloads = [json.loads(e.split(b"\ndata: ", 1)[1]) for e in events]
    assert [p["type"] for p in payloads] == names
    assert "".join(p["delta"]["text"] for p in payloads if p["type"] == "content_block_delta") == (
        "Hi there"
    )
    assert all(e.endswith(b"\n\n") for e in events)


def test_openai_json_shape() -> None:
    answer = json.loads(openai_json("text", model="m"))
    assert answer["object"] == "chat.completion" and answer["model"] == "m"
    assert answer["choices"][0]["message"]["content"] == "text"


# --- command line


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_command_line_serves_and_stops_on_signal(signum: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "extproc.demo.upstream", "--listen", "127.0.0.1:0", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 10)
        assert ready, "no ready line within 10 s"
        line = process.stdout.readline()
        assert line.startswith("demo upstream listening on http://127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        conn.request("GET", "/healthz")
        assert conn.getresponse().read() == b"ok"
        conn.close()
        process.send_signal(signum)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
