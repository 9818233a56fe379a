"""The policies we ship load cleanly and do what their comments promise."""

from __future__ import annotations

from pathlib import Path

import pytest

from extproc.detect.catalogue import BUILTIN
from extproc.detect.spec import DetectorSpec
from extproc.policy.check import check_files
from extproc.policy.compile import CompiledPolicy, compile_policy
from extproc.policy.decide import decide
from extproc.policy.load import load_policy
from extproc.policy.model import Action, Direction
from extproc.policy.store import load_policy_set
from tests.policy.resolved import action_for

REQ, RESP = Direction.REQUEST, Direction.RESPONSE
POLICIES = Path(__file__).parents[2] / "policies"
SHIPPED = sorted([POLICIES / "default.yaml", *(POLICIES / "examples").glob("*.yaml")])


def _load(path: Path) -> CompiledPolicy:
    return compile_policy(load_policy(str(path)))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_loads_without_warnings(path: Path) -> None:
    assert _load(path).warnings == ()


def test_check_accepts_both_folders() -> None:
    code, lines = check_files([str(POLICIES), str(POLICIES / "examples")])
    assert code == 0, lines
    assert not [line for line in lines if line.startswith("warning:")]


def test_default_policy_actions() -> None:
    policy = _load(POLICIES / "default.yaml")
    assert policy.name == "default"
    assert policy.match is None
    assert policy.detector_ids == {spec.id for spec in BUILTIN}
    for spec in BUILTIN:
        if spec.id.startswith("secret/"):
            expected = (Action.BLOCK, Action.REDACT)
        elif spec.id == "signal/refusal":  # a model's refusal is in answers only
            expected = (Action.OFF, Action.LOG)
        elif spec.id.startswith("signal/"):
            expected = (Action.LOG, Action.LOG)
        else:
            expected = (Action.REDACT, Action.REDACT)
        assert (action_for(policy, spec.id, REQ), action_for(policy, spec.id, RESP)) == expected
    assert policy.needs_body(REQ)
    assert policy.needs_body(RESP)


@pytest.mark.parametrize("spec", BUILTIN, ids=lambda s: s.id)
def test_default_thresholds_keep_the_catalogue_examples(spec: DetectorSpec) -> None:
    """Thresholds must not be so tight that the catalogue's own examples slip through."""
    policy = _load(POLICIES / "default.yaml")
    for example in spec.examples:
        findings = [f for f in policy.scanner.scan(example) if f.detector == spec.id]
        # The direction the policy acts on it in (a refusal: answers only).
        direction = REQ if action_for(policy, spec.id, REQ) is not Action.OFF else RESP
        decision = decide(findings, example, policy, direction)
        assert decision.suppressed == 0, example
        assert len(decision.actions) == len(findings)


def test_examples_folder_is_a_valid_set() -> None:
    policies = load_policy_set(str(POLICIES / "examples"))
    assert policies.default.name == "strict"
    assert policies.select("llm-gateway.example.com", "/v1/chat/completions").name == "engineering"
    assert policies.select("models.internal.example.com", "/").name == "audit"
    assert policies.select("api.openai.com", "/v1/chat/completions").name == "strict"
    audit = policies.select("models.internal.example.com", "/")
    assert {action_for(audit, i, d) for i in audit.detector_ids for d in Direction} == {Action.LOG}
