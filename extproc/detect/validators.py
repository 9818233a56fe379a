"""Validators: plain functions ``value -> bool``, named in one table.

A validator sees only the matched value. It strips the separators its pattern
allows (spaces of any kind, line breaks, dashes, dots, slashes, ``+``,
parentheses) and answers whether the value is plausible on its own:
checksums, issuer ranges, registry rules.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

from extproc.detect import phones
from extproc.detect.checksums import CHECKSUMS
from extproc.detect.ip import ip_address, ipv4, ipv6, personal_ip
from extproc.detect.strength import STRENGTH_CHECKS

_SEPARATORS = re.compile(r"[\s\-./+()]")


def _strip(value: str) -> str:
    return _SEPARATORS.sub("", value)


def luhn_checksum(digits: str) -> bool:
    """The mod-10 check of ISO/IEC 7812 over a string of ASCII digits."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


# (lowest prefix, highest prefix, allowed lengths); prefixes compared on the
# same number of leading digits.
_ISSUERS: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("4", "4", frozenset({13, 16, 19})),  # Visa
    ("51", "55", frozenset({16})),  # Mastercard
    ("2221", "2720", frozenset({16})),  # Mastercard 2-series
    ("34", "34", frozenset({15})),  # American Express
    ("37", "37", frozenset({15})),
    ("6011", "6011", frozenset(range(16, 20))),  # Discover
    ("644", "649", frozenset(range(16, 20))),
    ("65", "65", frozenset(range(16, 20))),
    ("3528", "3589", frozenset(range(16, 20))),  # JCB
    ("1800", "1800", frozenset({15})),
    ("2131", "2131", frozenset({15})),
    ("300", "305", frozenset(range(14, 20))),  # Diners Club
    ("3095", "3095", frozenset(range(14, 20))),
    ("36", "36", frozenset(range(14, 20))),
    ("38", "39", frozenset(range(14, 20))),
    ("62", "62", frozenset(range(16, 20))),  # UnionPay
    ("5018", "5018", frozenset(range(12, 20))),  # Maestro
    ("5020", "5020", frozenset(range(12, 20))),
    ("5038", "5038", frozenset(range(12, 20))),
    ("5893", "5893", frozenset(range(12, 20))),
    ("6304", "6304", frozenset(range(12, 20))),
    ("6759", "6759", frozenset(range(12, 20))),
    ("6761", "6763", frozenset(range(12, 20))),
)


def card_issuer_ok(digits: str) -> bool:
    """True if the number starts with a known issuer range at a length it issues."""
    for low, high, lengths in _ISSUERS:
        if len(digits) in lengths and low <= digits[: len(low)] <= high:
            return True
    return False


def luhn(value: str) -> bool:
    """A payment card number: issuer prefix, issuer length, Luhn checksum."""
    digits = _strip(value)
    return 12 <= len(digits) <= 19 and card_issuer_ok(digits) and luhn_checksum(digits)


# ISO 13616 registry: country code -> IBAN length.
IBAN_LENGTHS: Mapping[str, int] = MappingProxyType(
    {
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
        "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
        "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
        "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
        "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
        "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
        "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27,
        "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28,
        "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
        "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
        "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
    }
)  # fmt: skip


def iban(value: str) -> bool:
    """An IBAN: registered country, its length, and the ISO 7064 mod-97 check."""
    compact = _strip(value).upper()
    if not compact.isascii() or not compact.isalnum():
        return False
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    if not "02" <= compact[2:4] <= "98":
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def ssn_shape(value: str) -> bool:
    """Nine digits, whatever their ranges: an SSN as typed in an example."""
    digits = _strip(value)
    return len(digits) == 9 and digits.isascii() and digits.isdigit()


def us_ssn(value: str) -> bool:
    """A US Social Security number inside the ranges the SSA assigns.

    Area 000, 666 and 900-999 (ITINs and advertising numbers), group 00 and
    serial 0000 are never issued.
    """
    digits = _strip(value)
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area < "900" and group != "00" and serial != "0000"


def phone(value: str) -> bool:
    """A phone number that counts on its own (``extproc.detect.phones``, default regions).

    International with ``+`` or ``00``; NANP written with separators; a
    national number written with separators that is valid in one of the
    regions. A bare digit run without ``+`` is not plausible on its own (order
    numbers, timestamps): only context makes it one. Extensions (``x123``,
    ``ext. 123``) and a trunk ``(0)`` are not part of the number.
    """
    return phones.DEFAULT.plausible(value)


