"""Placeholders for one exchange: stable per value, never reused, restored
only where issued, bounded, and held back while one may still be arriving."""

from __future__ import annotations

import pytest

from extproc.rewrite.pseudonym import Pseudonyms, kind_of
from tests.values import EMAIL, OTHER_EMAIL


@pytest.mark.parametrize(
    ("detector", "kind"),
    [
        ("pii/credit_card", "CREDIT_CARD"),
        ("custom/employee_id", "EMPLOYEE_ID"),
        ("keyword/code-names", "CODE_NAMES"),
        ("pii/email", "EMAIL"),
        ("x/--", "VALUE"),
    ],
)
def test_kind_of(detector: str, kind: str) -> None:
    assert kind_of(detector) == kind


def test_same_value_same_placeholder_numbered_per_kind() -> None:
    p = Pseudonyms()
    assert p.placeholder("pii/email", EMAIL) == "<EMAIL_1>"
    assert p.placeholder("pii/email", OTHER_EMAIL) == "<EMAIL_2>"
    assert p.placeholder("pii/email", EMAIL) == "<EMAIL_1>"
    assert p.placeholder("pii/credit_card", "4111") == "<CREDIT_CARD_1>"
    assert len(p) == 3


def test_reserved_numbers_are_skipped() -> None:
    p = Pseudonyms()
    p.reserve("the user already wrote <EMAIL_1> and <EMAIL_2>")
    assert p.placeholder("pii/email", EMAIL) == "<EMAIL_3>"


def test_restore_only_what_was_issued() -> None:
    p = Pseudonyms()
    issued = p.placeholder("pii/email", EMAIL)
    assert issued == "<EMAIL_1>"
    text = "write to <EMAIL_1>, not <EMAIL_7> or <EMAIL 1>"
    assert p.restore(text) == f"write to {EMAIL}, not <EMAIL_7> or <EMAIL 1>"
    assert Pseudonyms().restore(text) == text


def test_longest_placeholder_wins() -> None:
    p = Pseudonyms()
    for i in range(12):
        p.placeholder("pii/email", f"user{i}@example.org")
    assert p.restore("<EMAIL_1> <EMAIL_11>") == "user0@example.org user10@example.org"


def test_a_full_map_gives_none() -> None:
    p = Pseudonyms(max_values=2)
    assert p.placeholder("pii/email", "a@b.co") is not None
    assert p.placeholder("pii/email", "c@d.co") is not None
    assert p.placeholder("pii/email", "e@f.co") is None
    assert p.placeholder("pii/email", "a@b.co") == "<EMAIL_1>"  # known values still map


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("see <EMA", 4),
        ("see <EMAIL_", 7),
        ("see <", 1),
        ("see <EMAIL_1>", 9),  # complete: held too, until the next piece
        ("see <PHONE", 0),  # no issued placeholder starts so
        ("see EMAIL", 0),
    ],
)
def test_pending_holds_a_placeholder_still_arriving(text: str, held: int) -> None:
    p = Pseudonyms()
    p.placeholder("pii/email", EMAIL)
    assert p.pending(text) == held
    assert Pseudonyms().pending(text) == 0
