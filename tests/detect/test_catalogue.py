"""Every built-in detector proves itself on its own examples and negatives."""

from __future__ import annotations

import importlib
import pkgutil
import unicodedata
from pathlib import Path
from types import ModuleType

import pytest

from extproc.detect import catalogue
from extproc.detect.catalogue import BUILTIN
from extproc.detect.scanner import Scanner, build_scanner
from extproc.detect.spec import DetectorSpec
from extproc.detect.validators import VALIDATORS

SCANNER: Scanner = build_scanner(BUILTIN)

CLASSIC_IDS = {
    "pii/email",
    "pii/credit_card",
    "pii/us_ssn",
    "pii/phone_number",
    "pii/ip_address",
    "pii/iban",
    "secret/aws_access_key",
    "secret/aws_secret_key",
    "secret/aws_session_token",
    "secret/github_token",
    "secret/jwt",
    "secret/private_key",
    "secret/openai_api_key",
    "secret/anthropic_api_key",
    "secret/slack_token",
    "secret/stripe_key",
    "secret/google_api_key",
}
# The families added since (issue 19): every id here is public from now on.
FAMILY_IDS = {
    "providers": 40,
    "llm": 12,
    "credentials": 10,
    "identity": 13,
    "finance": 4,
    "personal": 4,
    "signals": 3,
}

WEAK = 0.5

CASES = [
    pytest.param(spec.id, text, True, id=f"{spec.id}:example{i}")
    for spec in BUILTIN
    for i, text in enumerate(spec.examples)
] + [
    pytest.param(spec.id, text, False, id=f"{spec.id}:negative{i}")
    for spec in BUILTIN
    for i, text in enumerate(spec.negatives)
]


@pytest.mark.parametrize(("detector", "text", "expected"), CASES)
def test_examples_and_negatives(detector: str, text: str, expected: bool) -> None:
    mine = [f for f in SCANNER.scan(text) if f.detector == detector]
    if not expected:
        # A weak candidate (under 0.5: only an L4 rule acts on it) is no finding.
        assert [f for f in mine if f.confidence >= WEAK] == []
        return
    assert len(mine) == 1
    # The finding covers the whole value: it is not glued to more of the same kind.
    finding = mine[0]
    value = text[finding.start : finding.end]
    assert value == value.strip()
    before = text[finding.start - 1] if finding.start else " "
    after = text[finding.end] if finding.end < len(text) else " "
    assert not (_word(before) and _word(value[0]))
    assert not (_word(after) and _word(value[-1]))


def _word(char: str) -> bool:
    """A letter or digit of a script that separates words with spaces (CJK does not:
    a value glued to Chinese text is still a whole value)."""
    return char.isalnum() and not unicodedata.name(char, "").startswith(
        ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")
    )


def test_ids_are_the_public_names() -> None:
    ids = [spec.id for spec in BUILTIN]
    assert len(ids) == len(set(ids))
    assert set(ids) >= CLASSIC_IDS
    assert all(i.startswith(("pii/", "secret/", "signal/")) for i in ids)
    modules = {m.__name__.rsplit(".", 1)[1]: m for m in _family_modules()}
    for family, count in FAMILY_IDS.items():
        specs = [v for v in vars(modules[family]).values() if isinstance(v, tuple)]
        assert sum(len(t) for t in specs if t and isinstance(t[0], DetectorSpec)) == count
    assert len(ids) == len(CLASSIC_IDS) + sum(FAMILY_IDS.values())


@pytest.mark.parametrize("spec", BUILTIN, ids=lambda s: s.id)
def test_entries_are_complete(spec: DetectorSpec) -> None:
    assert spec.builtin
    assert spec.examples and spec.negatives
    assert spec.validator is None or spec.validator in VALIDATORS
    # Every detector either has keywords for the pre-pass or a prefilter.
    assert spec.keywords or spec.prefilter
    for example in spec.examples:
        for finding in SCANNER.scan(example):
            assert finding.end - finding.start <= spec.max_len or finding.detector != spec.id


@pytest.mark.parametrize(
    ("text", "detector", "value"),
    [
        ("card 4111 1111 1111 1111", "pii/credit_card", "4111 1111 1111 1111"),
        ("key AKIAIOSFODNN7EXAMPLE", "secret/aws_access_key", "AKIAIOSFODNN7EXAMPLE"),
        ("4111-1111-1111-1111", "pii/credit_card", "4111-1111-1111-1111"),
    ],
)
def test_published_test_values_are_detected(text: str, detector: str, value: str) -> None:
    found = [f for f in SCANNER.scan(text) if f.detector == detector]
    assert [text[f.start : f.end] for f in found] == [value]


@pytest.mark.parametrize(
    ("text", "detector", "confidence"),
    [
        ("SSN: 123-45-6789", "pii/us_ssn", 0.95),
        ("number 123-45-6789", "pii/us_ssn", 0.7),
        ("ITIN: 912-70-1234", "pii/us_ssn", 0.6),
        ("number 912-70-1234", "pii/us_ssn", 0.3),  # weak: L4 only
        ("order 536228417", "pii/us_ssn", None),
        ("ssn 536228417", "pii/us_ssn", 0.95),
        ("card 4111111111111111", "pii/credit_card", 1.0),
        ("order 4111111111111111", "pii/credit_card", 0.95),
        ("call (415) 555-2671", "pii/phone_number", 0.85),
        ("it was (415) 555-2671", "pii/phone_number", 0.5),
        ("phone 4155552671", "pii/phone_number", 0.85),
        ("phone 2125550147", "pii/phone_number", 0.6),  # fiction, after a context word
        ("it was 212-555-0147", "pii/phone_number", 0.3),  # weak: L4 only
        ("it was 0.0.0.0", "pii/ip_address", 0.2),
        ("order 4155552671", "pii/phone_number", None),
        ("server 10.1.2.3", "pii/ip_address", 0.85),
        ("it was 10.1.2.3", "pii/ip_address", 0.5),
        ("AKIAIOSFODNN7EXAMPLE", "secret/aws_access_key", 0.95),
        ("ABIASRY4N9E6YEQ8XO4SAZ", "secret/aws_access_key", 0.75),
        ("aws ABIASRY4N9E6YEQ8XO4SAZ", "secret/aws_access_key", 0.9),
    ],
)
def test_confidence_follows_evidence(text: str, detector: str, confidence: float | None) -> None:
    found = [f.confidence for f in SCANNER.scan(text) if f.detector == detector]
    assert found == ([] if confidence is None else [confidence])


def _family_modules() -> list[ModuleType]:
    names = [info.name for info in pkgutil.iter_modules(catalogue.__path__)]
    return [importlib.import_module(f"{catalogue.__name__}.{name}") for name in names]


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


@pytest.mark.parametrize("spec", BUILTIN, ids=lambda s: s.id)
def test_confidence_table_in_the_docstring_matches_the_entries(spec: DetectorSpec) -> None:
    lines = "\n".join(module.__doc__ or "" for module in _family_modules()).splitlines()
    rows = {words[0]: words[1:] for words in map(str.split, lines) if words}
    assert rows[spec.id] == [
        spec.validator or spec.scorer or "-",
        _figure(spec.confidence),
        _figure(spec.context_confidence),
        _figure(spec.exact_confidence),
        _figure(spec.invalid_confidence),
    ]


def test_the_readme_catalogue_lists_every_detector() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("<summary>The catalogue")
    table = readme[start : readme.index("</details>", start)]
    rows = {line.split("|")[1].strip().strip("`") for line in table.splitlines() if "| `" in line}
    assert rows == {spec.id for spec in BUILTIN}
