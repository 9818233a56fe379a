"""Validators for national, tax, health, bank and wallet identifiers.

Plain functions ``value -> bool`` like those of ``validators``, which lists
them in its table. Where ``python-stdnum`` (a well-kept registry of number
formats) knows an identifier, its check is used; the few it lacks (UK NINO,
US NPI and MBI, Ethereum's EIP-55) are written here from the published rules.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

from Crypto.Hash import keccak
from stdnum import bic, bitcoin, luhn
from stdnum.au import tfn
from stdnum.br import cpf
from stdnum.ca import sin
from stdnum.es import dni, nie
from stdnum.exceptions import ValidationError
from stdnum.fr import nir
from stdnum.in_ import aadhaar, pan
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.us import ein, rtn

_SEPARATORS = str.maketrans("", "", " -./\u00a0")


def _compact(value: str, upper: bool = True) -> str:
    compact = value.translate(_SEPARATORS)
    return compact.upper() if upper else compact


def _stdnum(check: Callable[[str], object], upper: bool = True) -> Callable[[str], bool]:
    """A stdnum ``validate`` as a predicate on the compacted value."""

    def valid(value: str) -> bool:
        compact = _compact(value, upper)
        if not compact.isascii():
            return False
        try:
            check(compact)
        except ValidationError:
            return False
        return True

    valid.__doc__ = f"python-stdnum's {check.__module__} check."
    return valid


in_aadhaar = _stdnum(aadhaar.validate)  # 12 digits, not 0/1 first, Verhoeff, not a palindrome
in_pan = _stdnum(pan.validate)  # AAAPA9999A with a known holder type in the fourth place
_cpf = _stdnum(cpf.validate)  # two mod-11 check digits


def br_cpf(value: str) -> bool:
    """A Brazilian CPF: two mod-11 check digits, not one digit repeated (111.111.111-11)."""
    digits = _compact(value)
    return len(set(digits)) > 1 and _cpf(value)


es_dni_nie = _stdnum(lambda v: (nie if v[:1] in "XYZ" else dni).validate(v))  # mod-23 letter
fr_nir = _stdnum(nir.validate)  # 13 digits and a mod-97 key, Corsica's 2A/2B
it_codice_fiscale = _stdnum(codicefiscale.validate)  # birth date fields and a check letter
nl_bsn = _stdnum(bsn.validate)  # the "elfproef" (weighted mod 11)
au_tfn = _stdnum(tfn.validate)  # weighted mod 11, 8 or 9 digits
ca_sin = _stdnum(sin.validate)  # Luhn, not starting with 0 or 8
us_ein = _stdnum(ein.validate)  # IRS campus prefixes
aba_routing = _stdnum(rtn.validate)  # ABA weights 3-7-1 mod 10
swift_bic = _stdnum(bic.validate)  # ISO 9362: bank, ISO 3166 country, location, branch
bitcoin_address = _stdnum(bitcoin.validate, upper=False)  # base58check (P2PKH/P2SH), bech32/bech32m


_NINO = re.compile(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]")
_NINO_NEVER = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def uk_nino(value: str) -> bool:
    """A UK National Insurance number: HMRC's prefix letters (no D, F, I, Q, U, V;
    no O second; never BG, GB, KN, NK, NT, TN, ZZ), six digits, suffix A-D."""
    compact = _compact(value)
    return _NINO.fullmatch(compact) is not None and compact[:2] not in _NINO_NEVER


def us_npi(value: str) -> bool:
    """A US National Provider Identifier: 10 digits starting 1 or 2, Luhn over
    the prefix 80840 (the health-industry issuer) and the first nine digits."""
    digits = _compact(value)
    return (
        len(digits) == 10
        and digits.isdigit()
        and digits[0] in "12"
        and luhn.is_valid("80840" + digits)
    )


_MBI = re.compile(
    r"[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9]"
    r"[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y]{2}[0-9]{2}"
)


def us_mbi(value: str) -> bool:
    """A Medicare Beneficiary Identifier: CMS's 11-place layout (no S, L, O, I, B, Z)."""
    return _MBI.fullmatch(_compact(value)) is not None


