"""Detection and policy through the real Envoy: block, redact requests,
redact answers, with the example policy of the detection-engine issue."""

from __future__ import annotations

import json

import httpx
import pytest

from extproc.demo.model import Received, Reply
from harness.stack import Stack
from tests.e2e.conftest import DATA, StackFor, answer_json, chat, post, sent_json
from tests.values import CARD, EMAIL, GITHUB_TOKEN, SSN


@pytest.fixture(scope="module")
def stack(stack_for: StackFor) -> Stack:
    return stack_for(policy=DATA / "example.yaml")


def test_secret_in_prompt_is_blocked_before_upstream(stack: Stack) -> None:
    stack.upstream.script = None
    before = len(stack.upstream.received)
    r = post(stack, chat(f"please use {GITHUB_TOKEN} for the repo"))
    assert r.status_code == 403, stack.logs()
    assert r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert error["type"] == "data_leakage_prevention"
    assert error["code"] == "sensitive_data_detected"
    assert error["detectors"] == ["secret/github_token"]
    assert GITHUB_TOKEN not in r.text
    assert r.headers["x-risk-blocked"] == "true"
    assert r.headers["x-risk-categories"] == "secret/github_token"
    assert len(stack.upstream.received) == before  # never contacted


def test_card_in_prompt_reaches_upstream_redacted(stack: Stack) -> None:
    stack.upstream.script = None
    r = post(stack, chat(f"charge my card {CARD} tomorrow"))
    assert r.status_code == 200, stack.logs()
    got = stack.upstream.received[-1]
    body = sent_json(stack)  # still valid JSON
    assert body["messages"][0]["content"] == "charge my card [REDACTED:pii/credit_card] tomorrow"
    assert CARD.encode() not in got.body
    assert CARD.replace(" ", "").encode() not in got.body
    assert got.headers["x-dlp-redacted"] == "pii/credit_card"
    assert int(got.headers["content-length"]) == len(got.body)
    assert r.headers["x-risk-blocked"] == "false"
    assert r.headers["x-risk-categories"] == "pii/credit_card"
    assert float(r.headers["x-risk-confidence"]) > 0.5


def test_answer_with_ssn_and_email_is_redacted(stack: Stack) -> None:
    answer_json(stack, f"Her SSN is {SSN}, mail {EMAIL} or support@example.com for help.")
    r = post(stack, chat("who is she?"))
    assert r.status_code == 200, stack.logs()
    content = r.json()["choices"][0]["message"]["content"]
    assert content == (
        "Her SSN is [REDACTED:pii/us_ssn], mail [REDACTED:pii/email] "
        "or support@example.com for help."
    )
    assert SSN not in r.text and EMAIL not in r.text
    assert int(r.headers["content-length"]) == len(r.content)
    assert r.headers["x-risk-categories"] == "pii/email,pii/us_ssn"
    assert r.headers["x-risk-blocked"] == "false"


def test_custom_detector_and_keyword_list(stack: Stack) -> None:
    stack.upstream.script = None
    r = post(stack, chat("EMP-123456 works on project nightingale"))
    assert r.status_code == 403, stack.logs()
    assert r.json()["error"]["detectors"] == ["custom/employee_id"]
    # No rule of the example policy names keyword/*: the list is defined but off.
    r = post(stack, chat("what is project nightingale?"))
    assert r.status_code == 200
    sent = sent_json(stack)["messages"][0]["content"]
    assert sent == "what is project nightingale?"


def test_clean_prompt_untouched(stack: Stack) -> None:
    def echo(received: Received) -> Reply:
        return Reply(headers=(("content-type", "application/json"),), chunks=(received.body,))

    stack.upstream.script = echo
    raw = json.dumps(chat("Release 10.0.19045.2364 shipped on 2024-05-01, order 1234567890123456"))
    r = httpx.post(
        f"{stack.url}/v1/chat/completions",
        content=raw,
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 200
    assert stack.upstream.received[-1].body == raw.encode()
    assert r.content == raw.encode()
    assert "x-risk-blocked" not in r.headers


def test_redaction_template_braces_as_validated(stack_for: StackFor) -> None:
    braces = stack_for(policy=DATA / "braces.yaml")
    r = post(braces, chat(f"mail me at {EMAIL}"))
    assert r.status_code == 200, braces.logs()
    assert sent_json(braces)["messages"][0]["content"] == "mail me at {pii/email} ***"
