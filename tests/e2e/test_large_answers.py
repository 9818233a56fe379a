"""Large answers through the real Envoy with the bundled config: none meets
Envoy's own plain-text 500 for outgrowing its buffer. A 5 MiB JSON answer
and a 3 MiB ``b64_json`` image reach the client intact (text scanned, media
untouched), with or without a ``content-length``; an answer over the
policy's size limit is refused (known length) or cut (unknown length) with
the OpenAI-style error and counted as ``oversize``; a 1 GiB answer made on
the fly leaves the server's memory flat."""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.scripted import Answer, Request, ScriptedUpstream
from harness.stack import Stack, envoy_stat, wait_for
from tests.e2e.conftest import DATA, StackFor, assert_processor_healthy

POLICY = DATA / "example.yaml"
CARD = "4111 1111 " + "1111 1111"
WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "seven",
    "wizards",
    "hum",
]
JSON = (("content-type", "application/json"),)
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def stack(stack_for: StackFor) -> Stack:
    return stack_for(policy=POLICY, upstream=ScriptedUpstream())


@pytest.fixture(scope="module")
def limited(stack_for: StackFor) -> Stack:
    return stack_for(policy=DATA / "small_limit.yaml", upstream=ScriptedUpstream())


def prose(size: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    words = [rng.choice(WORDS) for _ in range(size // 4)]
    return " ".join(words)[:size]


def serve(stack: Stack, body: bytes, chunked: bool, piece: int = 64 * 1024) -> None:
    pieces = tuple(body[i : i + piece] for i in range(0, len(body), piece))

    def answer(_r: Request) -> Answer:
        return Answer(pieces, headers=JSON, chunked=chunked)

    stack.upstream.answer = answer


def post(stack: Stack) -> httpx.Response:
    return httpx.post(stack.url + "/v1/chat/completions", json={"model": "m"}, timeout=60)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_five_mebibyte_json_answer(stack: Stack, chunked: bool) -> None:
    text = prose(5 * MiB) + " pay with " + CARD + " now"
    answer = {
        "id": "c1",
        "object": "chat.completion",
        "model": "m",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        ],
    }
    body = json.dumps(answer).encode()
    assert len(body) > 5 * MiB
    serve(stack, body, chunked)
    r = post(stack)
    assert r.status_code == 200, r.text[:200]
    got = r.json()["choices"][0]["message"]["content"]
    assert got == text.replace(CARD, "[REDACTED:pii/credit_card]")
    assert r.content == body.replace(CARD.encode(), b"[REDACTED:pii/credit_card]")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_three_mebibyte_image_answer_is_untouched(stack: Stack, chunked: bool) -> None:
    image = bytearray(random.Random(2).randbytes(3 * MiB * 3 // 4))
    b64 = base64.b64encode(bytes(image)).decode()
    # Media is not text: a key-shaped run inside the base64 is neither decoded nor rewritten.
    b64 = b64[:1000] + "AKIAIOSFODNN7EXAMPLE" + b64[1020:]
    answer = {"created": 1, "data": [{"b64_json": b64, "revised_prompt": "a cat, card " + CARD}]}
    body = json.dumps(answer).encode()
    serve(stack, body, chunked)
    r = post(stack)
    assert r.status_code == 200, r.text[:200]
    data = r.json()["data"][0]
    assert data["b64_json"] == b64
    assert data["revised_prompt"] == "a cat, card [REDACTED:pii/credit_card]"


@pytest.mark.parametrize("size", [MiB, MiB + 1], ids=["buffered", "one-byte-over"])
def test_answers_at_envoys_buffer_limit(stack: Stack, size: int) -> None:
    head = b'{"text": "'
    body = head + prose(size - len(head) - 2).encode() + b'"}'
    assert len(body) == size
    serve(stack, body, chunked=False)
    r = post(stack)
    assert r.status_code == 200
    assert r.content == body
    assert envoy_stat(stack.admin, "http.llm.rs_too_large") == 0


def test_over_the_policy_limit_is_refused_with_the_openai_error(limited: Stack) -> None:
    body = json.dumps({"text": prose(3 * MiB)}).encode()
    serve(limited, body, chunked=False)
    r = post(limited)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"
    assert r.json()["error"]["type"] == "data_leakage_prevention"
    # Envoy's access log (flushed on its own schedule) says the decision.
    wait_for(lambda: '"response":"oversize"' in access_log(limited).replace(" ", ""), "log", 10)


def test_over_the_policy_limit_unknown_length_is_cut_with_the_error(limited: Stack) -> None:
    body = json.dumps({"text": prose(3 * MiB)}).encode()
    serve(limited, body, chunked=True)
    received = read_until_cut(limited)
    assert len(received) < 3 * MiB
    assert b'"code": "body_too_large"' in received[-1000:]


def access_log(stack: Stack) -> str:
    assert stack.envoy is not None
    return stack.envoy.output()


def read_until_cut(stack: Stack) -> bytes:
    """What the client receives of an answer that is cut (reset after the error)."""
    out = bytearray()
    try:
        with httpx.stream("POST", stack.url + "/v1/chat/completions", json={}, timeout=120) as r:
            assert r.status_code == 200
            for piece in r.iter_raw():
                out += piece
    except httpx.RemoteProtocolError:
        pass  # the stream was reset after the error
    return bytes(out)


# -- 1 GiB, made on the fly ----------------------------------------------------

GiB = 1024 * MiB


PIECE = 64 * 1024


def generated(size: int) -> Iterator[bytes]:
    """A JSON answer of ``size`` bytes, made piece by piece, never held."""
    line = ((" ".join(WORDS) + " ").encode() * PIECE)[:PIECE]
    yield b'{"text": "'
    sent = 10
    while sent < size - 2:
        piece = line[: size - 2 - sent]
        sent += len(piece)
        yield piece
    yield b'"}'


def rss(pid: int) -> int:
    """Resident memory of ``pid`` and its children, in bytes."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/status") as f:
                for row in f:
                    if row.startswith("VmRSS:"):
                        total += int(row.split()[1]) * 1024
        except OSError:
            pass
    return total


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_one_gibibyte_answer_with_flat_memory(stack: Stack, chunked: bool) -> None:
    assert stack.server is not None
    pid = stack.server.proc.pid
    before = rss(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], rss(pid))

    def answer(_r: Request) -> Answer:
        return Answer(generated(GiB), headers=JSON, chunked=chunked, length=GiB)

    stack.upstream.answer = answer
    stack.upstream.sent_at.clear()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    try:
        if chunked:
            received = read_until_cut(stack)
            # Cut at the server's size limit (8 MiB), the error last.
            assert len(received) < 16 * MiB
            assert b'"code": "body_too_large"' in received[-1000:]
        else:
            r = post(stack)  # refused at the headers: the length is known
            assert r.status_code == 413
            assert r.json()["error"]["code"] == "body_too_large"
    finally:
        done.set()
        sampler.join()
    assert time.monotonic() - started < 60
    growth = peak[0] - before
    assert growth < 48 * MiB, f"server RSS grew by {growth / MiB:.1f} MiB"
    # The upstream was stopped long before the end (Envoy reset the stream).
    assert len(stack.upstream.sent_at) * PIECE < 128 * MiB


def test_buffered_config_meets_envoys_500(stack_for: StackFor) -> None:
    # Why the bundled config starts answers STREAMED: configured BUFFERED, a fast
    # answer larger than the buffer is often refused by Envoy itself before the
    # processor's switch to STREAMED can take effect (9 of 20 in a trial here).
    old = stack_for(
        policy=POLICY,
        upstream=ScriptedUpstream(),
        processing_mode={"response_body_mode": "BUFFERED"},
    )
    serve(old, json.dumps({"text": prose(3 * MiB)}).encode(), chunked=False, piece=3 * MiB)
    codes = [post(old).status_code for _ in range(20)]
    assert 500 in codes
    assert envoy_stat(old.admin, "http.llm.rs_too_large") >= 1


def test_no_processor_errors(stack: Stack, limited: Stack) -> None:
    assert_processor_healthy(stack)
    assert_processor_healthy(limited)
    assert envoy_stat(stack.admin, "http.llm.rs_too_large") == 0
