"""What the bundled Envoy config does to long streams and upgrades, with the real
Envoy, the server and OpenAI's own client. Only the idle timeout is scaled
down (300 s to IDLE) so that a test can wait for it:

* a streamed answer runs as long as the model keeps sending, past the idle
  timeout and past the ext_proc gRPC timeout (10 s), scanned to its end;
* an upstream silent for the idle timeout: before the answer's headers the
  client gets a 504 with an OpenAI-style error; after them, the stream is cut
  and the client sees an incomplete body (no ``[DONE]``);
* a WebSocket upgrade is refused with an OpenAI-style error saying why.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from extproc.demo.model import SSE_HEADERS, Received, Reply, openai_sse
from extproc.demo.upstream import DemoUpstream
from harness.stack import Process, free_port, render_envoy_config, start_envoy, start_server
from tests.e2e.conftest import chat
from tests.values import EMAIL, GITHUB_TOKEN

ROOT = Path(__file__).resolve().parents[2]
IDLE = 1.5  # seconds: the bundled 300 s, scaled down


class Stack:
    def __init__(self, url: str, listen: int, upstream: DemoUpstream) -> None:
        self.url, self.listen, self.upstream = url, listen, upstream

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key="sk-test", max_retries=0)


def routes(config: dict[str, Any]) -> list[dict[str, Any]]:
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    found: list[dict[str, Any]] = hcm["typed_config"]["route_config"]["virtual_hosts"][0]["routes"]
    return found


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("limits")
    upstream = DemoUpstream()
    upstream.start()
    processes: list[Process] = []
    try:
        port = free_port()
        processes.append(start_server(workdir, port, ROOT / "policies" / "default.yaml"))
        listen, admin = free_port(), free_port()
        config = render_envoy_config(
            listen=listen, admin=admin, extproc=port, upstream=upstream.port
        )
        (route,) = routes(config)
        assert (route["route"]["timeout"], route["route"]["idle_timeout"]) == ("0s", "300s")
        route["route"]["idle_timeout"] = f"{IDLE}s"
        processes.append(start_envoy(workdir, config, admin))
        yield Stack(f"http://127.0.0.1:{listen}", listen, upstream)
    finally:
        for proc in reversed(processes):
            proc.stop()
        upstream.stop()


def streamed(words: list[str], delay: float) -> Reply:
    return Reply(200, SSE_HEADERS, openai_sse(words), chunk_delay=delay, chunked=True)


def ask(stack: Stack) -> openai.Stream[Any]:
    return stack.client().chat.completions.create(
        model="demo", messages=[{"role": "user", "content": "go on"}], stream=True
    )


def test_a_stream_runs_as_long_as_the_model_keeps_sending(stack: Stack) -> None:
    words = [f"w{i} " for i in range(27)] + [f"write to {EMAIL} ", "bye"]
    stack.upstream.script = lambda _r: streamed(words, delay=0.4)  # ~12 s in all
    started = time.monotonic()
    text = "".join(chunk.choices[0].delta.content or "" for chunk in ask(stack))
    elapsed = time.monotonic() - started
    assert elapsed > 10.5, "longer than the ext_proc gRPC timeout and many idle timeouts"
    assert text.startswith("w0 w1 ") and text.endswith("write to [REDACTED:pii/email] bye")
    assert EMAIL not in text  # scanned to the very end


def test_a_stream_silent_for_the_idle_timeout_is_cut_visibly(stack: Stack) -> None:
    stack.upstream.script = lambda _r: streamed(["one ", "two ", "three"], delay=IDLE + 2)
    got: list[str] = []
    with pytest.raises(openai.APIConnectionError) as cut:
        for chunk in ask(stack):
            got.append(chunk.choices[0].delta.content or "")
    assert "".join(got).strip() == "one"  # what came before the silence, then the cut
    # Under the SDK: the chunked body ended without its last chunk, so no [DONE].
    cause = cut.value.__cause__
    assert type(cause).__name__ == "RemoteProtocolError", repr(cause)
    assert "incomplete chunked read" in str(cause)


def test_an_upstream_silent_before_its_headers_gets_a_json_504(stack: Stack) -> None:
    def slow(_r: Received) -> Reply:
        time.sleep(IDLE + 1.5)
        return Reply(200, (("content-type", "application/json"),), (b"{}",))

    stack.upstream.script = slow
    with pytest.raises(openai.InternalServerError) as timeout:
        stack.client().chat.completions.create(
            model="demo", messages=[{"role": "user", "content": "hi"}]
        )
    assert timeout.value.status_code == 504
    assert timeout.value.code == "stream_idle_timeout"
    assert "stream idle timeout" in timeout.value.message


def test_websocket_upgrades_are_refused_with_a_json_error(stack: Stack) -> None:
    stack.upstream.script = None
    before = len(stack.upstream.received)
    handshake = (
        "GET /v1/realtime?model=demo HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", stack.listen), timeout=5) as conn:
        conn.sendall(handshake.encode())
        # Read as HTTP (the answer may be chunked: its length is unknown to the filter).
        answer = http.client.HTTPResponse(conn)
        answer.begin()
        body = answer.read()
    assert answer.status == 403
    assert answer.getheader("content-type") == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == "websocket_not_supported"
    assert error["type"] == "data_leakage_prevention"
    assert "cannot inspect WebSocket traffic" in error["message"]
    assert len(stack.upstream.received) == before


def test_the_filters_own_403_keeps_its_body(stack: Stack) -> None:
    """The upgrade mapper matches upgrades only, never a DLP block."""
    stack.upstream.script = None
    body = chat(f"use {GITHUB_TOKEN}")
    r = httpx.post(f"{stack.url}/v1/chat/completions", json=body, timeout=10)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "sensitive_data_detected"
