"""Rule resolution, globs, thresholds, the one scanner, and compile-time warnings."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from extproc.detect.catalogue import BUILTIN
from extproc.policy.compile import CompiledPolicy, compile_policy
from extproc.policy.load import parse_policy
from extproc.policy.model import Action, Direction, Threshold
from extproc.rewrite.redact import Renderer
from tests.policy.resolved import action_for, min_confidence_for

REQ, RESP = Direction.REQUEST, Direction.RESPONSE
BUILTIN_IDS = frozenset(spec.id for spec in BUILTIN)
HEADER = "version: 1\nname: t\n"


def _compiled(body: str) -> CompiledPolicy:
    return compile_policy(parse_policy(HEADER + textwrap.dedent(body), "t.yaml"))


def test_threshold_cut_offs() -> None:
    assert [(t.name, t.value) for t in Threshold] == [
        ("L1", 0.9),
        ("L2", 0.75),
        ("L3", 0.5),
        ("L4", 0.0),
    ]


def test_first_matching_rule_decides_each_direction() -> None:
    policy = _compiled("""\
        rules:
          - detectors: ["secret/github_token"]
            request: log
          - detectors: ["secret/*"]
            request: block
            response: redact
          - detectors: ["pii/email"]
            response: mask
            threshold: L1
          - detectors: ["pii/*"]
            request: redact
            response: "off"
            threshold: L3
        """)
    assert action_for(policy, "secret/github_token", REQ) is Action.LOG
    assert action_for(policy, "secret/github_token", RESP) is Action.REDACT  # rule 0 skips it
    assert action_for(policy, "secret/jwt", REQ) is Action.BLOCK
    assert action_for(policy, "pii/email", REQ) is Action.REDACT  # rule 2 decides responses only
    assert action_for(policy, "pii/email", RESP) is Action.MASK
    assert action_for(policy, "pii/phone_number", RESP) is Action.OFF
    assert action_for(policy, "no/such", REQ) is Action.OFF
    assert min_confidence_for(policy, "pii/email", RESP) == 0.9
    assert min_confidence_for(policy, "pii/email", REQ) == 0.5
    assert min_confidence_for(policy, "secret/jwt", REQ) == 0.5  # no threshold: L3
    # No rule names the signals: they are off, so not scanned for.
    assert policy.detector_ids == {i for i in BUILTIN_IDS if not i.startswith("signal/")}


def test_unnamed_detectors_are_off_and_not_scanned() -> None:
    policy = _compiled("""\
        custom_detectors:
          - id: custom/employee_id
            pattern: 'EMP-\\d{6}'
            keywords: ["EMP-"]
        rules:
          - detectors: ["pii/email"]
            request: redact
        """)
    assert policy.detector_ids == {"pii/email"}
    assert action_for(policy, "custom/employee_id", REQ) is Action.OFF
    assert action_for(policy, "pii/iban", REQ) is Action.OFF
    assert policy.scanner.scan("badge EMP-123456") == []
    assert policy.warnings == (
        "t.yaml:4: custom_detectors[0]: 'custom/employee_id' is defined but no rule enables it",
    )


@pytest.mark.parametrize(
    ("glob", "expected"),
    [
        ("*", BUILTIN_IDS),
        ("secret/*", {i for i in BUILTIN_IDS if i.startswith("secret/")}),
        (
            "secret/[aog]*_api_key",
            {
                "secret/openai_api_key",
                "secret/openrouter_api_key",
                "secret/anthropic_api_key",
                "secret/google_api_key",
                "secret/groq_api_key",
            },
        ),
        ("pii/[ei][mp]*", {"pii/email", "pii/ip_address"}),
        ("pii/us_ss?", {"pii/us_ssn"}),
    ],
)
def test_globs(glob: str, expected: set[str]) -> None:
    policy = _compiled(f'rules:\n  - detectors: ["{glob}"]\n    request: log\n')
    assert policy.detector_ids == expected
    assert all(action_for(policy, i, REQ) is Action.LOG for i in expected)


def test_off_everywhere_disables_the_detector() -> None:
    policy = _compiled("""\
        rules:
          - detectors: ["pii/ip_address"]
            request: "off"
            response: "off"
          - detectors: ["pii/*"]
            request: redact
        """)
    assert "pii/ip_address" not in policy.detector_ids
    assert "pii/email" in policy.detector_ids


def test_needs_body() -> None:
    request_only = _compiled('rules:\n  - detectors: ["secret/*"]\n    request: block\n')
    assert request_only.needs_body(REQ)
    assert not request_only.needs_body(RESP)
    nothing = _compiled('rules:\n  - detectors: ["*"]\n    request: "off"\n    response: "off"\n')
    assert not nothing.needs_body(REQ)
    assert not nothing.needs_body(RESP)
    assert nothing.warnings == (
        "t.yaml:3: rules: no rule enables any detector: traffic passes unchanged",
    )
    log_only = _compiled('rules:\n  - detectors: ["pii/email"]\n    response: log\n')
    assert log_only.needs_body(RESP)


def test_custom_and_keyword_detectors_are_scanned() -> None:
    policy = _compiled("""\
        custom_detectors:
          - id: custom/employee_id
            pattern: 'EMP-\\d{6}'
            keywords: ["EMP-"]
            confidence: 0.6
        keyword_lists:
          - id: keyword/codenames
            words: ["Project Nightingale"]
        rules:
          - detectors: ["custom/*", "keyword/*"]
            request: redact
            threshold: L3
        """)
    text = "EMP-123456 works on project nightingale"
    found = {(f.detector, text[f.start : f.end]) for f in policy.scanner.scan(text)}
    assert found == {
        ("custom/employee_id", "EMP-123456"),
        ("keyword/codenames", "project nightingale"),
    }
    assert policy.warnings == ()


def test_allow_values_and_replacement() -> None:
    policy = _compiled("""\
        rules:
          - detectors: ["pii/email"]
            request: redact
        allow_list:
          values: ["support@example.com", "  ops@example.com "]
        redaction: "{{{detector}}} ***"
        """)
    assert policy.allow_values == {"support@example.com", "  ops@example.com "}
    assert policy.is_allowed("support@example.com")
    assert policy.is_allowed("ops@example.com")
    assert policy.is_allowed(" support@example.com\n")
    assert not policy.is_allowed("Support@example.com")
    assert _redacted(policy, "pii/email") == "{pii/email} ***"  # {{ }}: literal braces


def test_default_redaction() -> None:
    policy = _compiled('rules:\n  - detectors: ["pii/email"]\n    request: redact\n')
    assert _redacted(policy, "pii/email") == "[REDACTED:pii/email]"


def _redacted(policy: CompiledPolicy, detector: str) -> str | None:
    """The policy's redaction as traffic gets it (the inspector's renderer)."""
    return Renderer(policy.redaction, b"k" * 32).replacement(detector, "value", Action.REDACT)


def test_compiled_policy_is_immutable() -> None:
    policy = _compiled('rules:\n  - detectors: ["pii/email"]\n    request: redact\n')
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.allow_values = frozenset()  # type: ignore[misc]
    with pytest.raises(TypeError):
        policy.resolved["pii/iban", REQ] = (Action.BLOCK, 0.0)  # type: ignore[index]


def test_warnings() -> None:
    policy = _compiled("""\
        custom_detectors:
          - id: custom/order
            pattern: 'ORD[0-9]{8}'
        rules:
          - detectors: ["pii/*", "custom/*"]
            request: hash
          - detectors: ["pii/email"]
            request: block
        allow_list:
          values: ["nothing sensitive here"]
        """)
    assert policy.warnings == (
        "t.yaml:9: rules[1]: never decides anything: every detector it names is decided by an "
        "earlier rule",
        "t.yaml:7: rules[0]: 'hash' without hash_key_env: unkeyed hashes of short values can be "
        "reversed by guessing",
        "t.yaml:4: custom_detectors[0]: 'custom/order' has no keywords: its pattern runs over "
        "every body",
        "t.yaml:12: allow_list.values[0]: no enabled detector reports this value on its own, so "
        "it may never apply",
    )
