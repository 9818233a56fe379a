"""Each validator, table-driven: values it must accept and values it must refuse."""

from __future__ import annotations

import pytest

from extproc.detect.validators import (
    IBAN_LENGTHS,
    VALIDATORS,
    luhn_checksum,
    shannon_entropy,
)
from tests.detect.test_checksums import CHECKSUM_CASES

CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "luhn": (
        (
            "4111111111111111",  # Visa test card
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "4222222222222",  # Visa, 13 digits
            "5555555555554444",  # Mastercard
            "2223000048400011",  # Mastercard 2-series
            "378282246310005",  # Amex
            "6011111111111117",  # Discover
            "3530111333300000",  # JCB
            "30569309025904",  # Diners
            "6200000000000005",  # UnionPay
            "6759649826438453",  # Maestro
            "38520000023237",  # Diners, 14 digits from 38
            "180001234567808",  # JCB, 15 digits from 1800 and 2131
            "213101234567807",
        ),
        (
            "4111111111111112",  # Luhn fails
            "1234567812345678",  # no issuer starts with 1
            "0000000000000000",
            "378282246310005 0",
            "41111111111111111",  # Visa at 17 digits
            "5105105105105",  # Mastercard must be 16
            "411111111111",  # too short for Visa
            "4111a11111111111",
        ),
    ),
    "iban": (
        (
            "DE89370400440532013000",
            "DE89 3704 0044 0532 0130 00",
            "GB82WEST12345698765432",
            "GB82 WEST 1234 5698 7654 32",
            "NL91ABNA0417164300",
            "FR1420041010050500013M02606",
            "NO9386011117947",
        ),
        (
            "DE89370400440532013001",  # checksum
            "DE8937040044053201300",  # German IBANs have 22 characters
            "XX89370400440532013000",  # no such country
            "GB82WEST1234569876543!",
            "DE00370400440532013000",  # check digits outside 02..98
            "",
        ),
    ),
    "us_ssn": (
        ("123-45-6789", "123 45 6789", "123456789", "665-01-0001", "899-99-9999"),
        (
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",  # ITIN range
            "999-99-9999",
            "123-00-4567",
            "123-45-0000",
            "12-345-6789x",
            "1234567890",
        ),
    ),
    "ipv4": (
        ("192.168.1.1", "8.8.8.8", "0.0.0.0", "255.255.255.255"),
        ("256.1.1.1", "010.1.1.1", "1.2.3", "1.2.3.4.5", "10.0.19045.2364", "a.b.c.d"),
    ),
    "ipv6": (
        ("2001:db8::1", "fe80::1ff:fe23:4567:890a", "::ffff:198.51.100.4", "1:2:3:4:5:6:7:8"),
        ("::1", "::", "12:30:45", "00:1A:2B:3C:4D:5E", "2001:db8:::1", "g::1"),
    ),
    "ip_address": (("10.1.2.3", "2001:db8::1"), ("10.1.2", "::1", "1.2.3.4.5")),
    "phone": (
        (
            "(415) 555-2671",
            "415-555-2671",
            "415.555.2671",
            "1-800-225-5288",
            "+1 212-736-5000",
            "+44 20 7946 0958",
            "+33 1 42 68 53 00",
            "+4915112345678",
            "+44(0)121 4960260",  # trunk prefix written in
            "0151 23456789",  # national formats valid in a default region
            "030 23125000",
            "020 7946 0958",
            "06 12 34 56 78",
            "0049 151 23456789",
            "+49 (0) 5102 734646",
            "(415) 555-2671 x123",  # extensions
            "415-555-2671 ext. 12",
        ),
        (
            "4155552671",  # a bare digit run needs context
            "123-456-7890",  # area code cannot start with 1
            "211-555-2671",  # N11 area code
            "415-155-2671",  # exchange cannot start with 1
            "212-555-0147",  # 555-01xx is reserved for fiction
            "495-555-2671",  # X9X area codes are unassigned
            "+1 123 456 7890",
            "+0 123 456 789",
            "+5 10 15",  # too short for E.164
            "+1234567890123456",  # too long for E.164
            "2024-03-01 12",  # a date and an hour
            "04.162217",  # the seconds of a time
            "52 94 236 248",
            "0000 000 000",
        ),
    ),
    "phone_with_context": (
        (
            "4155552671",  # after a context word a bare run counts
            "015123456789",  # German mobile, trunk 0
            "+44 20 7946 0958",
            "02079460958",
        ),
        ("2125550147", "1234567", "2024-03-01", "+1 123 456 7890"),
    ),
    "phone_example": (
        ("212-555-0147", "(212) 555-0199", "123-456-7890"),
        ("+44 20 7946 0958", "123-45-6789", "2024-03-01 12"),
    ),
    "ssn_shape": (("912-34-5678", "000-12-3456", "536228417"), ("12345678", "1234567890")),
    "personal_ip": (
        ("10.1.2.3", "8.8.8.8", "192.168.1.20", "2a05:d018:76c:b685::1"),
        (
            "0.0.0.0",
            "127.0.0.1",
            "169.254.169.254",  # cloud metadata (link-local)
            "fd00:ec2::254",
            "255.255.255.0",  # netmask
            "0.0.0.255",  # wildcard mask
            "192.0.2.7",  # documentation ranges
            "198.51.100.4",
            "203.0.113.9",
            "2001:db8::1",
            "fe80::1",
            "::1",
            "224.0.0.251",
            "1::2",  # a slice, not an address
        ),
    ),
    "aws_secret": (
        (
            "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",
            "uV3F3YluFJax1cknvbcGwgjvx4QpvB+leU8dUj2o",
        ),
        (
            "9fceb02d0ae598e95dc970b74767f19372d61af8",  # a git SHA: one case
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "abcdefghijabcdefghijabcdefghijabcdefghij",
        ),
    ),
    "aws_session_token": (
        (
            "IQoJb3JpZ2luX2Vj" + "EHAaCXVzLWVhc3QtMSJHMEUCIQDk9n2wVx7TqLq3pZ0YkA5bRc8mJ1uHf6sNvX4yW"
            "tE2GwIgK3mPzQ8rT5vY1nB7xC2dF9gH4jL6kM0wS3aE5uI8oR0qogIIv",
        ),
        ("A" * 120, "IQoJb3JpZ2luX2Vj", "a" * 200),
    ),
    "jwt": (
        (
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",  # alg none, empty signature
        ),
        (
            "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln",  # no alg
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0",  # two parts
            "bm90IGpzb24.eyJzdWIiOiIxIn0.c2ln",  # header is not JSON
            "WzFd.eyJzdWIiOiIxIn0.c2ln",  # header is a JSON array
            "eyJhbGciOiJIUzI1NiJ9..c2ln",  # empty payload
        ),
    ),
    "aws_key_id": (
        (
            "AKIAIOSFODNN7EXAMPLE",
            "ASIA" + "CSAJUDPBKQPYOUJG",  # base32 without a digit
            "ABIA" + "SRY4N9E6YEQ8XO4SAZ",  # not base32: a plausible token
        ),
        (
            "AKIAXXXXXXXXXXXXXXXX",
            "AKIA" + "ABABABABABABABAB",
            "ASIAPACIFICREGIONALOFFICE",
        ),
    ),
    "high_entropy": (
        (
            "AKIAIOSFODNN7EXAMPLE",
            "sk-proj-hZRU52MYP0oz0lcegRfjjnjHhGFjzx",
            "ghp_RVDoi5IS8Dsa3NNk1dyqTmuhdh2DkdrCzMur",
            "xoxb-732874993886-9787335384408-ppBWJKUl2f9KHUcCX8bmy1d1",
            # separators cut the body short: judged whole
            "xoxp-313190926869-078483507380-6362357375783-2500573e3532c35c61e0251ce5530525",
            "sk-ant-api03-tRE0x-2zl0JU7ZG-fa2FKepg_YzCbV8gxQ_-RDZfoPa_UlFnDcFbIlIv57-dR-0h_oeXH",
        ),
        (
            "AKIAXXXXXXXXXXXXXXXX",
            "sk-your-api-key-here",
            "sk-learn-contrib-imbalanced-learn",
            "sk_test_aaaaaaaaaaaaaaaaaaaaaaaa",
            "short1A",
            "abababababababab12",
            "sk-your-api-key-here-2024-v2-final",
            "xoxp-000000000000-000000000000-0000000000000-00000000000000000000000000000000",
        ),
    ),
}

