"""Values as people and tools write them, through the real Envoy with the default
policy: an AWS key pair in a streamed Terraform answer, a pasted JSON record with
a bare SSN, a card split by a line break, a German mobile number, a base64-wrapped
``.env`` holding a GitHub token."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path

import httpx
import pytest

from extproc.demo.model import Reply, openai_sse
from harness.stack import Stack
from tests.e2e.conftest import StackFor, chat, post, sent_json

POLICY = Path(__file__).resolve().parents[2] / "policies" / "default.yaml"
# Random values, never issued (written in pieces so that scanners leave this file alone).
KEY_ID = "AKIA" + "Q3EGRIC4M5LDTXNV"
SECRET = "Zt9pQ2vL8xR4mK7wB1nC5hJ3" + "gF6dS0aYeU2iO8uT"
SSN = "536" + "228417"
CARD = "4929 3813 " + "3056 2186"
MOBILE = "0151 2" + "3456789"
TOKEN = "ghp_" + "RVDoi5IS8Dsa3NNk1dyqTmuhdh2DkdrCzMur"


@pytest.fixture(scope="module")
def stack(stack_for: StackFor) -> Stack:
    return stack_for(policy=POLICY)


def content(stack: Stack) -> str:
    text: str = sent_json(stack)["messages"][0]["content"]
    return text


def pieces(text: str, seed: int) -> list[str]:
    """``text`` cut into deltas of 1 to 6 characters, as a model streams tokens."""
    rng = random.Random(seed)
    out, at = [], 0
    while at < len(text):
        step = rng.randint(1, 6)
        out.append(text[at : at + step])
        at += step
    return out


def streamed_content(raw: bytes) -> str:
    text = []
    for block in raw.decode().split("\n\n"):
        for line in block.split("\n"):
            if line.startswith("data: ") and line[6:] != "[DONE]":
                for choice in json.loads(line[6:]).get("choices", []):
                    text.append(choice.get("delta", {}).get("content") or "")
    return "".join(text)


TERRAFORM = (
    "Here is the provider block:\n\n```hcl\n"
    'provider "aws" {\n'
    '  region     = "eu-central-1"\n'
    f'  access_key = "{KEY_ID}"\n'
    f'  secret_key = "{SECRET}"\n'
    "}\n```\nKeep both out of version control."
)
# No name for the secret key: only the key id, well over a line before it, says what it is.
NAMELESS = (
    f"Created access key {KEY_ID} for the user deploy-bot in account 123456789012 "
    f"on 2025-02-03 at 10:11 UTC.\nStore this value now, it is shown once: {SECRET}\n"
    "Keep both out of version control."
)


@pytest.mark.parametrize(("answer", "seed"), [(TERRAFORM, 1), (TERRAFORM, 2), (NAMELESS, 3)])
def test_a_streamed_answer_leaves_neither_key(stack: Stack, answer: str, seed: int) -> None:
    events = openai_sse(pieces(answer, seed))
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "text/event-stream"),), chunks=events, chunk_delay=0.002
    )
    with httpx.stream(
        "POST", f"{stack.url}/v1/chat/completions", json=chat("terraform?"), timeout=10
    ) as r:
        raw = b"".join(r.iter_raw())
    assert r.status_code == 200, stack.logs()
    text = streamed_content(raw)
    assert "[REDACTED:secret/aws_access_key]" in text
    assert "[REDACTED:secret/aws_secret_key]" in text
    assert SECRET[:12] not in raw.decode() and SECRET[-12:] not in raw.decode()
    assert KEY_ID[4:16] not in raw.decode()
    assert "Keep both out of version control." in text


def test_a_pasted_json_record_has_its_bare_ssn_redacted(stack: Stack) -> None:
    stack.upstream.script = None
    record = json.dumps({"name": "Ann Lee", "ssn": SSN, "plan": "gold"})
    r = post(stack, chat(f"Fix this record: {record}"))
    assert r.status_code == 200, stack.logs()
    assert SSN not in stack.upstream.received[-1].body.decode()
    assert "[REDACTED:pii/us_ssn]" in content(stack)


def test_a_json_body_field_named_ssn_is_redacted(stack: Stack) -> None:
    stack.upstream.script = None
    r = post(stack, {"model": "demo", "ssn": SSN, "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200, stack.logs()
    assert sent_json(stack)["ssn"] == "[REDACTED:pii/us_ssn]"


def test_a_card_split_by_a_line_break_is_redacted(stack: Stack) -> None:
    stack.upstream.script = None
    split = CARD[:9] + "\n" + CARD[10:]
    r = post(stack, chat(f"The number on the form was\n{split}\nexpiring 04/29."))
    assert r.status_code == 200, stack.logs()
    sent = content(stack)
    assert "[REDACTED:pii/credit_card]" in sent
    assert "3813" not in sent and "2186" not in sent
    assert "expiring 04/29." in sent


def test_a_german_mobile_number_is_redacted(stack: Stack) -> None:
    stack.upstream.script = None
    r = post(stack, chat(f"Ruf mich an unter {MOBILE}, danke!"))
    assert r.status_code == 200, stack.logs()
    assert content(stack) == "Ruf mich an unter [REDACTED:pii/phone_number], danke!"


def test_a_base64_wrapped_env_file_with_a_github_token_is_blocked(stack: Stack) -> None:
    stack.upstream.script = None
    env = (
        "APP_ENV=production\nDATABASE_URL=postgres://app@db.internal:5432/app\n"
        f"GITHUB_TOKEN={TOKEN}\nLOG_LEVEL=info\nFEATURE_FLAGS=search,billing,exports\n"
    )
    wrapped = base64.encodebytes(env.encode()).decode()  # 76 columns, like `base64`
    assert wrapped.count("\n") > 2
    before = len(stack.upstream.received)
    r = post(stack, chat(f"why does CI fail? here is `base64 .env`:\n{wrapped}"))
    assert r.status_code == 403, stack.logs()
    assert r.json()["error"]["detectors"] == ["secret/github_token"]
    assert len(stack.upstream.received) == before  # the model never saw it
