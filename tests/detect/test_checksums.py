"""The identifier and secret-value validators: values each must accept and refuse.

``test_validators`` runs these cases too (its table covers every validator).
"""

from __future__ import annotations

import pytest

from extproc.detect.strength import placeholder, strength

# Values are made up to pass (or fail) the published checks; none was issued.
CHECKSUM_CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "in_aadhaar": (("5533 7406 8124", "553374068124"), ("5533 7406 8125", "1533 7406 8124")),
    "in_pan": (("BIBPQ7359O", "AAACB1234K"), ("ABCDE1234F", "BIBPQ735")),
    "br_cpf": (("187.244.670-14", "22705952977"), ("187.244.670-15", "111.111.111-11")),
    "es_dni_nie": (("28795075H", "X0211787A", "28795075-H"), ("28795075A", "X0211787B")),
    "fr_nir": (("1 84 08 15 741 421 66", "184081574142166"), ("184081574142167",)),
    "it_codice_fiscale": (("BCCFRC15M25E852P",), ("BCCFRC15M25E852Q", "ABCDEF12G34H567")),
    "nl_bsn": (("298438677", "2984.38.677"), ("298438678",)),
    "au_tfn": (("884 289 849", "884289849"), ("884 289 848",)),
    "ca_sin": (("584 332 282", "584-332-282"), ("584 332 283", "046 454 286")),
    "uk_nino": (("JG103759A", "AB 12 34 56 C"), ("QQ123456C", "BG123456A", "AB123456E")),
    "us_ein": (("12-3456789", "04-1234567"), ("07-3456789", "00-1234567")),
    "us_npi": (("1234567893", "1697071375"), ("1234567890", "3697071375", "123456789")),
    "us_mbi": (("1EG4-TE5-MK73", "1EG4TE5MK73"), ("1SG4-TE5-MK73", "0EG4TE5MK73")),
    "aba_routing": (("011000015", "076084144"), ("011000016", "01100001")),
    "swift_bic": (("DEUTDEFF", "BNPAFRPPXXX"), ("PASSWORD", "DEUT1EFF")),
    "bitcoin_address": (
        (
            "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        ),
        ("1BoatSLRHtKNngkdXEeobR76b53LETtpyU", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp"),
    ),
    "ethereum_address": (
        (
            "0x8B0E7153BF7C3706D85C524e440066559A6656c9",  # EIP-55 checksum
            "0x8b0e7153bf7c3706d85c524e440066559a6656c9",  # no checksum: lower case
        ),
        (
            "0x8B0E7153BF7C3706D85C524e440066559A6656C9",  # one letter's case flipped
            "0x0000000000000000000000000000000000000000",
            "0x8b0e7153bf7c3706d85c524e440066559a6656",
        ),
    ),
    "birth_date": (
        ("1984-07-23", "23/07/1984", "07/23/1984", "March 3, 1991", "3. März 1962"),
        ("31/02/1990", "2099-01-01", "1850-01-01", "13/13/1990"),
    ),
    "secret_value": (("Xk9vQ2mLp7rT4wZ", "hunter22"), ("${DB_PASSWORD}", "<password>", "****")),
    "random_token": (("Xk9vQ2mLp7rT4wZ9bN6c",), ("your-api-key-here-x", "aaaaaaaaaaaaaaaaaaaa")),
    "hex_key": (("f3b9c1d7e5a24b6c8d0e2f4a6b8c0d1e",), ("0" * 32, "12345678901234567890")),
    "basic_auth": (
        ("QWxhZGRpbjpvcGVuIHNlc2FtZQ==",),  # RFC 7617's Aladdin:open sesame
        ("dXNlcjo=", "understanding", "dXNlcjokeyBQQVNTV09SRCB9"),
    ),
    "base64_key": (
        ("kT3yX8vQ2mLp7rT4wZ9bN6cF1hJ5sD0gA3eR8uI2oP7lK4jH6gF9dS1aZ5xC3vB8nM0qW2eR7tY4uI9oP1aS==",),
        ("A" * 86 + "==", "c2hvcnQ="),
    ),
    "discord_token": (
        ("MTExNjQ3ODkwMTIzNDU2Nzg5MA.GhQx3a.abcdefghijklmnopqrstuvwxyz01234",),
        ("Nabcdefghijklmnopqrstuvwx.abcdef.abcdefghijklmnopqrstuvwxyz0",),
    ),
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${DB_PASSWORD}", None),
        ("<your password>", None),
        ("os.environ.get('X')", None),
        ("settings.SECRET_KEY", None),
        ("%73%65%63%72%65%74", None),  # URL-encoded: the decoded layer decides
        ("1WYKRJ%DA7AR-YL9MK", 0.8),  # one "%" followed by hex is just a character
        ("changeme", 0.3),
        ("abc12", 0.3),
        ("Summer2024!", 0.55),
        ("c2VjcmV0IHBhc3N3b3Jk", 0.55),  # base64 of readable text
        ("8fK#q2Lm!x", 0.75),
        ("Xk9vQ2mLp7rT4wZ9bN6cF1", 0.8),
    ],
)
def test_strength_tiers(value: str, expected: float | None) -> None:
    assert strength(value) == expected


def test_placeholders_are_not_secrets() -> None:
    for value in ("xxxxxxxx", "<token>", "{{ secret }}", "your_api_key", "REDACTED-value"):
        assert placeholder(value)
    assert not placeholder("Xk9vQ2mLp7rT4wZ")
