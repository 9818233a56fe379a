"""The values people evaluate a DLP filter with, through the default policy.

Published test values, lookalikes in build logs, loose provider tokens, and
the cheap evasions (zero-width characters, other digits, other spaces). Each
table row is one thing a user types; the default policy's thresholds decide.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extproc.detect.catalogue import BUILTIN
from extproc.detect.scanner import build_scanner
from extproc.offline import scan_text
from extproc.policy.compile import compile_policy
from extproc.policy.load import load_policy
from extproc.policy.model import Direction

ROOT = Path(__file__).resolve().parents[2]
POLICY = compile_policy(load_policy(str(ROOT / "policies" / "default.yaml")))
SCANNER = build_scanner(BUILTIN)
ZWSP, ZWNJ, WJ, SHY, BOM = "\u200b", "\u200c", "\u2060", "\u00ad", "\ufeff"
NBSP, THIN, NNBSP, IDEO = "\u00a0", "\u2009", "\u202f", "\u3000"


def wide(text: str, zero: int = 0xFF10) -> str:
    """ASCII digits as full-width digits (U+FF10..U+FF19), or another script's."""
    return text.translate({ord(d): zero + int(d) for d in "0123456789"})


def acted(text: str) -> list[tuple[str, str]]:
    """(detector, original value) of each finding the default policy acts on."""
    decision = scan_text(POLICY, text, Direction.REQUEST)
    return [(f.detector, text[f.start : f.end]) for f, _ in decision.actions]


SSN_CASES = [
    # An SSN shape outside the SSA ranges is reported after a context word ...
    ("my SSN is 912-34-5678", "912-34-5678"),
    ("ITIN: 978-70-1234", "978-70-1234"),
    ("social security number 000-12-3456", "000-12-3456"),
    ("tax id 666-12-3456 on the form", "666-12-3456"),
    ("ssn 123-00-4567", "123-00-4567"),
    # ... and in range, with or without one.
    ("SSN: 123-45-6789", "123-45-6789"),
    ("her number is 212-09-7694", "212-09-7694"),
    # Without context the out-of-range shapes stay quiet: build logs, serials.
    ("[build 912-34-5678] finished in 43 s", None),
    ("artifact 987-65-4321 uploaded to the cache", None),
    ("serial 000-12-3456, batch 123-00-4567, lot 123-45-0000", None),
    ("job 999-99-9999 exit 0", None),
]


@pytest.mark.parametrize(("text", "value"), SSN_CASES)
def test_ssn_shapes_need_context_outside_the_ssa_ranges(text: str, value: str | None) -> None:
    assert acted(text) == ([] if value is None else [("pii/us_ssn", value)])


PUBLISHED = [
    ("pii/credit_card", "4111 1111 1111 1111"),  # Visa
    ("pii/credit_card", "4242 4242 4242 4242"),  # Stripe's Visa
    ("pii/credit_card", "4000 0566 5566 5556"),  # Visa debit
    ("pii/credit_card", "5555 5555 5555 4444"),  # Mastercard
    ("pii/credit_card", "5105105105105100"),
    ("pii/credit_card", "2223003122003222"),  # Mastercard 2-series
    ("pii/credit_card", "3782 822463 10005"),  # Amex
    ("pii/credit_card", "371449635398431"),
    ("pii/credit_card", "6011 1111 1111 1117"),  # Discover
    ("pii/credit_card", "3056 9309 0259 04"),  # Diners, 14 digits
    ("pii/credit_card", "3852 0000 0232 37"),
    ("pii/credit_card", "36227206271667"),
    ("pii/credit_card", "3566 0020 2036 0505"),  # JCB
    ("pii/credit_card", "6200 0000 0000 0005"),  # UnionPay
    ("pii/credit_card", "6759649826438453"),  # Maestro
    ("secret/aws_access_key", "AKIAIOSFODNN7EXAMPLE"),  # AWS's documented key id
    ("secret/aws_secret_key", "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"),  # ... and secret
    ("pii/iban", "DE89 3704 0044 0532 0130 00"),
    ("pii/iban", "GB82 WEST 1234 5698 7654 32"),
]


@pytest.mark.parametrize(("detector", "value"), PUBLISHED)
def test_published_test_values_are_acted_on_by_default(detector: str, value: str) -> None:
    name = "aws_secret_access_key = " if detector == "secret/aws_secret_key" else ""
    text = f"try {name}{value} please"
    assert acted(text) == [(detector, value)]


