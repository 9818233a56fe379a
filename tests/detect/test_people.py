"""Names and addresses: confidence tiers, postal-code checks, and a gate that changes nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extproc.detect.catalogue import BUILTIN
from extproc.detect.scanner import build_scanner

SCANNER = build_scanner(BUILTIN)
UNGATED = build_scanner(BUILTIN, gate=False)


def _found(text: str, detector: str) -> list[tuple[str, float]]:
    return [
        (text[f.start : f.end], f.confidence) for f in SCANNER.scan(text) if f.detector == detector
    ]


@pytest.mark.parametrize(
    ("text", "value", "confidence"),
    [
        ("Dear Margaret Holloway,", "Margaret Holloway", 0.9),  # salutation, known
        ("Please call Dr. Okonkwo today", "Okonkwo", 0.6),  # title, one unknown word
        ("Please call Dr. Ngozi Okonkwo today", "Ngozi Okonkwo", 0.9),  # title, two words
        ("Name: Zbyszko", "Zbyszko", 0.85),  # label, unknown: its context word lifts 0.75
        ('{"last_name": "Wrzesniewska"}', "Wrzesniewska", 0.85),
        ("Thanks,\nAmara Nwosu", "Amara Nwosu", 0.9),  # sign-off line
        ("Hi Priya, the build is green", "Priya", 0.6),  # salutation, unknown, comma
        ("I met Michael Thompson there", "Michael Thompson", 0.6),  # bare, both known
        ("I met Amber Barrett there", "Amber Barrett", 0.5),  # first is also a word
        ("I met Michael Zbigniewski there", "Michael Zbigniewski", 0.45),
    ],
)
def test_name_tiers(text: str, value: str, confidence: float) -> None:
    assert _found(text, "pii/name") == [(value, confidence)]


@pytest.mark.parametrize(
    "text",
    [
        "I met Ngozi Okonkwo there",  # bare and unknown: needs context
        "Will Power and Grace Period",  # English words
        "took 12 ms. Then we left",  # "ms" is no title in lower case
        "file name: Config Manager",
        "project_name: Apollo",
        "Dear Sir or Madam,",
        "Meet at 221 Baker Street",
        "Charlotte Street is closed",
    ],
)
def test_not_names(text: str) -> None:
    assert _found(text, "pii/name") == []


@pytest.mark.parametrize(
    ("text", "confidence"),
    [
        ("742 Evergreen Terrace, Springfield, OR 97403", 0.85),
        ("742 Evergreen Terrace", 0.6),  # street line alone
        ("10 Downing Street, London SW1A 2AA", 0.85),
        ("Hauptstraße 5, 10115 Berlin", 0.85),
        ("12 rue de la Paix, 75002 Paris", 0.85),
        ("Address: 742 Evergreen Terrace", 0.95),  # context raises it
    ],
)
def test_address_tiers(text: str, confidence: float) -> None:
    assert [c for _, c in _found(text, "pii/address")] == [confidence]


@pytest.mark.parametrize(
    "text",
    [
        "742 Evergreen Terrace, Springfield, XX 97403",  # no such state
        "742 Evergreen Terrace, Springfield, OR 00000",
        "Hauptstraße 5, 00115 Berlin",  # German codes never start with 00
        "12 rue de la Paix, 99002 Paris",  # no département 99
        "version 2 Main Street",
    ],
)
def test_invalid_postal_codes_or_counts_are_no_address(text: str) -> None:
    assert [v for v, c in _found(text, "pii/address") if c >= 0.85 or "Street" not in v] == []


FRAGMENTS = st.sampled_from(
    [
        "Dear ", "Hi ", "Mr. ", "Dr ", "ms. ", "Name: ", "name=", '"first_name": "', "Regards,\n",
        "Thanks,\n", "Anna", "Smith", "O'Brien", "McDonald", "van der ", "Jean-Luc", "Ngozi",
        "Will", "Grace", "Beach", " ", "\n", ", ", ".", "42 ", "221B ", "Main", " Street",
        " St.", " Avenue", " Apt 4", "Springfield, OR 97403", " SW1A 2AA", "10115 Berlin",
        "Hauptstraße 5", "rue de la Paix", "12, ", "75002 Paris", "APO AE 09123",
        "PSC 1234, Box 5678",
        "É", "ß", "\u2019",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS, min_size=1, max_size=12))
def test_the_gate_changes_no_name_or_address_finding(parts: list[str]) -> None:
    text = "".join(parts)
    assert SCANNER.scan(text) == UNGATED.scan(text)
