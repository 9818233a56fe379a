"""Phone numbers as people write them, judged by ``phonenumbers`` (Google's libphonenumber).

Three checks, from strict to loose, built for a list of regions (a policy's
``phone_regions``, else ``DEFAULT_REGIONS``):

* ``plausible``: a number that counts on its own. International (``+`` or
  ``00``), valid, or of a possible length for its country code with nine
  digits at least (not a prefix such as ``+44 1481``); a NANP number in
  the public numbering rules (written with separators); or a national number
  written with separators and its trunk ``0`` that is *valid* in one of the
  regions (``030 23125000`` in Germany, ``020 7946 0958`` in the UK, ``06 12
  34 56 78`` in France). A bare digit run is never plausible on its own
  (order numbers, timestamps), nor a national number without a trunk 0
  (``612 34 56 78`` in Spain reads like ``399 700 498`` bytes).
* ``with_context``: with a context word or field name ("phone", ``mobile:``),
  also a bare digit run and a national number without a trunk 0 that is
  valid in one of the regions, or NANP-shaped.
* ``example_shape``: what fails both but is typed as an example every day:
  NANP shapes outside the numbering rules (``555-01xx`` fiction, ``123-456-7890``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException

# Regions whose national formats count without a "+": North America, the
# larger European numbering plans and Australia (see policies/README.md).
DEFAULT_REGIONS = (
    "US", "CA", "GB", "IE", "DE", "AT", "CH", "FR", "BE", "NL", "ES", "IT", "PL", "SE", "AU",
)  # fmt: skip

_EXTENSION = re.compile(r"[ ]?(?:x|ext\.?|#)[ ]?[0-9]{1,5}\Z")
_TRUNK = re.compile(r"[ ]?\(0\)")
_NOT_DIGIT = re.compile(r"[^0-9]")
# An SSN's 3-2-4 grouping is never how a phone number is written.
_SSN_GROUPING = re.compile(r"[0-9]{3}[^0-9][0-9]{2}[^0-9][0-9]{4}")
# One dot between two digit groups is a decimal number (the seconds of a time).
_DECIMAL = re.compile(r"[0-9]+\.[0-9]+")
# A ZIP+4 code (02110-1301) is no phone number either.
_ZIP4 = re.compile(r"[0-9]{5}-[0-9]{4}")
# National numbers (trunk 0 included) have eight digits or more.
_NATIONAL_MIN = 8
# NANP numbers are written 3-3-4 (a leading 1, parentheses around the area code).
_NANP_SHAPE = re.compile(
    r"(?:\+?1[ .-]?)?(?:\([0-9]{3}\)[ .-]?|[0-9]{3}[ .-]?)[0-9]{3}[ .-]?[0-9]{4}"
)
# Dates and times are never phone numbers ("2024-03-01 12", "01.03.2024").
_DATE = re.compile(
    r"(?:19|20)[0-9]{2}[-./ ](?:0?[1-9]|1[0-2])[-./ ](?:0?[1-9]|[12][0-9]|3[01])(?![0-9])"
    r"|[0-3]?[0-9][-./ ][0-3]?[0-9][-./ ](?:19|20)[0-9]{2}(?![0-9])"
)


def _digits(value: str) -> str:
    return _NOT_DIGIT.sub("", value)


def nanp_ok(digits: str) -> bool:
    """Ten NANP digits: NXX area and exchange, no N11 codes, no X9X area code, no 555-01xx."""
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    if area[0] in "01" or area[1:] == "11" or area[1] == "9":
        return False
    if exchange[0] in "01" or exchange[1:] == "11":
        return False
    return not (exchange == "555" and line.startswith("01"))


def _nanp(digits: str) -> str | None:
    """The ten NANP digits of ``digits`` (with an optional leading 1), else None."""
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return digits if len(digits) == 10 else None


def _clean(value: str) -> str:
    value = _EXTENSION.sub("", value)
    return _TRUNK.sub("", value, count=1)


@lru_cache(maxsize=4096)
def _international_ok(digits: str) -> bool:
    """Country code and number, valid, or possible with nine digits or more."""
    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except NumberParseException:
        return False
    if phonenumbers.is_valid_number(parsed):
        return True
    # Possible for its country, and as long as a whole number (not a prefix).
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    return reason == phonenumbers.ValidationResult.IS_POSSIBLE and len(digits) >= 9


@dataclass(frozen=True, slots=True)
class PhoneChecks:
    plausible: Callable[[str], bool]
    with_context: Callable[[str], bool]
    example_shape: Callable[[str], bool]


def _national_prefix(region: str) -> str | None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return metadata.national_prefix if metadata is not None else None


def phone_checks(regions: Sequence[str] = DEFAULT_REGIONS) -> PhoneChecks:
    """The three checks for ``regions`` (ISO 3166 codes; unknown ones raise ValueError)."""
    known = phonenumbers.SUPPORTED_REGIONS
    chosen = tuple(dict.fromkeys(r.upper() for r in regions))
    unknown = [r for r in chosen if r not in known]
    if unknown:
        raise ValueError(f"unknown phone region(s): {', '.join(unknown)}")
    national = tuple(r for r in chosen if r not in ("US", "CA"))
    trunk = tuple(r for r in national if _national_prefix(r) == "0")
    no_trunk = tuple(r for r in national if _national_prefix(r) != "0")
    nanp = bool({"US", "CA"} & set(chosen))

    @lru_cache(maxsize=4096)
    def valid_in(number: str, candidates: tuple[str, ...]) -> bool:
        for region in candidates:
            try:
                parsed = phonenumbers.parse(number, region)
            except NumberParseException:
                continue
            if phonenumbers.is_valid_number_for_region(parsed, region):
                return True
        return False

    def international(value: str) -> bool | None:
        """True/False for a number written with its country code, None for others."""
        digits = _digits(value)
        if value.startswith("00") and not value.startswith("000"):
            digits = digits[2:]
        elif not value.startswith("+"):
            return None
        if digits.startswith("1"):
            return len(digits) == 11 and nanp_ok(digits[1:])
        return _international_ok(digits)

    def settled(value: str) -> bool | None:
        """What both checks answer alike: not ASCII, a date, or international."""
        if not value.isascii() or _DATE.match(value) or _DECIMAL.fullmatch(value):
            return False
        return international(value)

    def plausible(value: str) -> bool:
        value = _clean(value)
        found = settled(value)
        if found is not None:
            return found
        digits = _digits(value)
        if digits == value or set(digits) <= {"0", "1"}:
            return False  # a bare run (only context makes it a phone), binary digits
        ten = _nanp(digits)
        if nanp and ten is not None and _NANP_SHAPE.fullmatch(value) and nanp_ok(ten):
            return True
        if _SSN_GROUPING.fullmatch(value) or _ZIP4.fullmatch(value) or len(digits) < _NATIONAL_MIN:
            return False
        if digits.startswith("0"):
            return valid_in(value, trunk + no_trunk)
        # Without a trunk 0 ("612 34 56 78", "333 123 4567") a national number
        # looks like any grouped figure ("399 700 498" bytes): context decides.
        return False

    def with_context(value: str) -> bool:
        value = _clean(value)
        found = settled(value)
        if found is not None:
            return found
        digits = _digits(value)
        ten = _nanp(digits)
        nanp_shaped = digits == value or _NANP_SHAPE.fullmatch(value) is not None
        if nanp and ten is not None and nanp_shaped and nanp_ok(ten):
            return True
        # A national number is written with its trunk 0 where the region has one.
        return valid_in(digits, trunk + no_trunk if digits.startswith("0") else no_trunk)

    def example_shape(value: str) -> bool:
        value = _clean(value)
        digits = _digits(value)
        # (A bare run is asked only when context made it a candidate.)
        return _nanp(digits) is not None and bool(_NANP_SHAPE.fullmatch(value))

    return PhoneChecks(plausible, with_context, example_shape)


DEFAULT = phone_checks()


def phone_validators(regions: Sequence[str]) -> dict[str, Callable[[str], bool]]:
    """Validator-table entries for ``regions`` (``build_scanner(validators=...)``)."""
    checks = phone_checks(regions)
    return {
        "phone": checks.plausible,
        "phone_with_context": checks.with_context,
        "phone_example": checks.example_shape,
    }