def _eip55(address: str) -> bool:
    body = address[2:]
    digest = keccak.new(digest_bits=256, data=body.lower().encode("ascii")).hexdigest()
    return all(
        (char.isupper() if int(nibble, 16) >= 8 else char.islower()) or char.isdigit()
        for char, nibble in zip(body, digest, strict=False)
    )


def ethereum_address(value: str) -> bool:
    """``0x`` and 40 hex digits; a mixed-case one must carry a valid EIP-55 checksum.

    All-lower and all-upper addresses carry no checksum; a run of one repeated
    digit (``0x000...0``, burn addresses aside) is refused as a placeholder.
    """
    body = value[2:]
    if len(body) != 40 or not value.startswith(("0x", "0X")) or not body.isascii():
        return False
    try:
        int(body, 16)
    except ValueError:
        return False
    if len(set(body.lower())) < 6:
        return False
    if body != body.lower() and body != body.upper():
        return _eip55(value)
    return True


_DATE = re.compile(
    r"(?P<y1>[0-9]{4})[-/.](?P<m1>[0-9]{1,2})[-/.](?P<d1>[0-9]{1,2})"
    r"|(?P<a>[0-9]{1,2})[-/. ](?P<b>[0-9]{1,2})[-/. ](?P<y2>[0-9]{4}|[0-9]{2})"
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january", "janvier", "januar", "enero", "gennaio"),
            ("feb", "february", "fevrier", "février", "februar", "febrero", "febbraio"),
            ("mar", "march", "mars", "märz", "marz", "marzo"),
            ("apr", "april", "avril", "abril", "aprile"),
            ("may", "mai", "mayo", "maggio"),
            ("jun", "june", "juin", "juni", "junio", "giugno"),
            ("jul", "july", "juillet", "juli", "julio", "luglio"),
            ("aug", "august", "août", "aout", "agosto"),
            ("sep", "sept", "september", "septembre", "septiembre", "settembre"),
            ("oct", "october", "octobre", "oktober", "octubre", "ottobre"),
            ("nov", "november", "novembre", "noviembre"),
            ("dec", "december", "décembre", "decembre", "dezember", "diciembre", "dicembre"),
        ),
        start=1,
    )
    for name in names
}
_WORDY = re.compile(r"[0-9A-Za-zÀ-ÿ]+")


def _plausible_birth(year: int, month: int, day: int) -> bool:
    today = datetime.date.today()
    if year < 100:
        year += 1900 if year > today.year % 100 else 2000
    if not 1900 <= year <= today.year:
        return False
    try:
        return datetime.date(year, month, day) <= today
    except ValueError:
        return False


def birth_date(value: str) -> bool:
    """A real calendar date in the past, from 1900 on: numeric (ISO, D/M/Y or
    M/D/Y, either reading accepted) or with a month name in English, French,
    German, Spanish or Italian."""
    match = _DATE.fullmatch(value.strip())
    if match is not None:
        if match["y1"]:
            return _plausible_birth(int(match["y1"]), int(match["m1"]), int(match["d1"]))
        a, b, year = int(match["a"]), int(match["b"]), int(match["y2"])
        return _plausible_birth(year, b, a) or _plausible_birth(year, a, b)
    words = _WORDY.findall(value.lower())
    month = next((_MONTHS[w] for w in words if w in _MONTHS), None)
    numbers = [int(w) for w in words if w.isdigit()]
    if month is None or len(numbers) != 2:
        return False
    day, year = sorted(numbers)
    return _plausible_birth(year, month, day)


CHECKSUMS: Mapping[str, Callable[[str], bool]] = MappingProxyType(
    {
        "in_aadhaar": in_aadhaar,
        "in_pan": in_pan,
        "br_cpf": br_cpf,
        "es_dni_nie": es_dni_nie,
        "fr_nir": fr_nir,
        "it_codice_fiscale": it_codice_fiscale,
        "nl_bsn": nl_bsn,
        "au_tfn": au_tfn,
        "ca_sin": ca_sin,
        "uk_nino": uk_nino,
        "us_ein": us_ein,
        "us_npi": us_npi,
        "us_mbi": us_mbi,
        "aba_routing": aba_routing,
        "swift_bic": swift_bic,
        "bitcoin_address": bitcoin_address,
        "ethereum_address": ethereum_address,
        "birth_date": birth_date,
    }
)
