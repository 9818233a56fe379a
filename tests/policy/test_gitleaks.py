"""gitleaks-format TOML rules as custom detectors: mapping, errors, warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from extproc.policy.check import check_files
from extproc.policy.compile import compile_policy
from extproc.policy.load import PolicyError, load_policy
from extproc.policy.model import Direction
from tests.gitleaks_cases import POLICY, QUIET, SAMPLES, TOML
from tests.policy.resolved import action_for

COMPILED = compile_policy(load_policy(str(POLICY)))


def test_the_twelve_rules_load_as_custom_detectors() -> None:
    ids = sorted(c.spec.id for c in COMPILED.parsed.custom_detectors)
    assert ids == sorted(f"custom/acme.{rule}" for rule, _, _ in SAMPLES)
    assert len(ids) == 12
    assert action_for(COMPILED, "custom/acme.license-key", Direction.REQUEST).value == "block"


@pytest.mark.parametrize(("rule", "text", "secret"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_each_rule_finds_its_secret(rule: str, text: str, secret: str) -> None:
    found = [f for f in COMPILED.scanner.scan(text) if f.detector.startswith("custom/")]
    assert [f.detector for f in found] == [f"custom/acme.{rule}"]
    assert text[found[0].start : found[0].end].startswith(secret)


def test_secret_group_is_the_reported_value() -> None:
    for rule, expected in (("employee-badge", "B1234567"), ("partner-secret", None)):
        text = next(t for r, t, _ in SAMPLES if r == rule)
        (finding,) = COMPILED.scanner.scan(text)
        value = text[finding.start : finding.end]
        if expected is not None:
            assert value == expected
        # Group 2 of partner-secret is the base64 alone, not the name before it.
        assert "partner" not in value and "badge" not in value


@pytest.mark.parametrize("text", QUIET)
def test_entropy_and_allowlists_drop_values(text: str) -> None:
    assert [f for f in COMPILED.scanner.scan(text) if f.detector.startswith("custom/")] == []


def test_policy_check_reports_what_is_not_supported() -> None:
    code, lines = check_files([str(POLICY)])
    assert code == 0
    warnings = [line for line in lines if line.startswith("warning: ")]
    assert f"warning: {TOML}:56: rules[6] (ci-deploy-token).severity: unknown key, ignored" in (
        warnings
    )
    assert any(
        w.startswith(f"warning: {TOML}:84: rules[11] (printer-pin).path: not supported")
        for w in warnings
    )
    assert any(".allowlist.paths: not supported" in w for w in warnings)


def _policy(tmp_path: Path, toml: str) -> Path:
    (tmp_path / "rules.toml").write_text(toml)
    path = tmp_path / "p.yaml"
    path.write_text(
        "version: 1\nname: p\ncustom_detectors:\n  - gitleaks: rules.toml\n"
        'rules:\n  - detectors: ["custom/*"]\n    request: block\n'
    )
    return path


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[rules]]\nid = "a"\nregex = "x(?=y)"\n', "rules.toml:3: rules[0] (a).regex: "
         "unsupported construct: lookahead (?=...)"),
        ('[[rules]]\nid = "a"\nregex = "x"\n[[rules]]\nid = "a"\nregex = "y"\n',
         "rules.toml:4: rules[1] (a): duplicate id (first at line 1)"),
        ('[[rules]]\ndescription = "no id"\nregex = "x"\n', "rules.toml:1: rules[0].id: required"),
        ('[[rules]]\nid = "a"\nregex = "(x)"\nsecretGroup = 2\n',
         "rules.toml:3: rules[0] (a).regex: capture group 2 does not exist (the pattern has 1)"),
        ('[[rules]\nid = "a"\n', "rules.toml:1: TOML syntax error"),
        ('[[rules]]\nid = "a"\nregex = "x"\nentropy = "high"\n',
         "rules.toml:4: rules[0] (a).entropy: expected a number"),
    ],
)  # fmt: skip
def test_errors_name_the_file_and_line(tmp_path: Path, toml: str, message: str) -> None:
    path = _policy(tmp_path, toml)
    with pytest.raises(PolicyError) as err:
        load_policy(str(path))
    assert any(message in e and str(tmp_path) in e for e in err.value.errors), err.value.errors


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "version: 1\nname: p\ncustom_detectors:\n  - gitleaks: nowhere.toml\n"
        'rules:\n  - detectors: ["pii/email"]\n    request: block\n'
    )
    with pytest.raises(PolicyError) as err:
        load_policy(str(path))
    assert "nowhere.toml: cannot read" in err.value.errors[0]


def test_editing_only_the_toml_reloads_the_policy(tmp_path: Path) -> None:
    from extproc.policy.store import PolicyStore

    path = _policy(tmp_path, '[[rules]]\nid = "a"\nregex = "AAA-[0-9]{6}"\nkeywords = ["aaa-"]\n')
    store = PolicyStore(str(path))
    assert store.reload_if_changed() is None
    scanner = store.current().default.scanner
    assert [f.detector for f in scanner.scan("x AAA-123456")] == ["custom/gitleaks.a"]
    (tmp_path / "rules.toml").write_text('[[rules]]\nid = "b"\nregex = "BBB-[0-9]{6}"\n')
    result = store.reload_if_changed()
    assert result is not None and result.ok
    scanner = store.current().default.scanner
    assert [f.detector for f in scanner.scan("x BBB-123456 AAA-123456")] == ["custom/gitleaks.b"]
    assert store.reload_if_changed() is None