CASES.update(CHECKSUM_CASES)

TABLE = [
    pytest.param(name, value, True, id=f"{name}-ok-{i}")
    for name, (good, _) in CASES.items()
    for i, value in enumerate(good)
] + [
    pytest.param(name, value, False, id=f"{name}-bad-{i}")
    for name, (_, bad) in CASES.items()
    for i, value in enumerate(bad)
]


@pytest.mark.parametrize(("name", "value", "expected"), TABLE)
def test_validator(name: str, value: str, expected: bool) -> None:
    assert VALIDATORS[name](value) is expected


def test_every_validator_has_cases() -> None:
    assert set(CASES) == set(VALIDATORS)


@pytest.mark.parametrize(
    ("digits", "expected"),
    [("79927398713", True), ("79927398710", False), ("0", True), ("", False), ("12a", False)],
)
def test_luhn_checksum(digits: str, expected: bool) -> None:
    assert luhn_checksum(digits) is expected


def test_iban_length_table_is_sane() -> None:
    assert all(len(code) == 2 and code.isupper() for code in IBAN_LENGTHS)
    assert all(15 <= length <= 34 for length in IBAN_LENGTHS.values())
    assert IBAN_LENGTHS["DE"] == 22 and IBAN_LENGTHS["NO"] == 15


@pytest.mark.parametrize(("text", "bits"), [("", 0.0), ("aaaa", 0.0), ("abab", 1.0), ("abcd", 2.0)])
def test_shannon_entropy(text: str, bits: float) -> None:
    assert shannon_entropy(text) == pytest.approx(bits)
