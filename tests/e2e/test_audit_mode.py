"""Audit mode: ``envoy/envoy-audit.yaml`` runs the filter in Envoy's
observability mode. Envoy sends each phase and goes on without waiting: the
traffic passes byte for byte, and the processor still scans everything and
logs what it found."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from extproc.demo.model import Reply, openai_json, openai_sse
from harness.stack import (
    AUDIT_CONFIG,
    AUDIT_POLICY,
    ENVOY_CONFIG,
    Stack,
    envoy_stat,
    ext_proc_config,
    wait_for,
)
from tests.e2e.conftest import CHAT_PATH, StackFor, chat
from tests.values import CARD, GITHUB_TOKEN, SSN


@pytest.fixture(scope="module")
def stack(stack_for: StackFor, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    policy = tmp_path_factory.mktemp("audit") / "audit.yaml"
    policy.write_text(AUDIT_POLICY)
    return stack_for(policy=policy, base=AUDIT_CONFIG)


def _decisions(stack: Stack) -> list[dict[str, Any]]:
    assert stack.server is not None
    lines = [line for line in stack.server.output().splitlines() if line.startswith("{")]
    return [d for d in map(json.loads, lines) if d.get("message") == "decision"]


def _logged(stack: Stack, direction: str, detector: str) -> None:
    def found() -> bool:
        return any(detector in d.get(direction, {}).get("detectors", {}) for d in _decisions(stack))

    # The decision line is written when Envoy closes the stream (after the exchange).
    wait_for(found, f"a decision logging {detector} in the {direction}", timeout=10)


def test_the_request_passes_unchanged_and_what_it_holds_is_logged(stack: Stack) -> None:
    stack.upstream.script = None
    body = chat(f"my card {CARD}, ssn {SSN}, token {GITHUB_TOKEN}")
    raw = json.dumps(body).encode()
    r = httpx.post(
        f"{stack.url}{CHAT_PATH}",
        content=raw,
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 200, stack.logs()  # a secret is blocked only when enforced
    assert stack.upstream.received[-1].body == raw
    _logged(stack, "request", "secret/github_token")
    _logged(stack, "request", "pii/credit_card")
    assert envoy_stat(stack.admin, "http.llm.ext_proc.immediate_responses_sent") == 0


def test_answers_pass_unchanged_whole_and_streamed_and_are_scanned(stack: Stack) -> None:
    answer = openai_json(f"The customer's card is {CARD}.")
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "application/json"),), chunks=(answer[:40], answer[40:])
    )
    r = httpx.post(f"{stack.url}{CHAT_PATH}", json=chat("card?"), timeout=10)
    assert r.status_code == 200
    assert r.content == answer
    events = openai_sse(["Mail ", "jane.", "doe@", "example.com", " today."])
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "text/event-stream"),), chunks=events
    )
    with httpx.stream("POST", f"{stack.url}{CHAT_PATH}", json=chat("hi", stream=True)) as s:
        streamed = b"".join(s.iter_bytes())
    assert streamed == b"".join(events)
    _logged(stack, "response", "pii/credit_card")
    _logged(stack, "response", "pii/email")  # found across the events, as when enforcing
    assert envoy_stat(stack.admin, "http.llm.ext_proc.streams_failed") == 0


def test_the_audit_config_is_the_bundled_one_in_observability_mode() -> None:
    bundled = yaml.safe_load(Path(ENVOY_CONFIG).read_text())
    audit = yaml.safe_load(Path(AUDIT_CONFIG).read_text())
    observed, enforced = ext_proc_config(audit), ext_proc_config(bundled)
    assert observed.pop("observability_mode") is True
    assert observed.pop("failure_mode_allow") is True  # an audit never breaks traffic
    assert set(observed.pop("processing_mode").values()) == {"SEND", "STREAMED", "SKIP"}
    for key in ("failure_mode_allow", "processing_mode", "message_timeout", "allow_mode_override"):
        enforced.pop(key)
    assert observed == enforced
    # Everything else (listener, routes, access log, clusters) is the same.
    assert audit == bundled


def test_each_exchange_is_audited_and_its_stream_freed_at_once(
    stack_for: StackFor, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Envoy holds an observed stream open for its deferred_close_timeout (5 s)
    # unless the processor ends it: with room for 4 streams, the 5th exchange
    # within 5 s would be refused (and pass unaudited) if the server did not
    # end each stream once the answer's last message came.
    policy = tmp_path_factory.mktemp("audit-streams") / "audit.yaml"
    policy.write_text(AUDIT_POLICY)
    stack = stack_for(policy=policy, base=AUDIT_CONFIG, server_args=["--max-streams", "4"])
    body = chat(f"my card {CARD}")
    with httpx.Client(timeout=10) as client:
        for _ in range(12):
            r = client.post(f"{stack.url}{CHAT_PATH}", json=body)
            assert r.status_code == 200
    assert envoy_stat(stack.admin, "http.llm.ext_proc.streams_failed") == 0

    def all_logged() -> bool:
        return sum("pii/credit_card" in json.dumps(d) for d in _decisions(stack)) >= 12

    wait_for(all_logged, "a decision for each of the 12 exchanges", timeout=4)
    assert envoy_stat(stack.admin, "http.llm.ext_proc.streams_started") == 12
