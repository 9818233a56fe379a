"""How much a value written after a secret's name looks like a real secret.

``password: changeme`` in a README is no leak; ``password: 8fK#q2Lm!x`` is.
The checks here tell placeholders and template variables from values, and
rate a value by its length, character mix and entropy, and whether it is a
common password or a dictionary word with a few digits (``Summer2024``).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter

# Common passwords and the words documentation uses in their place: facts
# about what people type, listed here so that they rate low, not high.
_WEAK = frozenset(
    """
    password passw0rd p@ssw0rd p@ssword password1 password123 pass pass123 passwd
    secret secret123 mysecret topsecret changeme changeit change_me letmein welcome
    welcome1 admin admin123 administrator root toor guest default qwerty qwerty123
    abc123 abcdef 123456 1234567 12345678 123456789 1234567890 111111 000000 654321
    iloveyou monkey dragon master sunshine princess football baseball shadow
    hunter2 trustno1 test test123 testing demo example sample dummy foobar foo bar
    baz token apikey api_key mytoken mypassword yourpassword your_password
    your-password your_secret your-secret yoursecret your_token your-token
    your_api_key your-api-key secretpassword supersecret s3cr3t hello world
    none null nil undefined empty blank todo tbd fixme redacted masked hidden
    required optional string value placeholder insert_here changeme123 postgres
    mysql redis rabbitmq guestguest user username login
    """.split()  # noqa: SIM905 (a word list reads best as words)
)

# Words documentation writes where a secret goes: never reported as one.
_DOCS_WORDS = frozenset(
    """
    password passwd pass pwd passw pw secret token apikey api_key value string required
    optional
    none null nil undefined empty blank todo tbd fixme redacted masked hidden
    """.split()  # noqa: SIM905 (a word list reads best as words)
)

_PLACEHOLDER = re.compile(
    r"""
    [<\[{(].*[>\]})]        # <password>, [token], {secret}, (value)
    | ^\$[A-Za-z_]           # $VAR as the value (a "$" inside a password is a character)
    | \$\{[A-Za-z_]          # ${VAR} anywhere
    | %\(?[A-Za-z_]*\)?s    # %s, %(name)s
    | \{\{.*\}\}            # {{ template }}
    | [(\[{]                 # code: getenv("X"), config["key"], f"{key}"
    | ^[*xX.#?_-]+$         # ********, xxxxxx, ....
    | ^[A-Za-z_]+(?:\.[A-Za-z_]+)+$   # process.env.DB_PASS, settings.SECRET_KEY
    | ^(?:your|my|the|some|insert|enter|replace|put)[_ -]?
    | (?:here|goes|example|sample|dummy|placeholder|redacted)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_DIGITS = frozenset("0123456789")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_WORDISH = re.compile(r"[A-Za-z]+[0-9!@#$%^&*._-]{0,6}")


def _bits(text: str) -> float:
    """Shannon entropy per character (``validators`` imports this module, so its
    own ``shannon_entropy`` cannot be imported here)."""
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values()) if size else 0.0


def _classes(text: str) -> int:
    return (
        (text != text.lower())
        + (text != text.upper())
        + (not _DIGITS.isdisjoint(text))
        + any(not c.isalnum() for c in text)
    )


def placeholder(value: str) -> bool:
    """True for a template variable, a redaction mark or a documentation stand-in."""
    stripped = value.strip("\"'` ")
    if len(stripped) < 4 or len(set(stripped)) < 3:
        return True
    return _PLACEHOLDER.search(stripped) is not None


def secret_value(value: str) -> bool:
    """A value that may be a real secret: not a placeholder, not a stand-in word."""
    return not placeholder(value) and value.strip("\"'` ").lower() not in _DOCS_WORDS


def strength(value: str) -> float | None:
    """Confidence that a value assigned to a secret's name is a real secret.

    None: a placeholder or template variable. 0.3: a common password, or
    shorter than 8. 0.55: a word with a few digits or symbols, or a plain
    word. 0.75: 8+ characters of three kinds or more. 0.9: random-looking
    (16+ characters, three bits of entropy per character or more, two kinds).
    """
    stripped = value.strip("\"'` ")
    if not secret_value(stripped):
        return None
    if len(stripped) < 8 or stripped.lower() in _WEAK:
        return 0.3
    if len(_PERCENT.findall(stripped)) > 1:
        return None  # URL-encoded: the decoded layer rates the value itself
    if _encoded_text(stripped):
        # base64 of readable text: an encoded value whose own detector (run on
        # the decoded layer) should name it, not a password typed as such.
        return 0.55
    classes = _classes(stripped)
    if len(stripped) >= 16 and classes >= 2 and _bits(stripped) >= 3.0:
        return 0.8
    if _WORDISH.fullmatch(stripped):
        return 0.55
    if classes >= 3 or (len(stripped) >= 12 and _bits(stripped) >= 3.0):
        return 0.75
    return 0.55


def random_token(value: str) -> bool:
    """A token body with no prefix of its own: 16+ characters, two kinds, 3+ bits each."""
    stripped = value.strip("\"'` ")
    return (
        len(stripped) >= 16
        and not placeholder(stripped)
        and _classes(stripped) >= 2
        and _bits(stripped) >= 3.0
    )


def hex_key(value: str) -> bool:
    """A random hex key: not a placeholder, digits and letters mixed, 3+ bits each."""
    return (
        not placeholder(value)
        and not _DIGITS.isdisjoint(value)
        and not value.isdigit()
        and _bits(value.lower()) >= 3.0
    )


def _b64decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _encoded_text(value: str) -> bool:
    if len(value) % 4 or len(value) < 12:
        return False
    raw = _b64decode(value)
    if raw is None:
        return False
    try:
        return raw.decode("utf-8").isprintable()
    except UnicodeDecodeError:
        return False


def basic_auth(value: str) -> bool:
    """Base64 of ``user:password`` with printable text and a real-looking password."""
    raw = _b64decode(value)
    if raw is None:
        return False
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    user, colon, password = decoded.partition(":")
    return bool(colon and user and decoded.isprintable() and not placeholder(password))


def base64_key(value: str) -> bool:
    """A base64 key of 32 bytes or more with a random-looking body (Azure account keys)."""
    raw = _b64decode(value)
    return raw is not None and len(raw) >= 32 and len(set(raw)) >= 16


def discord_token(value: str) -> bool:
    """A Discord bot token: the first part is the base64 of a numeric snowflake id."""
    raw = _b64decode(value.split(".", 1)[0].replace("-", "+").replace("_", "/"))
    return raw is not None and raw.isdigit() and 15 <= len(raw) <= 21


STRENGTH_CHECKS = {
    "secret_value": secret_value,
    "random_token": random_token,
    "hex_key": hex_key,
    "basic_auth": basic_auth,
    "base64_key": base64_key,
    "discord_token": discord_token,
}
