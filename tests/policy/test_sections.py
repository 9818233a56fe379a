"""The governance sections of a policy, parsed and compiled."""

from __future__ import annotations

from pathlib import Path

from extproc.policy.compile import compile_policy
from extproc.policy.load import load_policy, parse_policy
from extproc.policy.model import Action, Direction, OnError

REQ, RESP = Direction.REQUEST, Direction.RESPONSE
EXAMPLE = Path(__file__).parents[2] / "policies" / "examples" / "governance.yaml"


def test_example_policy() -> None:
    policy = load_policy(str(EXAMPLE))
    attribution = policy.attribution
    assert attribution.sources == ("principal", "jwt", "api_key", "address")
    assert attribution.api_key_headers == ("authorization", "x-api-key")
    assert [g.name for g in attribution.groups] == ["batch", "office"]
    bulk = policy.rules[1]
    assert (bulk.max_values, bulk.bulk_action) == (20, Action.BLOCK)
    (budget,) = policy.budgets
    assert budget.id == "cards-per-hour"
    assert (budget.max_values, budget.window_seconds, budget.sliding) == (50, 3600, True)
    assert budget.directions == (REQ, RESP)
    assert (budget.action, budget.on_error) == (Action.BLOCK, OnError.OPEN)
    (cap,) = policy.caps
    assert (cap.prompt_bytes, cap.answer_tokens, cap.answer_bytes) == (262144, 4096, None)

    compiled = compile_policy(policy)
    assert compiled.warnings == ()
    gov = compiled.governance
    assert gov.active
    (volume,) = gov.volume
    assert volume.detectors == frozenset({"pii/email", "pii/phone_number"})
    assert volume.directions == frozenset({REQ, RESP})
    assert gov.counted[RESP] == frozenset({"pii/email", "pii/phone_number", "pii/credit_card"})
    assert gov.cap("/v1/chat/completions") is cap
    assert gov.cap("/v1/embeddings") is None


def test_defaults_and_directions() -> None:
    policy = compile_policy(
        parse_policy(
            """\
version: 1
name: p
rules:
  - detectors: ["pii/*"]
    response: log
    max_values: 3
    bulk_action: log
  - detectors: ["pii/*"]
    request: redact
budgets:
  - id: ibans
    detectors: ["pii/iban"]
    max_values: 2
    window: 90
    window_type: fixed
    direction: request
    action: log
    on_error: closed
""",
            "p.yaml",
        )
    )
    assert policy.warnings == ()
    gov = policy.governance
    (volume,) = gov.volume
    assert volume.directions == frozenset({RESP})  # the rule acts on responses only
    assert volume.action is Action.LOG
    (budget,) = gov.budgets
    assert budget.budget.window_seconds == 90 and not budget.budget.sliding
    assert budget.budget.directions == (REQ,)
    assert gov.counted[REQ] == frozenset({"pii/iban"})
    assert "pii/email" in gov.counted[RESP]
    assert gov.attribution.sources[0] == "principal"  # default order


def test_limits_that_can_never_apply_are_warned_about() -> None:
    policy = compile_policy(
        parse_policy(
            """\
version: 1
name: p
rules:
  - detectors: ["pii/email"]
    request: redact
  - detectors: ["secret/*"]
    request: off
    max_values: 3
budgets:
  - id: mails
    detectors: ["pii/email"]
    max_values: 2
    window: 1d
    direction: response
""",
            "p.yaml",
        )
    )
    assert policy.warnings == (
        "p.yaml:8: rules[1].max_values: counts no detector that is on: never applies",
        "p.yaml:10: budgets[0]: counts no detector that a rule turns on in its direction: "
        "never applies",
    )
    assert not policy.governance.volume and not policy.governance.budgets


def test_policy_without_governance_is_inactive() -> None:
    policy = compile_policy(
        parse_policy(
            'version: 1\nname: p\nrules:\n  - detectors: ["pii/*"]\n    request: redact\n', "p"
        )
    )
    assert not policy.governance.active
