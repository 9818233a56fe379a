"""Sensitive values and hard negatives, drawn from Faker with one seed.

Every value is fake: Faker's people, cards (Luhn-valid, fictitious), SSNs,
IBANs (valid check digits, no real account) and addresses; provider tokens
are a prefix and a random body that no provider ever issued.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from faker import Faker

T = TypeVar("T")

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BASE32 = string.ascii_uppercase + "234567"
LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL"]
IBAN_LOCALES = ["de_DE", "en_GB", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_PT", "no_NO"]

# Issuer ranges that Faker's generators overshoot (JCB draws any 35xx, Maestro
# some retired prefixes): such draws are drawn again.
_JCB = range(3528, 3590)
_MAESTRO = ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763")


@dataclass(frozen=True)
class Value:
    detector: str
    text: str
    needs_context: bool = False  # reported only after a context word (ITIN-range SSNs)
    span: tuple[int, int] | None = None  # the labelled part of ``text``; None: all of it


def _nanp_ok(area: str, exchange: str, line: str) -> bool:
    """The public NANP numbering rules: NXX codes, no N11, no 9 in the area's middle."""
    if area[0] in "01" or area[1:] == "11" or area[1] == "9":
        return False
    if exchange[0] in "01" or exchange[1:] == "11":
        return False
    return not (exchange == "555" and line.startswith("01"))


