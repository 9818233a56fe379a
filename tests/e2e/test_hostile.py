"""Hostile input through the real Envoy with the default policy: each gets a
prompt, defined answer, no 5xx from the server, and no value gets through."""

from __future__ import annotations

import gzip
import json
import random
import time
from pathlib import Path

import httpx
import pytest

from extproc.demo.model import Received, Reply
from harness.stack import Stack
from tests.e2e.conftest import CHAT_PATH, StackFor, assert_processor_healthy
from tests.values import CARD

CARD_DIGITS = CARD.replace(" ", "")
PROMPT_BOUND = 5.0  # seconds: "prompt" means well under Envoy's own timeouts


@pytest.fixture(scope="module")
def stack(stack_for: StackFor) -> Stack:
    s = stack_for(policy=Path("policies/default.yaml"))
    s.upstream.script = echo
    return s


def echo(received: Received) -> Reply:
    return Reply(headers=(("content-type", "application/octet-stream"),), chunks=(received.body,))


def send(stack: Stack, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    started = time.monotonic()
    r = httpx.post(
        f"{stack.url}{CHAT_PATH}",
        content=body,
        headers={"content-type": "application/json", **(headers or {})},
        timeout=30,
    )
    assert time.monotonic() - started < PROMPT_BOUND, "answer took too long"
    return r


def upstream_got(stack: Stack) -> bytes:
    return stack.upstream.received[-1].body


def test_invalid_utf8(stack: Stack) -> None:
    body = b'{"content": "\xff\xfe pay ' + CARD.encode() + b' \xc3\x28 now"}'
    r = send(stack, body)
    assert r.status_code == 200
    got = upstream_got(stack)
    assert CARD.encode() not in got
    assert b"\xff\xfe" in got and b"\xc3\x28" in got  # the rest round-trips byte-exact


def test_truncated_json(stack: Stack) -> None:
    body = b'{"messages": [{"role": "user", "content": "card ' + CARD.encode()
    r = send(stack, body)
    assert r.status_code == 200
    assert CARD.encode() not in upstream_got(stack)
    assert upstream_got(stack).startswith(b'{"messages": [{"role": "user", "content": "card ')


def test_deep_nesting(stack: Stack) -> None:
    depth = 5000
    body = ("[" * depth + json.dumps(f"card {CARD}") + "]" * depth).encode()
    r = send(stack, body)
    assert r.status_code == 200
    got = upstream_got(stack)
    assert CARD.encode() not in got
    assert got.startswith(b"[" * depth)


def test_binary_body(stack: Stack) -> None:
    # Seeded: random bytes, but the same in every run (a failure reproduces).
    body = random.Random(256).randbytes(256 * 1024)
    r = send(stack, body, {"content-type": "application/octet-stream"})
    assert r.status_code == 200
    assert len(upstream_got(stack)) == len(body)


def test_eight_megabytes(stack: Stack) -> None:
    body = json.dumps({"content": "x" * (8 * 1024 * 1024) + CARD}).encode()
    before = len(stack.upstream.received)
    r = send(stack, body)
    # Over Envoy's buffer limit: Envoy answers 413 itself; nothing reaches the model.
    assert r.status_code == 413
    assert len(stack.upstream.received) == before


def test_twenty_thousand_matches(stack: Stack) -> None:
    emails = " ".join(f"user{i}@example.org" for i in range(20_000))
    body = json.dumps({"messages": [{"role": "user", "content": emails}]}).encode()
    assert len(body) < 1024 * 1024
    r = send(stack, body)
    assert r.status_code == 200
    got = json.loads(upstream_got(stack))["messages"][0]["content"]
    assert "@example.org" not in got
    assert got.count("[REDACTED:pii/email]") == 20_000


def test_huge_headers(stack: Stack) -> None:
    # Past Envoy's 60 KiB header limit Envoy answers 431 itself (or, when the
    # client is still writing, resets the connection): the processor never sees it.
    try:
        r = send(stack, b"{}", {"x-big": "a" * 100_000})
    except (httpx.ReadError, httpx.RemoteProtocolError):
        status = None
    else:
        status = r.status_code
    assert status in (431, None)
    # Large but allowed headers pass through the processor untouched.
    r = send(stack, b'{"a": 1}', {"x-big": "a" * 30_000})
    assert r.status_code == 200
    assert stack.upstream.received[-1].headers["x-big"] == "a" * 30_000


def test_gzip_bomb_request(stack: Stack) -> None:
    bomb = gzip.compress(b"0" * (64 * 1024 * 1024))
    before = len(stack.upstream.received)
    r = send(stack, bomb, {"content-encoding": "gzip"})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"
    assert len(stack.upstream.received) == before


def test_gzip_request_is_scanned(stack: Stack) -> None:
    body = gzip.compress(json.dumps({"content": f"card {CARD}"}).encode())
    r = send(stack, body, {"content-encoding": "gzip"})
    assert r.status_code == 200
    got = upstream_got(stack)
    assert json.loads(got) == {"content": "card [REDACTED:pii/credit_card]"}
    assert "content-encoding" not in stack.upstream.received[-1].headers


def test_server_never_failed(stack: Stack) -> None:
    assert_processor_healthy(stack)
