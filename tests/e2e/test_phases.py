"""Fewer messages: the server asks Envoy only for the phases its policy
needs (``mode_override`` on the headers answers), through a real Envoy with
the bundled config. Counted with Envoy's own ``stream_msgs_sent``; what the
policy covers is still redacted, what it does not cover passes unread."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.stack import ROOT, Stack, envoy_stat
from tests.e2e.conftest import StackFor, answer_json, chat, post, sent_json
from tests.values import CARD

SENT = "http.llm.ext_proc.stream_msgs_sent"
MASKED = "[REDACTED:pii/credit_card]"


def _policy(directions: str) -> str:
    return f'version: 1\nname: default\nrules:\n  - detectors: ["pii/credit_card"]\n{directions}'


# Policy -> (messages Envoy sends for one exchange, request redacted, answer redacted).
CASES = {
    "request-only": (_policy("    request: redact\n"), 3, True, False),
    "response-only": (_policy("    response: redact\n"), 3, False, True),
    "both": (_policy("    request: redact\n    response: redact\n"), 4, True, True),
}


@pytest.fixture(scope="module", params=list(CASES), ids=str)
def case(
    request: pytest.FixtureRequest, stack_for: StackFor, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Stack, int, bool, bool]:
    text, messages, on_request, on_answer = CASES[request.param]
    if request.param == "both":
        path = ROOT / "policies" / "default.yaml"  # the bundled policy needs all four
    else:
        path = Path(tmp_path_factory.mktemp("phases")) / "policy.yaml"
        path.write_text(text)
    return stack_for(policy=path), messages, on_request, on_answer


def test_only_the_phases_the_policy_needs_are_sent_and_nothing_it_needs_is_lost(
    case: tuple[Stack, int, bool, bool],
) -> None:
    stack, messages, on_request, on_answer = case
    answer_json(stack, f"Your card {CARD} is on file.")
    before = envoy_stat(stack.admin, SENT)
    r = post(stack, chat(f"charge my card {CARD} please"))
    assert r.status_code == 200, stack.logs()
    # The exchange is over once the client has the answer; Envoy counted each message sent.
    assert envoy_stat(stack.admin, SENT) - before == messages
    prompt = sent_json(stack)["messages"][0]["content"]
    answer = r.json()["choices"][0]["message"]["content"]
    assert (CARD not in prompt) is on_request
    assert (CARD not in answer) is on_answer
    if on_request:
        assert MASKED in prompt
    if on_answer:
        assert MASKED in answer
    assert envoy_stat(stack.admin, "http.llm.ext_proc.streams_failed") == 0
