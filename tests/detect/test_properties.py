"""Properties over generated text."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from extproc.detect.catalogue import BUILTIN
from extproc.detect.scanner import build_scanner
from extproc.detect.validators import luhn_checksum

SCANNER = build_scanner(BUILTIN)
DIGIT_DETECTORS = {"pii/credit_card", "pii/us_ssn", "pii/phone_number", "pii/iban"}


def _with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_checksum(body + d))


@st.composite
def visa_numbers(draw: st.DrawFn) -> str:
    body = "4" + draw(st.text("0123456789", min_size=14, max_size=14))
    return _with_check_digit(body)


@settings(max_examples=150, deadline=None)
@given(number=visa_numbers(), separator=st.sampled_from(["", " ", "-"]))
def test_luhn_valid_cards_are_found(number: str, separator: str) -> None:
    value = separator.join(number[i : i + 4] for i in range(0, 16, 4))
    text = f"paid with {value}, thanks"
    found = [f for f in SCANNER.scan(text) if f.detector == "pii/credit_card"]
    assert [text[f.start : f.end] for f in found] == [value]


@settings(max_examples=150, deadline=None)
@given(number=visa_numbers(), position=st.integers(1, 15))
def test_a_changed_digit_breaks_the_card(number: str, position: int) -> None:
    digit = str((int(number[position]) + 1) % 10)
    broken = number[:position] + digit + number[position + 1 :]
    found = [f for f in SCANNER.scan(f"card {broken}") if f.detector == "pii/credit_card"]
    assert found == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Nd"]), max_size=400))
def test_text_without_digits_yields_no_digit_detector(text: str) -> None:
    assert not {f.detector for f in SCANNER.scan(text)} & DIGIT_DETECTORS


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=30),
            st.sampled_from(
                [
                    "4111 1111 1111 1111",
                    "123-45-6789",
                    "a@b.example",
                    "(415) 555-2671",
                    "10.0.0.1",
                    "\u200b",
                    "\udcff",
                    "İ",
                    "AKIAIOSFODNN7EXAMPLE",
                    "ssn ",
                ]
            ),
        ),
        max_size=12,
    )
)
def test_findings_are_well_formed_on_any_text(parts: list[str]) -> None:
    text = "".join(parts)
    findings = SCANNER.scan(text)
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)
        assert 0.0 <= finding.confidence <= 1.0
    for before, after in pairwise(findings):
        assert before.end <= after.start


@settings(max_examples=100, deadline=None)
@given(
    number=visa_numbers(),
    gaps=st.lists(
        st.sampled_from(["\u200b", "\u00ad", "\ufeff", "\u2060"]), min_size=15, max_size=15
    ),
    mask=st.lists(st.booleans(), min_size=15, max_size=15),
)
def test_zero_width_characters_do_not_hide_a_card(
    number: str, gaps: list[str], mask: list[bool]
) -> None:
    value = number[0] + "".join(
        (gap if keep else "") + digit
        for gap, keep, digit in zip(gaps, mask, number[1:], strict=True)
    )
    text = f"card {value} ok"
    found = [f for f in SCANNER.scan(text) if f.detector == "pii/credit_card"]
    assert [text[f.start : f.end] for f in found] == [value]