TOKENS = [
    # (value, detector, confidence): the exact published format rates higher
    ("ghp_" + "RVDoi5IS8Dsa3NNk1dyqTmuhdh2DkdrCzMur", "secret/github_token", 0.97),
    ("ghp_" + "RVDoi5IS8Dsa3NNk1dyqTmuhdh2Dkd", "secret/github_token", 0.8),  # shorter
    ("ghs_" + "qiNalaWK97MsAV7n2qW1fjeh21TC9ffCy7tW089FxQ", "secret/github_token", 0.8),
    ("xoxb-" + "732874993886-9787335384408-ppBWJKUl2f9KHUcCX8bmy1d1", "secret/slack_token", 0.95),
    ("xoxp-" + "By7rts9DTV6lZhkyokwGq7IeNetFYj", "secret/slack_token", 0.8),
    ("xapp-" + "1-A0123456789-1234567890123-abcdef0123", None, None),  # not a xox token
    ("sk_live_" + "FG2rglftBAGkAyDMhmIcFm1s", "secret/stripe_key", 0.97),
    ("sk_live_" + "FG2rglftBAGkAyDMhmIcFm1sQ9x", "secret/stripe_key", 0.85),
    ("AIza" + "kinpOHuiYvqa7IQPbclAQVKqLmHqaWZ_ntQ", "secret/google_api_key", 0.95),
    ("AIza" + "zzZoOxJp80ADNrAHrve3k8hgXxB0Ot2f", "secret/google_api_key", 0.85),
    ("ASIA" + "ES6HN5VWM5GAA7RH", "secret/aws_access_key", 0.95),
    ("AKIA" + "ES6HN5VWM5GAA7RH0123", "secret/aws_access_key", 0.75),  # longer
    ("sk-ant-api03-" + "pr_zld8ehrUNNgC5It8CmWORxXDdlZcqsDU6Mp", "secret/anthropic_api_key", 0.85),
    ("sk-" + "n3NufGVZVgsGfKDda6HNf3xBhpvGo1Qh", "secret/openai_api_key", 0.8),
    ("sk-learn-contrib", None, None),
    ("ghp_" + "X" * 36, None, None),  # placeholder
]


@pytest.mark.parametrize(("value", "detector", "confidence"), TOKENS)
def test_provider_tokens_by_prefix_and_plausible_body(
    value: str, detector: str | None, confidence: float | None
) -> None:
    found = [(f.detector, f.confidence) for f in SCANNER.scan(f"use {value} now")]
    assert found == ([] if detector is None else [(detector, confidence)])


CARD = "4111 1111 1111 1111"
EVASIONS = [
    # zero-width characters and soft hyphens inside values
    ("pii/credit_card", f"4111{ZWSP}1111{ZWSP}1111{ZWSP}1111"),
    ("pii/credit_card", f"4111 11{ZWSP}11 1111 1{ZWNJ}111"),
    ("pii/credit_card", f"41{SHY}11{WJ}1111{BOM}11111111"),
    ("pii/email", f"jane.doe{ZWSP}@{ZWSP}contoso.org"),
    ("pii/email", f"jane{SHY}.doe@contoso{WJ}.org"),
    ("pii/us_ssn", f"123-45{ZWSP}-6789"),
    ("secret/aws_access_key", f"AKIA{ZWSP}IOSFODNN{ZWSP}7EXAMPLE"),
    ("pii/iban", f"DE89{ZWSP}3704{ZWSP}0044{ZWSP}0532{ZWSP}0130{ZWSP}00"),
    ("pii/phone_number", f"+44 20{ZWSP} 7946 0958"),
    # full-width and other Unicode decimal digits
    ("pii/credit_card", wide(CARD)),
    ("pii/credit_card", wide("4111111111111111")),
    ("pii/credit_card", wide(CARD, zero=0x0660)),  # Arabic-Indic
    ("pii/credit_card", wide(CARD, zero=0x0966)),  # Devanagari
    ("pii/us_ssn", wide("123-45-6789")),
    ("pii/phone_number", "+44 " + wide("20 7946 0958")),
    ("pii/iban", "DE" + wide("89 3704 0044 0532 0130 00")),
    # no-break, thin and other spaces as separators
    ("pii/credit_card", CARD.replace(" ", NBSP)),
    ("pii/credit_card", CARD.replace(" ", THIN)),
    ("pii/credit_card", f"4111{NBSP}1111{THIN}1111{NNBSP}1111"),
    ("pii/us_ssn", f"123{NBSP}45{NBSP}6789"),
    ("pii/phone_number", f"+44{NBSP}20{NBSP}7946{NBSP}0958"),
    ("pii/phone_number", f"(415){THIN}555-2671"),
    ("pii/iban", f"DE89{IDEO}3704{IDEO}0044{IDEO}0532{IDEO}0130{IDEO}00"),
]


@pytest.mark.parametrize(("detector", "value"), EVASIONS)
def test_evasions_are_undone_and_the_whole_original_run_reported(detector: str, value: str) -> None:
    context = {"pii/us_ssn": "SSN", "pii/phone_number": "phone", "pii/iban": "IBAN"}
    text = f"my {context.get(detector, 'value')} {value} thanks"
    assert acted(text) == [(detector, value)]
