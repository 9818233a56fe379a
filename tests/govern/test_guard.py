"""Volume rules, budgets and caps through the inspector, with plain strings
and the pure exchange state machine (no gRPC, no Envoy)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from extproc.demo.model import openai_json, openai_sse
from extproc.dlp import DlpInspector
from extproc.exchange import REQUEST, RESPONSE, Exchange
from extproc.govern.budgets import BudgetUnavailable, Charge, MemoryBudgets, Outcome
from extproc.govern.guard import Governor
from extproc.govern.keys import Hasher
from extproc.policy.compile import CompiledPolicy, compile_policy
from extproc.policy.load import parse_policy
from extproc.recording import DirectionSummary, Recorder
from extproc.verdicts import BodyMode, Reply

POLICY = """\
version: 1
name: gov
rules:
  - detectors: ["pii/email"]
    request: redact
    response: redact
    max_values: 5
  - detectors: ["pii/credit_card"]
    request: redact
    response: redact
budgets:
  - id: cards
    detectors: ["pii/credit_card"]
    max_values: 3
    window: 1h
    direction: request
    on_error: {on_error}
    action: {action}
caps:
  - path_prefixes: ["/v1/chat"]
    prompt_bytes: 2000
    prompt_tokens: 300
    answer_tokens: 10
