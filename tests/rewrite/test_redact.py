"""Replacing findings: each action's text, the template's braces, the gap
between findings, and the redaction template through a real exchange."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import pytest

from extproc.detect.finding import Finding
from extproc.dlp import DlpInspector
from extproc.policy.compile import compile_policy
from extproc.policy.load import parse_policy
from extproc.policy.model import Action
from extproc.rewrite.redact import Renderer, apply
from extproc.wire.inprocess import body_message, headers_message, process
from extproc.wire.service import ExternalProcessor
from tests.values import CARD, EMAIL

KEY = b"k" * 32


def found(text: str, value: str, detector: str = "pii/email") -> Finding:
    start = text.index(value)
    return Finding(detector, start, start + len(value), 0.9)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("[REDACTED:{detector}]", "[REDACTED:pii/email]"),
        ("{{{detector}}} ***", "{pii/email} ***"),  # {{ and }}: literal braces
        ("***", "***"),
        ("<{detector}> and {detector}", "<pii/email> and pii/email"),
    ],
)
def test_redact_renders_the_template_as_a_format_string(template: str, expected: str) -> None:
    assert Renderer(template, KEY).replacement("pii/email", EMAIL, Action.REDACT) == expected


def test_mask_keeps_the_last_four() -> None:
    renderer = Renderer("x", KEY)
    assert renderer.replacement("pii/credit_card", CARD, Action.MASK) == "*" * 15 + "1111"
    assert renderer.replacement("pii/x", "abcd", Action.MASK) == "****"  # too short to keep any


def test_hash_is_keyed_and_stable() -> None:
    digest = hmac.new(KEY, EMAIL.encode(), hashlib.sha256).hexdigest()[:12]
    assert Renderer("x", KEY).replacement("pii/email", EMAIL, Action.HASH) == (
        f"[pii/email:{digest}]"
    )
    other = Renderer("x", b"o" * 32).replacement("pii/email", EMAIL, Action.HASH)
    assert other != f"[pii/email:{digest}]"


def test_pseudonymise_falls_back_to_the_template() -> None:
    with_map = Renderer("[{detector}]", KEY, lambda _d, _v: "<EMAIL_1>")
    assert with_map.replacement("pii/email", EMAIL, Action.PSEUDONYMIZE) == "<EMAIL_1>"
    full = Renderer("[{detector}]", KEY, lambda _d, _v: None)
    assert full.replacement("pii/email", EMAIL, Action.PSEUDONYMIZE) == "[pii/email]"
    assert Renderer("[{detector}]", KEY).replacement("pii/email", EMAIL, Action.PSEUDONYMIZE) == (
        "[pii/email]"
    )


@pytest.mark.parametrize("action", [Action.LOG, Action.BLOCK, Action.OFF])
def test_actions_that_leave_the_text(action: Action) -> None:
    assert Renderer("x", KEY).replacement("pii/email", EMAIL, action) is None


def test_apply_rewrites_findings_and_the_gap_between_them() -> None:
    text = f"a {EMAIL} b {CARD} c"
    acted = [
        (found(text, EMAIL), Action.REDACT),
        (found(text, CARD, "pii/credit_card"), Action.MASK),
    ]
    out = apply(text, acted, Renderer("[{detector}]", KEY), gap=str.upper)
    assert out == "A [pii/email] B " + "*" * 15 + "1111 C"


def test_apply_with_an_offset_and_overlaps() -> None:
    text = f"xx {EMAIL}"
    first = found(text, EMAIL)
    shifted = Finding("pii/email", first.start + 100, first.end + 100, 0.9)
    overlapping = Finding("pii/email", first.start + 101, first.end + 100, 0.9)
    acted = [(shifted, Action.REDACT), (overlapping, Action.REDACT)]
    assert apply(text, acted, Renderer("[R]", KEY), offset=100) == "xx [R]"
    assert apply(text, [], Renderer("[R]", KEY), gap=str.upper) == text.upper()


POLICY = """\
version: 1
name: braces
rules:
  - detectors: ["pii/email"]
    request: redact
redaction: "{{{detector}}} ***"
"""


def test_template_through_a_real_exchange() -> None:
    """The served path: servicer -> exchange -> inspector -> renderer."""
    policy = compile_policy(parse_policy(POLICY, "braces.yaml"))
    servicer = ExternalProcessor(lambda _m, _a: DlpInspector(lambda _h, _p, _n: policy), "extproc")
    body = json.dumps({"messages": [{"role": "user", "content": f"mail {EMAIL}"}]}).encode()
    headers = {":method": "POST", ":path": "/v1/chat", "content-type": "application/json"}
    first = headers_message("request_headers", headers)
    first.protocol_config.request_body_mode = 2  # type: ignore[assignment]  # BUFFERED
    messages = [first, body_message("request_body", body, True)]
    responses = asyncio.run(process(servicer, messages))
    sent = json.loads(responses[1].request_body.response.body_mutation.body)
    assert sent["messages"][0]["content"] == "mail {pii/email} ***"
