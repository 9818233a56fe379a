"""Governance through the real Envoy: two server processes behind it (two
endpoints of the ext_proc cluster, picked round-robin per exchange) sharing
per-client budgets in a real Redis; bulk answers; a streamed answer over its
cap; Redis hung, then stopped."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import redis

from extproc.demo.model import Reply, openai_json, openai_sse
from extproc.demo.upstream import DemoUpstream
from extproc.govern.keys import Hasher
from harness.redis import RedisServer, require_redis, running_redis
from harness.stack import (
    Process,
    free_port,
    render_envoy_config,
    start_envoy,
    start_server,
    wait_for,
)
from tests.e2e.conftest import CHAT_PATH, chat
from tests.govern.test_guard import card, email

HASH_KEY = "e2e-shared-secret"
BUDGET = 4

# Two policies: the default fails open when Redis cannot answer, the one for
# host closed.test fails closed. Both budget BUDGET distinct cards per client.
POLICY = """\
version: 1
name: {name}
{match}
rules:
  - detectors: ["pii/email"]
    request: redact
    response: redact
    max_values: 20
  - detectors: ["pii/credit_card"]
    request: redact
    response: redact
budgets:
  - id: cards
    detectors: ["pii/credit_card"]
    max_values: {budget}
    window: 1h
    direction: request
    on_error: {on_error}
caps:
  - path_prefixes: ["/v1/capped/"]
    answer_tokens: 25