class Draw:
    """Seeded value generators; the same seed gives the same corpus."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker(LOCALES)
        self.fake.seed_instance(seed)
        self.us = Faker("en_US")
        self.us.seed_instance(seed + 1)
        self.ibans = {loc: Faker(loc) for loc in IBAN_LOCALES}
        for offset, faker in enumerate(self.ibans.values()):
            faker.seed_instance(seed + 10 + offset)
        self.values: dict[str, Callable[[], Value]] = {
            "pii/email": self.email,
            "pii/credit_card": self.card,
            "pii/us_ssn": self.ssn,
            "pii/phone_number": self.phone,
            "pii/ip_address": self.ip,
            "pii/iban": self.iban,
            "secret/aws_access_key": self.aws_key,
            "secret/aws_secret_key": self.aws_secret,
            "secret/aws_session_token": self.aws_session_token,
            "secret/github_token": self.github,
            "secret/jwt": self.jwt,
            "secret/private_key": self.private_key,
            "secret/openai_api_key": self.openai,
            "secret/anthropic_api_key": self.anthropic,
            "secret/slack_token": self.slack,
            "secret/stripe_key": self.stripe,
            "secret/google_api_key": self.google,
        }

    def chars(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def pick(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    # --- personal data

    def email(self) -> Value:
        f = self.us
        kind = self.rng.randrange(5)
        if kind == 0:
            text = f.company_email()
        elif kind == 1:
            text = f.free_email()
        elif kind == 2:
            first, last = f.first_name().lower(), f.last_name().lower()
            text = f"{first}.{last}+{self.pick(['billing', 'news', 'work'])}@{f.domain_name()}"
        elif kind == 3:
            text = f"{f.first_name()}.{f.last_name()}@{f.domain_name(2)}"
        else:
            text = f.email()
        return Value("pii/email", text)

    def card(self) -> Value:
        kinds = ["visa16", "visa16", "visa13", "visa19", "mastercard", "mastercard", "amex"]
        kinds += ["discover", "diners", "jcb15", "jcb16", "maestro"]
        kind = self.pick(kinds)
        while True:
            number = self.us.credit_card_number(card_type=kind)
            if kind == "jcb16" and int(number[:4]) not in _JCB:
                continue
            if kind == "maestro" and number[:4] not in _MAESTRO:
                continue
            break
        style = self.rng.randrange(4)
        if style == 0 or len(number) not in (15, 16):
            return Value("pii/credit_card", number)
        sep = " " if style < 3 else "-"
        if len(number) == 15:
            groups = [number[:4], number[4:10], number[10:]]
        else:
            groups = [number[i : i + 4] for i in range(0, 16, 4)]
        return Value("pii/credit_card", sep.join(groups))

    def ssn(self) -> Value:
        itin = self.rng.random() < 0.25
        text = self.us.itin() if itin else self.us.ssn()
        if self.rng.random() < 0.15:
            text = text.replace("-", " ")
        return Value("pii/us_ssn", text, needs_context=itin)

    def phone(self) -> Value:
        if self.rng.random() < 0.6:
            while True:
                digits = self.chars(string.digits, 10)
                area, exchange, line = digits[:3], digits[3:6], digits[6:]
                if _nanp_ok(area, exchange, line):
                    break
            formats = [
                f"({area}) {exchange}-{line}",
                f"{area}-{exchange}-{line}",
                f"{area}.{exchange}.{line}",
                f"+1 {area} {exchange} {line}",
                f"+1-{area}-{exchange}-{line}",
                f"1-{area}-{exchange}-{line}",
                f"+1 ({area}) {exchange}-{line}",
            ]
            text = self.pick(formats)
            if self.rng.random() < 0.1:
                text += self.pick([" x", " ext. ", "x"]) + self.chars(string.digits, 3)
            return Value("pii/phone_number", text)
        while True:
            text = self.fake.phone_number()
            if text.startswith("+") and not text.startswith("+1"):
                return Value("pii/phone_number", text)

    def ip(self) -> Value:
        kind = self.rng.randrange(5)
        if kind == 0:
            text = self.us.ipv4_private()
        elif kind == 1:
            text = str(ipaddress.IPv6Address(self.us.ipv6()))  # compressed
        elif kind == 2:
            text = self.us.ipv6()
        else:
            text = self.us.ipv4_public()
        return Value("pii/ip_address", text)

    def iban(self) -> Value:
        text = self.ibans[self.pick(IBAN_LOCALES)].iban()
        if self.rng.random() < 0.5:
            text = " ".join(text[i : i + 4] for i in range(0, len(text), 4))
        return Value("pii/iban", text)

    # --- secrets: a provider's prefix, a random body

    def aws_key(self) -> Value:
        return Value("secret/aws_access_key", self.pick(["AKIA", "ASIA"]) + self.chars(BASE32, 16))

    def aws_secret(self) -> Value:
        return Value("secret/aws_secret_key", self.chars(B64, 40), needs_context=True)

    def aws_session_token(self) -> Value:
        # STS tokens start with the base64 of their own header; the rest is opaque.
        prefix = self.pick(["IQoJb3JpZ2luX2Vj", "FwoGZXIvYXdz"])
        body = base64.b64encode(self.rng.randbytes(self.pick([240, 300, 420]))).decode()
        return Value("secret/aws_session_token", prefix + body.rstrip("="))

    def github(self) -> Value:
        if self.rng.random() < 0.25:
            text = "github_pat_" + self.chars(ALNUM, 22) + "_" + self.chars(ALNUM, 59)
        else:
            text = self.pick(["ghp_", "ghp_", "gho_", "ghs_", "ghu_"]) + self.chars(ALNUM, 36)
        return Value("secret/github_token", text)

    def jwt(self) -> Value:
        def part(obj: object) -> str:
            raw = json.dumps(obj, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        alg = self.pick(["HS256", "RS256", "ES256"])
        header = part({"alg": alg, "typ": "JWT"})
        claims = {
            "sub": str(self.us.uuid4()),
            "name": self.us.name(),
            "iat": self.rng.randrange(1_600_000_000, 1_750_000_000),
            "scope": self.pick(["read", "read write", "admin"]),
        }
        size = 32 if alg == "HS256" else 64 if alg == "ES256" else 256
        signature = base64.urlsafe_b64encode(self.rng.randbytes(size)).decode().rstrip("=")
        return Value("secret/jwt", f"{header}.{part(claims)}.{signature}")

    def private_key(self) -> Value:
        kind = self.pick(["RSA ", "EC ", "OPENSSH ", "", "ENCRYPTED "])
        body = base64.b64encode(self.rng.randbytes(self.rng.choice([96, 144, 192]))).decode()
        lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        text = f"-----BEGIN {kind}PRIVATE KEY-----\n{lines}\n-----END {kind}PRIVATE KEY-----"
        return Value("secret/private_key", text)

    def openai(self) -> Value:
        kind = self.rng.randrange(3)
        if kind == 0:
            text = "sk-proj-" + self.chars(B64URL, 74) + "T3BlbkFJ" + self.chars(B64URL, 74)
        elif kind == 1:
            text = "sk-" + self.chars(ALNUM, 20) + "T3BlbkFJ" + self.chars(ALNUM, 20)
        else:
            text = self.pick(["sk-", "sk-svcacct-", "sk-admin-"]) + self.chars(ALNUM, 48)
        return Value("secret/openai_api_key", text)

    def anthropic(self) -> Value:
        kind = self.pick(["api03", "api03", "admin01"])
        return Value("secret/anthropic_api_key", f"sk-ant-{kind}-{self.chars(B64URL, 93)}AA")

    def slack(self) -> Value:
        if self.rng.random() < 0.5:
            text = f"xoxb-{self.chars(string.digits, 12)}-{self.chars(string.digits, 13)}-"
            text += self.chars(ALNUM, 24)
        else:
            text = f"xoxp-{self.chars(string.digits, 12)}-{self.chars(string.digits, 12)}-"
            text += f"{self.chars(string.digits, 13)}-{self.chars('0123456789abcdef', 32)}"
        return Value("secret/slack_token", text)

    def stripe(self) -> Value:
        prefix = self.pick(["sk_live_", "sk_test_", "rk_live_", "rk_test_"])
        return Value("secret/stripe_key", prefix + self.chars(ALNUM, self.pick([24, 24, 99])))

    def google(self) -> Value:
        return Value("secret/google_api_key", "AIza" + self.chars(B64URL, 35))

    # --- hard negatives: look like values, are not

    def luhn_failing(self) -> str:
        digits = "4" + self.chars(string.digits, 15)
        for last in string.digits:
            candidate = digits[:15] + last
            total = 0
            for i, char in enumerate(reversed(candidate)):
                d = int(char) * (2 if i % 2 else 1)
                total += d - 9 if d > 9 else d
            if total % 10:
                return candidate
        raise AssertionError("unreachable")

    def bad_iban(self) -> str:
        good = self.ibans[self.pick(IBAN_LOCALES)].iban()
        checks = (int(good[2:4]) - 2 + self.rng.randrange(1, 97)) % 97 + 2  # another in 02..98
        return f"{good[:2]}{checks:02d}{good[4:]}"

    def version(self) -> str:
        n = self.rng.randrange
        return self.pick(
            [
                f"{n(1, 20)}.{n(0, 40)}.{n(0, 300)}",
                f"10.0.{n(17000, 23000)}.{n(1000, 5000)}",  # Windows builds
                f"{n(100, 130)}.0.{n(5000, 7000)}.{n(50, 250)}",  # Chrome
                f"4.0.30319.{n(40000, 45000)}",  # .NET
                f"v{n(0, 5)}.{n(0, 30)}.{n(0, 30)}-rc.1",
                f"{n(1, 5)}.{n(0, 10)}.{n(0, 10)}.0",  # assembly versions: valid IPv4 shapes
            ]
        )

    def negative(self) -> tuple[str, str]:
        """(lead, value): a hard negative and the words that would come before it."""
        f, rng = self.us, self.rng
        choices: list[Callable[[], tuple[str, str]]] = [
            lambda: (self.pick(["request id", "trace", "uuid"]), str(f.uuid4())),
            lambda: (self.pick(["commit", "merged", "sha"]), f.sha1()),
            lambda: ("short sha", f.sha1()[:7]),
            lambda: ("image", "sha256:" + f.sha256()),
            lambda: ("md5", f.md5()),
            lambda: ("version", self.version()),
            lambda: (self.pick(["order number", "invoice", "tracking no."]), self.luhn_failing()),
            lambda: (
                self.pick(["build", "ticket", "ref", "part no.", "job"]),
                f"{rng.choice([900 + rng.randrange(100), 0, 666])}".zfill(3)
                + f"-{rng.randrange(0, 100):02d}-{rng.randrange(0, 10000):04d}",
            ),
            lambda: (
                self.pick(["batch", "lot"]),
                f"{rng.randrange(100, 900)}-00-{rng.randrange(1000, 10000)}",
            ),
            lambda: (self.pick(["account ref", "iban (typo)"]), self.bad_iban()),
            lambda: ("on", f.date()),
            lambda: ("at", f.iso8601()),
            lambda: ("due", f.date(pattern="%m/%d/%Y")),
            lambda: ("ISBN", f.isbn13()),
            lambda: ("ISBN", f.isbn10()),
            lambda: (self.pick(["build", "job", "run"]), self.chars(string.digits, 10)),
            lambda: ("took", f"{rng.randrange(1_600_000_000_000, 1_750_000_000_000)} ms"),
            lambda: ("pip install", self.pick(["sk-learn", "scikit-learn", "sk-video"])),
            lambda: ("the", self.pick(["task-based", "desk-based", "risk-assessment-framework"])),
            lambda: (
                self.pick(["nonce", "salt", "iv"]),
                base64.b64encode(rng.randbytes(rng.choice([16, 24, 32, 48]))).decode(),
            ),
            lambda: (
                "placeholder",
                self.pick(
                    [
                        "AKIAXXXXXXXXXXXXXXXX",
                        "ghp_" + "x" * 36,
                        "sk-your-api-key-here",
                        "xoxb-your-bot-token",
                        "sk_live_" + "X" * 24,
                        "<YOUR_API_KEY>",
                    ]
                ),
            ),
            lambda: ("mac", f.mac_address()),
            lambda: (
                "at",
                f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}",
            ),
            lambda: ("zip", f"{rng.randrange(10000, 99999)}-{rng.randrange(1000, 9999)}"),
            # Prefixes the IRS never assigned: EIN-shaped, no EIN (a valid one after
            # "EIN" is one, and pii/us_ein reports it; none with a leading 0,
            # which reads as a national phone number).
            lambda: (
                "EIN",
                f"{self.pick(['17', '18', '19', '28', '29', '49', '69', '70', '78', '79'])}"
                f"-{rng.randrange(1000000, 9999999)}",
            ),
            lambda: ("tracking", "1Z" + self.chars(string.ascii_uppercase + string.digits, 16)),
            lambda: ("total", f"${rng.randrange(1000, 9_999_999):,}.{rng.randrange(100):02d}"),
            lambda: ("pod", f"web-{f.hexify('^^^^^^^^^')}-{self.chars(string.ascii_lowercase, 5)}"),
            lambda: (
                "npm install",
                f"{f.word()}@{rng.randrange(1, 20)}.{rng.randrange(30)}.{rng.randrange(30)}",
            ),
            lambda: ("asset", f"{f.word()}@2x.png"),
            lambda: ("clone", f"git@github.com:{f.user_name()}/{f.word()}.git"),
            lambda: ("fictional", f"(212) 555-01{rng.randrange(10):01d}{rng.randrange(10):01d}"),
            lambda: ("thanks", f"@{f.user_name()}"),
            lambda: ("container", f.sha256()[:12]),
            lambda: ("EAN", f.ean13()),
            lambda: ("port", f"{rng.randrange(1024, 65535)}"),
            lambda: ("ratio", f"{rng.randrange(1, 16)}:{rng.randrange(1, 16)}"),
        ]
        return rng.choice(choices)()
