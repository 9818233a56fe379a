"""A policy's phone_regions decide which national formats count."""

from __future__ import annotations

from pathlib import Path

from extproc.detect.phones import DEFAULT_REGIONS
from extproc.offline import scan_text
from extproc.policy.compile import compile_policy
from extproc.policy.load import parse_policy
from extproc.policy.model import Direction

RULES = "rules:\n  - detectors: ['pii/phone_number']\n    request: redact\n"
GERMAN = "Ruf an: 0151 23456789 bitte"
JAPANESE = "Tokyo office 03-3224-5000 please"


def acted(source: str, text: str) -> list[str]:
    policy = compile_policy(parse_policy(source, "p.yaml"))
    decision = scan_text(policy, text, Direction.REQUEST)
    return [text[f.start : f.end] for f, _ in decision.actions]


def test_the_default_regions_include_germany() -> None:
    assert acted(f"version: 1\nname: p\n{RULES}", GERMAN) == ["0151 23456789"]


def test_a_policy_chooses_its_regions() -> None:
    source = f"version: 1\nname: p\nphone_regions: [jp]\n{RULES}"
    assert acted(source, GERMAN) == []
    assert acted(source, JAPANESE) == ["03-3224-5000"]
    # International numbers count whatever the list.
    assert acted(source, "Berlin +49 151 23456789") == ["+49 151 23456789"]


def test_the_shipped_default_policy_documents_the_default_list() -> None:
    text = (Path(__file__).resolve().parents[2] / "policies" / "default.yaml").read_text()
    assert "phone_regions" in text and " ".join(DEFAULT_REGIONS) in text