def phone_with_context(value: str) -> bool:
    """After a context word: also a bare digit run valid in one of the regions."""
    return phones.DEFAULT.with_context(value)


def phone_example(value: str) -> bool:
    """A NANP shape outside the numbering rules (555-01xx fiction, 123-456-7890)."""
    return phones.DEFAULT.example_shape(value)


def _b64url_decode(part: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        return None


def jwt(value: str) -> bool:
    """A JWS compact token whose header is a JSON object naming its ``alg``."""
    parts = value.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return False
    header = _b64url_decode(parts[0])
    if header is None or _b64url_decode(parts[1]) is None:
        return False
    try:
        decoded = json.loads(header)
    except ValueError:
        return False
    return isinstance(decoded, dict) and "alg" in decoded


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text``'s own character distribution."""
    size = len(text)
    if not size:
        return 0.0
    counts = [text.count(char) for char in set(text)]
    return -sum(n / size * math.log2(n / size) for n in counts)


_DIGITS = frozenset("0123456789")


def _classes(text: str) -> int:
    return (text != text.lower()) + (text != text.upper()) + (not _DIGITS.isdisjoint(text))


def high_entropy(value: str) -> bool:
    """A random-looking token body, not a placeholder or a hyphenated phrase.

    The longest run between ``-``/``_`` separators must be at least 16 characters,
    mix at least two of upper case, lower case and digits, and carry at least
    3 bits of entropy per character (``XXXX...`` or ``your-key-here`` fail).
    Bodies that separators cut short (URL-safe base64 holds ``-`` and ``_``;
    Slack's numeric groups) are judged whole: everything after the prefix, at
    least 24 characters with a run of 8 or more, with the same mix and entropy.
    """
    parts = value.replace("_", "-").split("-")
    body = max(parts, key=len)
    if len(body) >= 16 and _classes(body) >= 2 and shannon_entropy(body) >= 3.0:
        return True
    rest = "".join(parts[1:])
    return (
        len(rest) >= 24 and len(body) >= 8 and _classes(rest) >= 2 and shannon_entropy(rest) >= 3.0
    )


_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def aws_key_id(value: str) -> bool:
    """An AWS access key id: the exact format (a 4-letter prefix, 16 base32
    characters) with a random-looking body, else a plausible token body.

    A base32 body has no lower case and often no digit, so ``high_entropy``'s
    mix of classes would refuse one key in thirty; its entropy alone tells a
    key from ``XXXX...`` or ``EXAMPLEEXAMPLE``.
    """
    body = value[4:]
    if len(body) == 16 and _BASE32.issuperset(body):
        # One random body in 10^5 falls under 2.5 bits; EXAMPLEEXAMPLEEX has 2.48.
        return shannon_entropy(body) >= 2.5
    return high_entropy(value)


def aws_secret(value: str) -> bool:
    """An AWS secret access key: 40 base64 characters, random, with both cases.

    Forty hex digits (a git SHA, a GitHub OAuth secret) have one case only.
    """
    return (
        len(value) == 40
        and value != value.lower()
        and value != value.upper()
        and shannon_entropy(value) >= 4.0
        and high_entropy(value)
    )


def aws_session_token(value: str) -> bool:
    """An STS session token: long base64, random, with both cases."""
    body = value.rstrip("=")
    return len(body) >= 100 and body != body.lower() and shannon_entropy(body) >= 4.5


VALIDATORS: Mapping[str, Callable[[str], bool]] = MappingProxyType(
    {
        "luhn": luhn,
        "iban": iban,
        "us_ssn": us_ssn,
        "ssn_shape": ssn_shape,
        "ipv4": ipv4,
        "ipv6": ipv6,
        "ip_address": ip_address,
        "personal_ip": personal_ip,
        "phone": phone,
        "phone_with_context": phone_with_context,
        "phone_example": phone_example,
        "jwt": jwt,
        "high_entropy": high_entropy,
        "aws_key_id": aws_key_id,
        "aws_secret": aws_secret,
        "aws_session_token": aws_session_token,
        # Identifiers (stdnum where it knows them) and secret-value checks.
        **CHECKSUMS,
        **STRENGTH_CHECKS,
    }
)
