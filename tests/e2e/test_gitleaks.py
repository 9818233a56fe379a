"""A gitleaks-format file with twelve rules, loaded by a policy, through the real Envoy."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from extproc.demo.model import Reply, openai_json
from harness.stack import Stack, running_stack
from tests.gitleaks_cases import POLICY, QUIET, SAMPLES

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("gitleaks"), policy=POLICY) as s:
        yield s


def post(stack: Stack, content: str) -> httpx.Response:
    body = {"model": "demo", "messages": [{"role": "user", "content": content}]}
    return httpx.post(f"{stack.url}/v1/chat/completions", json=body, timeout=10)


@pytest.mark.parametrize(("rule", "text", "secret"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_each_rule_blocks_its_secret_before_upstream(
    stack: Stack, rule: str, text: str, secret: str
) -> None:
    stack.upstream.script = None
    before = len(stack.upstream.received)
    r = post(stack, f"please keep this safe: {text}")
    assert r.status_code == 403, stack.logs()
    assert r.json()["error"]["detectors"] == [f"custom/acme.{rule}"]
    assert secret not in r.text
    assert len(stack.upstream.received) == before


@pytest.mark.parametrize("text", QUIET)
def test_entropy_and_allowlists_let_values_through(stack: Stack, text: str) -> None:
    stack.upstream.script = None
    r = post(stack, f"is this right? {text}")
    assert r.status_code == 200, stack.logs()
    assert text in stack.upstream.received[-1].body.decode()


def test_an_answer_loses_only_the_secret_group(stack: Stack) -> None:
    text = next(t for rule, t, _ in SAMPLES if rule == "employee-badge")
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "application/json"),), chunks=(openai_json(f"saved {text}"),)
    )
    r = post(stack, "what did you save?")
    assert r.status_code == 200, stack.logs()
    content = json.loads(r.text)["choices"][0]["message"]["content"]
    assert content == 'saved badge_id: "[REDACTED:custom/acme.employee-badge]"'