"""


def policy(on_error: str = "open", action: str = "block") -> CompiledPolicy:
    text = POLICY.format(on_error=on_error, action=action)
    return compile_policy(parse_policy(text, "gov.yaml"))


def card(i: int) -> str:
    """A Luhn-valid Visa number, distinct per ``i``."""
    digits = [int(d) for d in f"4{i:014d}"]
    total = 0
    for pos, d in enumerate(reversed(digits)):
        if pos % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    number = "".join(map(str, digits)) + str((10 - total % 10) % 10)
    return " ".join(number[k : k + 4] for k in range(0, 16, 4))


def email(i: int) -> str:
    return f"person{i}@mail{i}.example.org"


@dataclass
class Recording(Recorder):
    exceeded: list[tuple[str, str, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    outcomes: list[dict[str, str]] = field(default_factory=list)

    def budget_exceeded(self, detector: str, client_class: str, action: str, scope: str) -> None:
        self.exceeded.append((detector, client_class, action, scope))

    def budget_error(self, fail_mode: str) -> None:
        self.errors.append(fail_mode)

    def exchange_done(
        self,
        policy: str,
        route_class: str,
        directions: Mapping[str, DirectionSummary],
        traceparent: str = "",
    ) -> None:
        self.outcomes.append({d: s.outcome for d, s in directions.items()})


def chat(content: str) -> bytes:
    return json.dumps({"model": "m", "messages": [{"role": "user", "content": content}]}).encode()


def request_headers(key: str = "key-a", path: str = "/v1/chat", **extra: str) -> dict[str, str]:
    return {":method": "POST", ":path": path, "x-api-key": key, **extra}


@dataclass
class Result:
    request: Reply | None = None
    response: Reply | None = None
    body: bytes = b""  # what the client would get (streamed: joined chunks)


def run(
    p: CompiledPolicy,
    governor: Governor,
    prompt: bytes,
    answer: Sequence[bytes] = (b'{"ok": true}',),
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/json",
    attributes: Mapping[str, object] | None = None,
) -> Result:
    inspector = DlpInspector(
        lambda _h, _p, _n: p, governor.recorder, governor=governor, attributes=attributes
    )
    ex = Exchange(inspector, BodyMode.BUFFERED, BodyMode.BUFFERED)
    out = Result()
    try:
        reply = ex.on_headers(REQUEST, dict(headers or request_headers()), False)
        if reply.immediate is None:
            reply = ex.on_body(REQUEST, prompt, True)
        if reply.immediate is not None:
            out.request = reply
            return out
        answer_headers = {":status": "200", "content-type": content_type}
        if content_type == "application/json":  # a whole JSON answer says its length
            answer_headers["content-length"] = str(sum(map(len, answer)))
        reply = ex.on_headers(RESPONSE, answer_headers, False)
        if reply.immediate is not None:
            out.response = reply
            return out
        chunks: list[bytes] = []
        for i, chunk in enumerate(answer):
            reply = ex.on_body(RESPONSE, chunk, i == len(answer) - 1)
            if reply.immediate is not None:
                out.response = reply
                return out
            chunks.append(chunk if reply.body is None else reply.body)
        out.body = b"".join(chunks)
        return out
    finally:
        ex.close()


def error_of(reply: Reply | None) -> tuple[int, dict[str, object]]:
    assert reply is not None and reply.immediate is not None
    return reply.immediate.status, json.loads(reply.immediate.body)["error"]


# -- bulk: distinct values per exchange ------------------------------------------

UNCAPPED = request_headers(path="/v2/answers")  # no size cap on this route


def test_answer_with_many_emails_is_blocked_as_bulk() -> None:
    rec = Recording()
    gov = Governor(Hasher(b"k" * 32), recorder=rec)
    many = " ".join(email(i) for i in range(100))
    out = run(policy(), gov, chat("list them"), [openai_json(many)], UNCAPPED)
    status, error = error_of(out.response)
    assert status == 403
    assert error["code"] == "too_many_values"
    assert error["type"] == "data_leakage_prevention"
    assert error["detectors"] == ["pii/email"]
    assert "more than 5 distinct values" in str(error["message"])
    assert ("pii/email", "other", "block", "exchange") in rec.exceeded
    assert rec.outcomes[-1]["response"] == "blocked_bulk"


def test_answer_with_few_emails_is_redacted() -> None:
    gov = Governor(Hasher(b"k" * 32))
    # Repeats count once: 2 distinct values, 6 mentions.
    text = " ".join([email(1), email(2)] * 3)
    out = run(policy(), gov, chat("who?"), [openai_json(text)], UNCAPPED)
    assert out.response is None
    content = json.loads(out.body)["choices"][0]["message"]["content"]
    assert content == " ".join(["[REDACTED:pii/email]"] * 6)


def sse_text(raw: bytes) -> tuple[str, list[dict[str, object]]]:
    text, errors = [], []
    for block in raw.decode().split("\n\n"):
        for line in block.split("\n"):
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            obj = json.loads(line[6:])
            if "error" in obj:
                errors.append(obj["error"])
            for choice in obj.get("choices", []):
                text.append(choice["delta"].get("content") or "")
    return "".join(text), errors


def test_streamed_bulk_ends_with_the_error_event() -> None:
    gov = Governor(Hasher(b"k" * 32))
    words = [f"{email(i)} " for i in range(12)]
    sse = openai_sse(words)
    out = run(policy(), gov, chat("list"), sse, UNCAPPED, content_type="text/event-stream")
    assert out.response is None  # headers had left: the block is said in the stream
    text, errors = sse_text(out.body)
    assert [e["code"] for e in errors] == ["too_many_values"]
    assert out.body.rstrip().endswith(b"}")  # the error event is the last: no [DONE]
    assert b"[DONE]" not in out.body
    assert "@" not in text  # the first five were redacted, the sixth never left
    assert text.count("[REDACTED:pii/email]") == 5


def test_streamed_answer_over_the_token_cap_ends_with_the_error_event() -> None:
    gov = Governor(Hasher(b"k" * 32))
    words = ["abcdefgh "] * 20  # 180 characters; the cap is 10 tokens, about 40 characters
    out = run(policy(), gov, chat("go"), openai_sse(words), content_type="text/event-stream")
    text, errors = sse_text(out.body)
    assert [e["code"] for e in errors] == ["answer_too_large"]
    assert "about 10 tokens" in str(errors[0]["message"])
    assert len(text) == 40
    assert out.body.rstrip().endswith(b"}")


def test_answer_cap_applies_to_buffered_answers_too() -> None:
    gov = Governor(Hasher(b"k" * 32))
    out = run(policy(), gov, chat("go"), [openai_json("word " * 50)])
    status, error = error_of(out.response)
    assert (status, error["code"]) == (502, "answer_too_large")


def test_prompt_caps() -> None:
    gov = Governor(Hasher(b"k" * 32))
    p = policy()
    big = chat("x" * 3000)
    # Declared length: refused before the body is read.
    out = run(p, gov, big, headers=request_headers(**{"content-length": str(len(big))}))
    status, error = error_of(out.request)
    assert (status, error["code"]) == (413, "prompt_too_large")
    assert "2000 bytes" in str(error["message"])
    out = run(p, gov, big)  # chunked: counted from the body
    assert error_of(out.request)[0] == 413
    out = run(p, gov, chat("y" * 1500))  # under 2000 bytes, over 300 tokens
    status, error = error_of(out.request)
    assert (status, error["code"]) == (413, "prompt_too_large")
    assert "about 300 tokens" in str(error["message"])
    out = run(p, gov, big, headers=request_headers(path="/v1/embeddings"))  # another route
    assert out.request is None


# -- budgets over time -------------------------------------------------------------


def test_budget_blocks_one_client_and_not_another() -> None:
    rec = Recording()
    gov = Governor(Hasher(b"k" * 32), MemoryBudgets(), rec)
    p = policy()
    for i in range(3):
        out = run(p, gov, chat(f"pay with {card(i)}"), headers=request_headers("key-a"))
        assert out.request is None, i
    out = run(p, gov, chat(f"pay with {card(3)}"), headers=request_headers("key-a"))
    status, error = error_of(out.request)
    assert (status, error["code"]) == (403, "budget_exceeded")
    assert "budget of 3 distinct values of pii/credit_card per 1h" in str(error["message"])
    assert rec.exceeded == [("pii/credit_card", "other", "block", "window")]
    assert rec.outcomes[-1]["request"] == "blocked_budget"
    # A card the client already sent is not a new value; the refused one was not counted.
    assert run(p, gov, chat(f"again {card(1)}"), headers=request_headers("key-a")).request is None
    assert run(p, gov, chat(f"new {card(4)}"), headers=request_headers("key-a")).request
    # Another client has its own budget.
    for i in range(3):
        assert run(p, gov, chat(card(10 + i)), headers=request_headers("key-b")).request is None


def test_alerting_budget_lets_traffic_pass() -> None:
    rec = Recording()
    gov = Governor(Hasher(b"k" * 32), MemoryBudgets(), rec)
    p = policy(action="log")
    for i in range(5):
        assert run(p, gov, chat(card(i)), headers=request_headers("key-a")).request is None
    assert rec.exceeded == [("pii/credit_card", "other", "log", "window")] * 2


class Down:
    def __init__(self) -> None:
        self.calls = 0

    def charge(self, charges: Sequence[Charge]) -> list[Outcome]:
        self.calls += 1
        raise BudgetUnavailable("ConnectionError")


@pytest.mark.parametrize("mode", ["open", "closed"])
def test_store_down_follows_the_fail_mode(mode: str) -> None:
    rec = Recording()
    store = Down()
    gov = Governor(Hasher(b"k" * 32), store, rec, cooldown=60)
    p = policy(on_error=mode)
    for _ in range(3):
        out = run(p, gov, chat(f"pay {card(1)}"))
        if mode == "open":
            assert out.request is None
        else:
            status, error = error_of(out.request)
            assert (status, error["code"]) == (503, "budget_unavailable")
    assert rec.errors == [mode] * 3
    assert store.calls == 1  # the breaker answered the others at once
    # Without a budgeted value there is nothing to check: no store call, no error.
    assert run(p, gov, chat("hello")).request is None
    assert rec.errors == [mode] * 3


def test_decision_log_has_the_keyed_client_not_the_key(caplog: pytest.LogCaptureFixture) -> None:
    gov = Governor(Hasher(b"k" * 32))
    headers = request_headers("sk-very-secret")
    with caplog.at_level(logging.INFO, logger="extproc.decision"):
        run(policy(), gov, chat(f"mail {email(1)}"), headers=headers)
    (record,) = [r for r in caplog.records if r.getMessage() == "decision"]
    fields = vars(record)
    assert fields["client_source"] == "api_key"
    assert fields["client_class"] == "other"
    assert fields["route"] == "/v1/chat"
    assert fields["client"] == Hasher(b"k" * 32).client("api_key", "sk-very-secret")
    assert "sk-very-secret" not in json.dumps(fields, default=str)


def test_attribution_from_envoy_attributes() -> None:
    rec = Recording()
    gov = Governor(Hasher(b"k" * 32), MemoryBudgets(), rec)
    p = compile_policy(
        parse_policy(
            POLICY.format(on_error="open", action="block")
            + """\
attribution:
  sources: [principal, address]
  groups:
    - name: mesh
      clients: ["principal:spiffe://cluster.local/*"]
""",
            "gov.yaml",
        )
    )
    attrs = {"source.principal": "spiffe://cluster.local/ns/a/sa/b", "source.address": "1.2.3.4:5"}
    for i in range(4):
        run(p, gov, chat(card(i)), attributes=attrs)
    assert rec.exceeded == [("pii/credit_card", "mesh", "block", "window")]
    # The same API key from another address is another client.
    assert run(p, gov, chat(card(9)), attributes={"source.address": "1.2.3.5:5"}).request is None