"""
DEFAULT = POLICY.format(name="default", match="", budget=BUDGET, on_error="open")
CLOSED = POLICY.format(
    name="closed", match='match: {hosts: ["closed.test"]}', budget=BUDGET, on_error="closed"
)


@dataclass
class Stack:
    url: str
    upstream: DemoUpstream
    servers: list[Process]
    envoy: Process
    redis: RedisServer

    def logs(self) -> str:
        return "\n".join(p.output() for p in (self.envoy, *self.servers))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_redis()
    workdir = tmp_path_factory.mktemp("govern")
    policies = workdir / "policies"
    policies.mkdir()
    (policies / "default.yaml").write_text(DEFAULT)
    (policies / "closed.yaml").write_text(CLOSED)
    with running_redis(workdir) as redis_server:
        upstream = DemoUpstream()
        upstream.start()
        servers: list[Process] = []
        envoy: Process | None = None
        try:
            env = {
                "EXTPROC_REDIS_URL": redis_server.url,
                "EXTPROC_HASH_KEY": HASH_KEY,
                "EXTPROC_REDIS_TIMEOUT": "0.1",
                "EXTPROC_WORKERS": "1",
            }
            ports = [free_port(), free_port()]
            for i, port in enumerate(ports):
                own = workdir / f"server{i}"
                own.mkdir()
                servers.append(start_server(own, port, policies, env=env))
            listen, admin = free_port(), free_port()
            config = render_envoy_config(
                listen=listen, admin=admin, extproc=ports[0], upstream=upstream.port
            )
            add_endpoint(config, ports[1])
            envoy = start_envoy(workdir, config, admin)
            yield Stack(f"http://127.0.0.1:{listen}", upstream, servers, envoy, redis_server)
        finally:
            for proc in (envoy, *servers):
                if proc is not None:
                    proc.stop()
            upstream.stop()


def add_endpoint(config: dict[str, object], port: int) -> None:
    clusters = config["static_resources"]["clusters"]  # type: ignore[index]
    (cluster,) = [c for c in clusters if c["name"] == "extproc"]
    endpoints = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"]
    second = copy.deepcopy(endpoints[0])
    second["endpoint"]["address"]["socket_address"]["port_value"] = port
    endpoints.append(second)


def ask(stack: Stack, content: str, key: str, host: str | None = None) -> httpx.Response:
    headers = {"x-api-key": key}
    if host:
        headers["host"] = host
    return httpx.post(f"{stack.url}{CHAT_PATH}", json=chat(content), headers=headers, timeout=10)


def client_id(key: str) -> str:
    return Hasher(HASH_KEY.encode()).client("api_key", key)


def test_budget_counted_across_both_processes(stack: Stack) -> None:
    stack.upstream.script = None
    for i in range(BUDGET):
        r = ask(stack, f"pay with {card(i)}", "key-a")
        assert r.status_code == 200, stack.logs()
        sent = json.loads(stack.upstream.received[-1].body)["messages"][0]["content"]
        assert sent == "pay with [REDACTED:pii/credit_card]"
    for i in range(BUDGET, BUDGET + 2):
        r = ask(stack, f"pay with {card(i)}", "key-a")
        assert r.status_code == 403, stack.logs()
        error = r.json()["error"]
        assert error["code"] == "budget_exceeded"
        assert error["detectors"] == ["pii/credit_card"]
    # Each process served some of them: neither alone saw the whole budget.
    who = client_id("key-a")

    def served_by_both() -> bool:
        return all(f'"client": "{who}"' in server.output() for server in stack.servers)

    wait_for(served_by_both, "decision lines of key-a in both server logs", timeout=5)
    assert all("key-a" not in server.output() for server in stack.servers)
    # Redis holds keyed hashes only, with the window's expiry.
    client = redis.Redis.from_url(stack.redis.url)
    name = f"dlp:budget:{{default:cards:{who}}}"
    assert client.zcard(name) == BUDGET
    assert 0 < client.pttl(name) <= 3600 * 1000
    # Another client is not blocked.
    for i in range(BUDGET):
        assert ask(stack, f"card {card(100 + i)}", "key-b").status_code == 200


def decisions(stack: Stack) -> list[dict[str, object]]:
    lines = [x for p in stack.servers for x in p.output().splitlines() if x.startswith("{")]
    return [d for d in map(json.loads, lines) if d.get("message") == "decision"]


def test_envoy_sends_the_attributes_attribution_needs(stack: Stack) -> None:
    stack.upstream.script = None
    body = {"model": "demo", "messages": [{"role": "user", "content": f"mail {email(7)}"}]}
    r = httpx.post(f"{stack.url}/v1/chat/completions", json=body, timeout=10)
    assert r.status_code == 200, stack.logs()
    # No key, no token, no mTLS: the client is its address, from source.address.
    expected = Hasher(HASH_KEY.encode()).client("address", "127.0.0.1")

    def logged() -> bool:  # the decision line is written when the stream closes
        return any(
            d["client"] == expected and d["client_source"] == "address" for d in decisions(stack)
        )

    wait_for(logged, "the decision log line", timeout=5)


def test_bulk_answer_blocked_few_redacted(stack: Stack) -> None:
    many = " ".join(email(i) for i in range(100))
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "application/json"),), chunks=(openai_json(many),)
    )
    r = ask(stack, "list the customers", "key-c")
    assert r.status_code == 403, stack.logs()
    assert r.json()["error"]["code"] == "too_many_values"
    assert "@" not in r.text
    two = f"Write to {email(1)} or {email(2)}."
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "application/json"),), chunks=(openai_json(two),)
    )
    r = ask(stack, "who?", "key-c")
    assert r.status_code == 200, stack.logs()
    content = r.json()["choices"][0]["message"]["content"]
    assert content == "Write to [REDACTED:pii/email] or [REDACTED:pii/email]."


def test_streamed_answer_over_the_cap_ends_with_the_error_event(stack: Stack) -> None:
    words = tuple(f"word{i} " for i in range(60))  # about 400 characters; the cap is ~100
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "text/event-stream"),),
        chunks=openai_sse(words),
        chunk_delay=0.002,
    )
    body = {"model": "demo", "stream": True, "messages": [{"role": "user", "content": "go"}]}
    with httpx.stream(
        "POST", f"{stack.url}/v1/capped/chat/completions", json=body, timeout=10
    ) as r:
        raw = b"".join(r.iter_raw())
    assert r.status_code == 200, stack.logs()
    events = [e for e in raw.decode().split("\n\n") if e.strip()]
    last = json.loads(events[-1].removeprefix("data: "))
    assert last["error"]["code"] == "answer_too_large"
    assert b"[DONE]" not in raw
    text = "".join(
        json.loads(e.removeprefix("data: "))["choices"][0]["delta"].get("content") or ""
        for e in events[:-1]
    )
    assert 0 < len(text) <= 100


def timed(stack: Stack, content: str, key: str, host: str | None = None) -> httpx.Response:
    started = time.monotonic()
    r = ask(stack, content, key, host)
    # Each check waits at most EXTPROC_REDIS_TIMEOUT (0.1 s), then the breaker
    # answers at once; the margin is for a loaded test machine, not for Redis.
    assert time.monotonic() - started < 5.0, "a budget check waited too long"
    return r


def test_hung_then_stopped_redis_keeps_the_fail_mode(stack: Stack) -> None:
    stack.upstream.script = None
    for outage in (stack.redis.pause, stack.redis.stop):
        outage()
        for i in range(4):
            # Fail open: the budget cannot be checked, the request passes (redacted).
            r = timed(stack, f"pay {card(200 + i)}", "key-d")
            assert r.status_code == 200, stack.logs()
            # Fail closed: refused with a clear error.
            r = timed(stack, f"pay {card(300 + i)}", "key-e", host="closed.test")
            assert r.status_code == 503, stack.logs()
            assert r.json()["error"]["code"] == "budget_unavailable"
            # Nothing to count: no store call, no refusal.
            assert timed(stack, "hello", "key-e", host="closed.test").status_code == 200
    assert "budget store unavailable" in stack.logs()
