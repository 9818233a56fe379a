"""Detection in real traffic through the real Envoy, with the default policy:
context decides lookalikes, evasions are undone, encodings decoded, every
field scanned, and answers say how sure the filter was."""

from __future__ import annotations

import base64
import json

import pytest

from extproc.demo.model import Reply, openai_json, openai_sse
from harness.stack import ROOT, Stack
from tests.e2e.conftest import StackFor, chat, post, sent_json
from tests.e2e.test_streaming import openai_text, stream
from tests.values import AWS_KEY, CARD

POLICY = ROOT / "policies" / "default.yaml"
ITIN = "9" + "12-70-1234"  # SSN-shaped, outside the SSA ranges
ZWSP = "\u200b"
WIDE_CARD = CARD.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
ENCODED_EMAIL = "jane.doe%40" + "contoso.org"


@pytest.fixture(scope="module")
def stack(stack_for: StackFor) -> Stack:
    return stack_for(policy=POLICY)


def sent_content(stack: Stack) -> str:
    """The user message as the upstream received it (the body is valid JSON)."""
    content: str = sent_json(stack)["messages"][0]["content"]
    return content


def test_ssn_shape_with_context_is_redacted(stack: Stack) -> None:
    stack.upstream.script = None
    r = post(stack, chat(f"my SSN is {ITIN}, is that a valid number?"))
    assert r.status_code == 200, stack.logs()
    assert sent_content(stack) == "my SSN is [REDACTED:pii/us_ssn], is that a valid number?"
    assert ITIN.encode() not in stack.upstream.received[-1].body
    assert r.headers["x-risk-categories"] == "pii/us_ssn"
    assert r.headers["x-risk-confidence"] == "0.60"  # outside the ranges: context only


def test_the_same_shape_in_a_build_log_passes(stack: Stack) -> None:
    stack.upstream.script = None
    log = f"[build {ITIN}] finished in 43 s\nartifact 987-65-4321 uploaded, exit 0"
    r = post(stack, chat(log))
    assert r.status_code == 200, stack.logs()
    assert sent_content(stack) == log
    assert "x-dlp-redacted" not in stack.upstream.received[-1].headers
    assert "x-risk-categories" not in r.headers


@pytest.mark.parametrize(
    "card",
    [
        f"4111{ZWSP}1111 1111 1111",  # in place of a separator
        f"4111 1111 11{ZWSP}11 1111",  # inside a group
        WIDE_CARD,  # full-width digits
    ],
    ids=["zero-width-separator", "zero-width-inside", "full-width"],
)
def test_evasive_cards_are_redacted_whole(stack: Stack, card: str) -> None:
    stack.upstream.script = None
    r = post(stack, chat(f"charge my card {card} tomorrow"))
    assert r.status_code == 200, stack.logs()
    # The whole original run is gone, the zero-width character included.
    assert sent_content(stack) == "charge my card [REDACTED:pii/credit_card] tomorrow"
    got = stack.upstream.received[-1]
    assert ZWSP.encode() not in got.body and b"\\u200b" not in got.body
    assert got.headers["x-dlp-redacted"] == "pii/credit_card"
    assert float(r.headers["x-risk-confidence"]) == 1.0  # Luhn-valid, after "card"


def test_percent_encoded_email_in_an_answer_is_redacted(stack: Stack) -> None:
    answer = openai_json(f"Write to {ENCODED_EMAIL} or mailto:{ENCODED_EMAIL}?subject=hi")
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "application/json"),), chunks=(answer,)
    )
    r = post(stack, chat("who do I write to?"))
    assert r.status_code == 200, stack.logs()
    content = r.json()["choices"][0]["message"]["content"]
    assert content == ("Write to [REDACTED:pii/email] or mailto:[REDACTED:pii/email]?subject=hi")
    assert "contoso" not in r.text
    assert int(r.headers["content-length"]) == len(r.content)
    assert r.headers["x-risk-categories"] == "pii/email"
    assert float(r.headers["x-risk-confidence"]) >= 0.9


def test_percent_encoded_email_streamed_in_pieces_never_leaves(stack: Stack) -> None:
    pieces = ["Write ", "to ", "jane.doe", "%4", "0con", "toso", ".org", " today."]
    r, raw, _ = stream(stack, openai_sse(pieces))
    assert r.status_code == 200, stack.logs()
    assert openai_text(raw) == "Write to [REDACTED:pii/email] today."
    assert b"jane" not in raw and b"contoso" not in raw and b"toso" not in raw


def test_embeddings_input_array_reaches_the_upstream_redacted(stack: Stack) -> None:
    stack.upstream.script = None
    body: dict[str, object] = {
        "model": "text-embedding-3-small",
        "input": ["refund policy", f"customer card {CARD}, expires 12/29", "shipping"],
    }
    r = post(stack, body, "/v1/embeddings")
    assert r.status_code == 200, stack.logs()
    got = stack.upstream.received[-1]
    assert got.path == "/v1/embeddings"
    sent = json.loads(got.body)
    assert sent["input"] == [
        "refund policy",
        "customer card [REDACTED:pii/credit_card], expires 12/29",
        "shipping",
    ]
    assert got.headers["x-dlp-redacted"] == "pii/credit_card"
    assert len(r.json()["data"]) == 3
    assert r.headers["x-risk-categories"] == "pii/credit_card"
    assert float(r.headers["x-risk-confidence"]) == 1.0


def test_base64_secret_in_a_json_field_is_blocked(stack: Stack) -> None:
    stack.upstream.script = None
    before = len(stack.upstream.received)
    hidden = base64.b64encode(f"aws_access_key_id={AWS_KEY}".encode()).decode()
    body = {**chat("deploy with this config"), "metadata": {"config": hidden}}
    r = post(stack, body)
    assert r.status_code == 403, stack.logs()
    assert r.json()["error"]["detectors"] == ["secret/aws_access_key"]
    assert r.headers["x-risk-blocked"] == "true"
    assert float(r.headers["x-risk-confidence"]) >= 0.9
    assert len(stack.upstream.received) == before


def test_html_entity_email_in_a_prompt_is_redacted(stack: Stack) -> None:
    stack.upstream.script = None
    r = post(stack, chat("<p>Contact: jane.doe&#64;contoso&period;org</p>"))
    assert r.status_code == 200, stack.logs()
    assert sent_content(stack) == "<p>Contact: [REDACTED:pii/email]</p>"
    assert "x-risk-confidence" in r.headers
