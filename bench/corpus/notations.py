"""The notations corpus: values written the way people and tools write them,
and ordinary text that only looks like values.

Each record's ``encoding`` names its notation, so the quality report can give
figures per notation. Values come from the same seeded draws as the other
corpora (``Draw``); the layouts here are written independently of the
catalogue's examples and the unit tests (other words, other field names, other
tools' output), so a figure here says how the engine generalises, not whether
it remembers.
"""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Callable

import phonenumbers
from faker import Faker

from bench.corpus.texts import Record
from bench.corpus.values import ALNUM, B64, BASE32, Draw

# Unicode spaces, dashes and invisible characters people paste.
SPACES = ("\t", "\u00a0", "\u2002", "\u2007", "\u2009", "\u202f", "\u3000", "  ")
DASHES = ("\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe63", "\uff0d")
INVISIBLE = (
    "\u034f", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069", "\ufe0f", "\U000e0041", "\U000e0020",
)  # fmt: skip
# Look-alikes of Latin letters (Cyrillic, Greek) for token prefixes and e-mail.
CONFUSABLE = {
    "a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441",
    "x": "\u0445", "y": "\u0443", "i": "\u0456", "s": "\u0455", "A": "\u0391",
    "B": "\u0392", "E": "\u0395", "K": "\u039a", "O": "\u039f", "T": "\u03a4",
}  # fmt: skip
CJK = (
    "请把",
    "发给",
    "我的",
    "谢谢",
    "联系",
    "电话是",
    "卡号",
    "邮箱",
    "です",
    "に送って",
    "번호는",
)
# National formats for these regions are generated and checked valid by libphonenumber.
PHONE_REGIONS = ("GB", "DE", "FR", "NL", "ES", "IT", "AU", "IE", "AT", "CH", "BE", "PL", "SE")

POSITIVE = (
    "unicode_spaces", "unicode_dashes", "dots_slashes_plus", "mixed_separators", "line_break",
    "digit_by_digit", "iban_notation", "magstripe", "field_name", "context_after", "lead_in",
    "phone_national", "aws_layouts", "session_token", "base64_wrapped", "jwt_wrapped",
    "quoted_printable", "hex", "concatenated", "cjk_glued", "fullwidth", "idn_email",
    "invisible", "confusables",
)  # fmt: skip
CLEAN = (
    "clean_ip", "clean_version", "clean_code_ipv6", "clean_context_elsewhere",
    "clean_coordinates", "clean_telemetry_ids", "clean_image_density", "clean_ssh_host",
    "clean_kerberos", "clean_unnamed_numbers", "clean_unnamed_base64", "clean_dates",
)  # fmt: skip
NOTATIONS = POSITIVE + CLEAN

Piece = str | tuple[str, str]  # plain text, or (detector, value shown)


class Notations:
    """Records per notation, from one seed."""

    def __init__(self, seed: int) -> None:
        self.draw = Draw(seed + 1000)
        self.rng = random.Random(seed + 2000)
        self.fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR"])
        self.fake.seed_instance(seed + 3000)
        self.count = 0

    # --- helpers

    def pick(self, options: tuple[str, ...] | list[str]) -> str:
        return options[self.rng.randrange(len(options))]

    def record(self, notation: str, *pieces: Piece) -> Record:
        text, labels = "", []
        for piece in pieces:
            if isinstance(piece, tuple):
                detector, shown = piece
                labels.append((detector, len(text), len(text) + len(shown)))
                text += shown
            else:
                text += piece
        self.count += 1
        kind = "negative" if notation.startswith("clean_") else "positive"
        return Record(f"t-{self.count:05d}", text, labels, kind=kind, encoding=notation)

    def card_digits(self) -> str:
        while True:
            value = self.draw.card().text.replace(" ", "").replace("-", "")
            if len(value) in (15, 16):
                return value

    def groups(self, digits: str) -> list[str]:
        if len(digits) == 15:
            return [digits[:4], digits[4:10], digits[10:]]
        return [digits[i : i + 4] for i in range(0, len(digits), 4)]

    def ssn_digits(self) -> str:
        while True:
            value = self.draw.us.ssn().replace("-", "")
            if value[:3] not in ("000", "666") and value[0] != "9":
                return value

    def iban(self) -> str:
        return self.draw.iban().text.replace(" ", "")

    def national_phone(self) -> tuple[str, str]:
        """(region, a valid national number formatted as the region does)."""
        while True:
            region = self.pick(PHONE_REGIONS)
            example = phonenumbers.example_number_for_type(
                region,
                self.rng.choice(
                    [
                        phonenumbers.PhoneNumberType.MOBILE,
                        phonenumbers.PhoneNumberType.FIXED_LINE,
                    ]
                ),
            )
            if example is None:
                continue
            national = str(example.national_number)
            digits = national[:2] + "".join(self.rng.choice(string.digits) for _ in national[2:])
            number = phonenumbers.parse(digits, region)
            if phonenumbers.is_valid_number_for_region(number, region):
                formatted = phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.NATIONAL
                )
                return region, formatted

    def nanp(self) -> str:
        while True:
            digits = "".join(self.rng.choice(string.digits) for _ in range(10))
            a, x = digits[:3], digits[3:6]
            area_ok = a[0] not in "01" and a[1] != "9" and a[1:] != "11"
            exchange_ok = x[0] not in "01" and x[1:] != "11"
            if area_ok and exchange_ok and not (x == "555" and digits[6:8] == "01"):
                return digits

    def aws_secret(self) -> str:
        while True:
            value = "".join(self.rng.choice(B64) for _ in range(40))
            if value != value.lower() and value != value.upper():
                return value

    def aws_key(self) -> str:
        return self.pick(["AKIA", "ASIA"]) + "".join(self.rng.choice(BASE32) for _ in range(16))

    def sentence(self) -> str:
        return self.fake.sentence(nb_words=self.rng.randint(5, 10))

    # --- positives

    def unicode_spaces(self) -> Record:
        sp = self.pick(SPACES)
        kind = self.rng.randrange(3)
        if kind == 0:
            value = sp.join(self.groups(self.card_digits()))
            return self.record("unicode_spaces", "Pay by card ", ("pii/credit_card", value), ".")
        if kind == 1:
            d = self.ssn_digits()
            value = f"{d[:3]}{sp}{d[3:5]}{sp}{d[5:]}"
            return self.record("unicode_spaces", "Social security: ", ("pii/us_ssn", value))
        ib = self.iban()
        value = sp.join(ib[i : i + 4] for i in range(0, len(ib), 4))
        return self.record("unicode_spaces", "Beneficiary IBAN ", ("pii/iban", value), " ok")

    def unicode_dashes(self) -> Record:
        dash = self.pick(DASHES)
        kind = self.rng.randrange(3)
        if kind == 0:
            value = dash.join(self.groups(self.card_digits()))
            return self.record("unicode_dashes", "the Visa/MC is ", ("pii/credit_card", value))
        if kind == 1:
            d = self.ssn_digits()
            value = f"{d[:3]}{dash}{d[3:5]}{dash}{d[5:]}"
            return self.record("unicode_dashes", "SSN ", ("pii/us_ssn", value), " (verified)")
        n = self.nanp()
        value = f"{n[:3]}{dash}{n[3:6]}{dash}{n[6:]}"
        return self.record("unicode_dashes", "Cell: ", ("pii/phone_number", value))

    def dots_slashes_plus(self) -> Record:
        sep = self.pick((".", "/", "+"))
        kind = self.rng.randrange(2)
        if kind == 0:
            value = sep.join(self.groups(self.card_digits()))
            return self.record("dots_slashes_plus", "cc=", ("pii/credit_card", value), "&exp=0429")
        d = self.ssn_digits()
        value = f"{d[:3]}{sep}{d[3:5]}{sep}{d[5:]}"
        return self.record("dots_slashes_plus", "ssn=", ("pii/us_ssn", value), "&dob=1980")

    def mixed_separators(self) -> Record:
        seps = [" ", "-", ".", "\u2013", "\u00a0", "/"]
        g = self.groups(self.card_digits())
        value = g[0]
        for part in g[1:]:
            value += self.pick(seps) + part
        if self.rng.random() < 0.5:
            return self.record("mixed_separators", "card no ", ("pii/credit_card", value))
        d = self.ssn_digits()
        value = f"{d[:3]}{self.pick(seps)}{d[3:5]}{self.pick(seps)}{d[5:]}"
        return self.record("mixed_separators", "her social ", ("pii/us_ssn", value), ", thanks")

    def line_break(self) -> Record:
        if self.rng.random() < 0.6:
            g = self.groups(self.card_digits())
            cut = self.rng.randrange(1, len(g))
            value = " ".join(g[:cut]) + self.pick(["\n", "\r\n", "\n  "]) + " ".join(g[cut:])
            return self.record(
                "line_break",
                "Here is the number from the form:\n",
                ("pii/credit_card", value),
                "\n",
            )
        ib = self.iban()
        groups = [ib[i : i + 4] for i in range(0, len(ib), 4)]
        cut = self.rng.randrange(2, len(groups))
        value = " ".join(groups[:cut]) + "\n" + " ".join(groups[cut:])
        return self.record("line_break", "Bank details\nIBAN: ", ("pii/iban", value), "\nBIC: X")

    def digit_by_digit(self) -> Record:
        if self.rng.random() < 0.5:
            value = " ".join(self.card_digits())
            return self.record("digit_by_digit", "read it back: ", ("pii/credit_card", value))
        value = " ".join(self.ssn_digits())
        return self.record("digit_by_digit", "ssn digits ", ("pii/us_ssn", value), " end")

    def iban_notation(self) -> Record:
        ib = self.iban()
        kind = self.rng.randrange(4)
        if kind == 0:
            value = ib.lower()
        elif kind == 1:
            value = "-".join(ib[i : i + 4] for i in range(0, len(ib), 4))
        elif kind == 2:
            cuts = sorted(self.rng.sample(range(4, len(ib) - 1), 3))
            parts = [ib[a:b] for a, b in zip([0, *cuts], [*cuts, len(ib)], strict=True)]
            value = " ".join(parts)
        else:
            value = " ".join(ib[i : i + 4] for i in range(0, len(ib), 4)).lower()
        return self.record("iban_notation", "refund to ", ("pii/iban", value), " please")

    def magstripe(self) -> Record:
        pan = self.card_digits()
        name = self.fake.last_name().upper() + "/" + self.fake.first_name().upper()
        if self.rng.random() < 0.5:
            return self.record(
                "magstripe", "swipe dump %B", ("pii/credit_card", pan), f"^{name}^29041010000000?"
            )
        return self.record("magstripe", "track2 ;", ("pii/credit_card", pan), "=29041010000000?")

    def field_name(self) -> Record:
        """Values that count only by the name of the field holding them."""
        kind = self.rng.randrange(9)
        ssn, phone, secret = self.ssn_digits(), self.nanp(), self.aws_secret()
        if kind == 0:
            key = self.pick(["ssn", "SSN", "social_security_number", "taxpayerSsn"])
            return self.record(
                "field_name",
                f'{{"customer": "{self.fake.name()}", "{key}": "',
                ("pii/us_ssn", ssn),
                '", "tier": 2}',
            )
        if kind == 1:
            return self.record(
                "field_name",
                f"employee:\n  name: {self.fake.name()}\n  ssn: ",
                ("pii/us_ssn", ssn),
                "\n  dept: ops\n",
            )
        if kind == 2:
            # A column named "ssn" makes every value in it one.
            header = self.pick(["id,name,ssn,city", "ID;Name;SSN;City", "id\tname\tssn\tcity"])
            sep = header[2]
            pieces: list[Piece] = [header + "\n"]
            for row in range(1, self.rng.randint(2, 5)):
                pieces += [
                    f"{row}{sep}{self.fake.first_name()}{sep}",
                    ("pii/us_ssn", self.ssn_digits()),
                    f"{sep}{self.fake.city()}\n",
                ]
            return self.record("field_name", *pieces)
        if kind == 3:
            key = self.pick(["mobile_phone", "PhoneNumber", "contact_tel", "msisdn"])
            return self.record("field_name", f"{key}=", ("pii/phone_number", phone), "\n")
        if kind == 4:
            name = self.pick(["secret_key", "aws_secret", "SecretKey", "awsSecretAccessKey"])
            return self.record(
                "field_name",
                f'resource "x" "y" {{\n  {name} = "',
                ("secret/aws_secret_key", secret),
                '"\n}',
            )
        if kind == 5:
            return self.record(
                "field_name",
                "env:\n  - name: REGION\n    value: eu-west-1\n  - name: AWS_SECRET_ACCESS_KEY\n"
                "    value: ",
                ("secret/aws_secret_key", secret),
                "\n",
            )
        if kind == 6:
            typ = self.pick(["String", "private static final String", "const", "val"])
            return self.record(
                "field_name",
                f'{typ} awsSecretKey = "',
                ("secret/aws_secret_key", secret),
                '";',
            )
        if kind == 7:
            return self.record(
                "field_name",
                "[profile ci]\nregion = us-east-2\naws_secret_access_key =\n    ",
                ("secret/aws_secret_key", secret),
                "\n",
            )
        return self.record(
            "field_name",
            f"<Employee><Name>{self.fake.name()}</Name><SocialSecurityNumber>",
            ("pii/us_ssn", ssn),
            "</SocialSecurityNumber></Employee>",
        )

    def context_after(self) -> Record:
        if self.rng.random() < 0.5:
            value = self.nanp()
            tail = self.pick(
                [" is my cell", " - that's my mobile", " (my phone)", " is the landline"]
            )
            return self.record("context_after", "Use ", ("pii/phone_number", value), tail + ".")
        value = self.ssn_digits()
        tail = self.pick([" is his SSN", " = social security no.", " is the taxpayer id"])
        return self.record("context_after", "Note: ", ("pii/us_ssn", value), tail)

    def lead_in(self) -> Record:
        value = self.nanp()
        lead = self.pick(
            ["my number is ", "Ph: ", "Mob: ", "contact: ", "text me at ", "ring me on "]
        )
        return self.record("lead_in", f"{self.sentence()} {lead}", ("pii/phone_number", value))

    def phone_national(self) -> Record:
        _, value = self.national_phone()
        lead = self.pick(["Tel. ", "Phone: ", "call ", "Büro: ", "reach me at ", "", "office "])
        return self.record(
            "phone_national", f"{self.fake.name()}, {lead}", ("pii/phone_number", value)
        )

    def aws_layouts(self) -> Record:
        key, secret = self.aws_key(), self.aws_secret()
        kind = self.rng.randrange(6)
        ak, sk = "secret/aws_access_key", "secret/aws_secret_key"
        if kind == 0:
            return self.record(
                "aws_layouts",
                "[default]\naws_access_key_id = ",
                (ak, key),
                "\naws_secret_access_key = ",
                (sk, secret),
                "\n",
            )
        if kind == 1:
            return self.record(
                "aws_layouts",
                "User name,Password,Access key ID,Secret access key,Console login link\n"
                f"{self.fake.user_name()},,",
                (ak, key),
                ",",
                (sk, secret),
                ",https://console.aws.amazon.com/\n",
            )
        if kind == 2:
            return self.record(
                "aws_layouts",
                "|  CreateAccessKey  |\n+----------+\n||  AccessKeyId     |  ",
                (ak, key),
                "  ||\n||  SecretAccessKey |  ",
                (sk, secret),
                "  ||\n||  Status          |  Active  ||\n",
            )
        if kind == 3:
            return self.record(
                "aws_layouts",
                "ACCESSKEY\t",
                (ak, key),
                "\t2025-02-03T10:11:12+00:00\t",
                (sk, secret),
                f"\tActive\t{self.fake.user_name()}\n",
            )
        if kind == 4:
            return self.record(
                "aws_layouts",
                "Here are the credentials you asked for: ",
                (ak, key),
                " / ",
                (sk, secret),
                ". Rotate them soon.",
            )
        return self.record(
            "aws_layouts",
            'provider "aws" {\n  region     = "eu-central-1"\n  access_key = "',
            (ak, key),
            '"\n  secret_key = "',
            (sk, secret),
            '"\n}\n',
        )

    def session_token(self) -> Record:
        token = self.draw.aws_session_token().text
        key = self.pick(["aws_session_token = ", "AWS_SESSION_TOKEN=", '"SessionToken": "'])
        return self.record("session_token", key, ("secret/aws_session_token", token), "\n")

    def base64_wrapped(self) -> Record:
        token = self.draw.github().text
        env = (
            f"APP_ENV=production\nDATABASE_URL=postgres://app:{self.fake.password()}@db/app\n"
            f"GITHUB_TOKEN={token}\nSENTRY_DSN=https://{self.fake.uuid4()}@sentry.io/1\n"
        ).encode()
        encoded = base64.b64encode(env).decode()
        width = self.pick(["76", "64", "60"])
        lines = "\n".join(encoded[i : i + int(width)] for i in range(0, len(encoded), int(width)))
        lead = self.pick(["$ base64 .env\n", "Content-Transfer-Encoding: base64\n\n", "blob:\n"])
        return self.record("base64_wrapped", lead, ("secret/github_token", lines), "\n")

    def jwt_wrapped(self) -> Record:
        jwt = self.draw.jwt().text
        width = self.rng.choice([40, 64, 72])
        lines = "\n".join(jwt[i : i + width] for i in range(0, len(jwt), width))
        return self.record("jwt_wrapped", "bearer token:\n", ("secret/jwt", lines), "\n")

    def quoted_printable(self) -> Record:
        if self.rng.random() < 0.5:
            email = self.draw.email().text
            shown = email.replace("@", "=40")
            return self.record(
                "quoted_printable",
                "Content-Transfer-Encoding: quoted-printable\n\nwrite to ",
                ("pii/email", shown),
                " =E2=80=94 thanks",
            )
        g = " ".join(self.groups(self.card_digits()))
        cut = self.rng.randrange(3, len(g) - 2)
        shown = g[:cut] + "=\n" + g[cut:]
        return self.record(
            "quoted_printable",
            "Content-Transfer-Encoding: quoted-printable\n\ncard ",
            ("pii/credit_card", shown),
            "\n",
        )

    def hex(self) -> Record:
        drawn = self.rng.choice([self.draw.github, self.draw.stripe, self.draw.openai])()
        detector, value = drawn.detector, drawn.text
        if self.rng.random() < 0.5:
            shown = "".join(f"\\x{b:02x}" for b in value.encode())
            return self.record("hex", 'buf = b"', (detector, shown), '"')
        shown = value.encode().hex()
        return self.record("hex", "xxd -p output: ", (detector, shown), "")

    def concatenated(self) -> Record:
        drawn = self.rng.choice([self.draw.github, self.draw.slack, self.draw.anthropic])()
        detector, value = drawn.detector, drawn.text
        cut = self.rng.randrange(4, len(value) - 4)
        a, b = value[:cut], value[cut:]
        joint = self.pick(['" + "', '" "', '"\n    + "', '" . "', '"\n        "'])
        shown = a + joint + b
        return self.record("concatenated", 'const token = "', (detector, shown), '";')

    def cjk_glued(self) -> Record:
        kind = self.rng.randrange(3)
        if kind == 0:
            value = self.draw.email().text
            return self.record("cjk_glued", self.pick(CJK), ("pii/email", value), self.pick(CJK))
        if kind == 1:
            value = " ".join(self.groups(self.card_digits()))
            return self.record("cjk_glued", "卡号", ("pii/credit_card", value), "谢谢")
        value = "+86 138 " + "".join(self.rng.choice(string.digits) for _ in range(4)) + " 5678"
        return self.record("cjk_glued", "电话", ("pii/phone_number", value), "。")

    def fullwidth(self) -> Record:
        if self.rng.random() < 0.5:
            email = self.draw.email().text
            shown = email.replace("@", "\uff20").replace(".", "\uff0e")
            return self.record(
                "fullwidth", "\u30e1\u30fc\u30eb\uff1a", ("pii/email", shown), "まで"
            )
        n = self.nanp()
        shown = f"\uff0b1\uff0d{n[:3]}\uff0d{n[3:6]}\uff0d{n[6:]}"
        return self.record("fullwidth", "\u96fb\u8a71\uff1a", ("pii/phone_number", shown), "")

    def idn_email(self) -> Record:
        user = self.pick(["josé", "müller", "søren", "anna", "ivan", "zoë"])
        domain = self.pick(
            ["café.fr", "bücher.de", "xn--bcher-kva.de", "例え.jp", "почта.рф", "mañana.es"]
        )
        return self.record("idn_email", "mail me: ", ("pii/email", f"{user}@{domain}"), " ok")

    def invisible(self) -> Record:
        drawn = self.rng.choice([self.draw.github, self.draw.email, self.draw.stripe])()
        detector, value = drawn.detector, drawn.text
        chars = list(value)
        for _ in range(self.rng.randint(1, 3)):
            chars.insert(self.rng.randrange(1, len(chars)), self.pick(INVISIBLE))
        return self.record("invisible", "value: ", (detector, "".join(chars)), "")

    def confusables(self) -> Record:
        drawn = self.rng.choice([self.draw.github, self.draw.slack, self.draw.email])()
        detector, value = drawn.detector, drawn.text
        chars = list(value)
        spots = [i for i, c in enumerate(chars[:6]) if c in CONFUSABLE] or [
            i for i, c in enumerate(chars) if c in CONFUSABLE
        ]
        for i in self.rng.sample(spots, min(len(spots), 2)):
            chars[i] = CONFUSABLE[chars[i]]
        return self.record("confusables", "use ", (detector, "".join(chars)), " today")

    # --- clean look-alikes (no labels)

    def clean_ip(self) -> Record:
        value = self.pick(
            [
                "0.0.0.0", "127.0.0.1", "127.0.1.1", "169.254.169.254", "255.255.255.0",
                "255.255.240.0", "0.0.0.255", "192.0.2.44", "198.51.100.23", "203.0.113.250",
                "2001:db8::1", "2001:db8:0:1::53", "fe80::a00:27ff:fe4e:66a1", "::1",
                "fd00:ec2::254", "224.0.0.251",
            ]
        )  # fmt: skip
        frame = self.pick(
            [
                "listen on {} port 8080",
                "netmask {} broadcast 192.0.2.255",
                "curl http://{}/latest/meta-data/",
                'bind_address: "{}"',
                "see RFC 5737: {} is for docs",
            ]
        )
        return self.record("clean_ip", frame.format(value))

    def clean_version(self) -> Record:
        n = self.rng.randrange
        v = f"{n(1, 11)}.{n(0, 20)}.{n(0, 30)}.{n(0, 9)}"
        frame = self.pick(
            [
                '__version__ = "{}"',
                "<FileVersion>{}</FileVersion>",
                "Standards-Version: {}",
                "libfoo ({}-1) unstable; urgency=medium",
                'version: "{}"',
                '[assembly: AssemblyFileVersion("{}")]',
                "See section {} for details.",
                "Version {} released",
                "python3-bar ({}+dfsg-2)",
            ]
        )
        return self.record("clean_version", frame.format(v))

    def clean_code_ipv6(self) -> Record:
        return self.record(
            "clean_code_ipv6",
            self.pick(
                [
                    "evens = xs[0::2]; odds = xs[1::2]",
                    "auto p = A::f(); B::g();",
                    "mask = 0xdead::beef",
                    "std::vector<int>::iterator it;",
                    "Foo::Bar::baz(a, b)",
                    "arr[2::3] + arr[::4]",
                    "case 1:: break;",
                ]
            ),
        )

    def clean_context_elsewhere(self) -> Record:
        n = "".join(self.rng.choice(string.digits) for _ in range(10))
        return self.record(
            "clean_context_elsewhere",
            self.pick(
                [
                    f"Call me when you can. The job took {n} ms to finish.",
                    f"I'll phone the vendor tomorrow.\n\nInvoice {n} is attached.",
                    f"My cell died! Anyway, order {n} shipped.",
                    f"SSN rules differ by state. Ticket {n[:9]} is closed.",
                ]
            ),
        )

    def clean_coordinates(self) -> Record:
        lat = f"{self.rng.uniform(-80, 80):+.6f}"
        lon = f"{self.rng.uniform(-170, 170):+.6f}"
        return self.record(
            "clean_coordinates",
            self.pick(
                [
                    f"location {lat},{lon}",
                    f"lat={lat} lon={lon}",
                    f"score {self.rng.uniform(-9, 9):+.2f} (prev {self.rng.uniform(-9, 9):+.3f})",
                    f"GPS: {lat} {lon}",
                ]
            ),
        )

    def clean_telemetry_ids(self) -> Record:
        card = self.card_digits()  # a Luhn-valid, issuer-valid decimal id: the hardest case
        key = self.pick(["trace_id", "span_id", "traceId", "spanId", "dd.trace_id", "parent_id"])
        frame = self.pick(
            [
                '{"' + key + '": "' + card + '", "name": "GET /users"}',
                f"{key}={card} service=api",
                f'{{"{key}": {card}, "duration_ms": 12}}',
            ]
        )
        return self.record("clean_telemetry_ids", frame)

    def clean_image_density(self) -> Record:
        name = self.fake.word()
        ext = self.pick(
            ["png", "jpg", "jpeg", "webp", "avif", "gif", "svg", "heic", "bmp", "tiff", "ico"]
        )
        density = self.pick(["2x", "3x", "1.5x"])
        return self.record("clean_image_density", f'<img src="/img/{name}@{density}.{ext}">')

    def clean_ssh_host(self) -> Record:
        user = self.pick(["deploy", "ubuntu", "ec2-user", "git", "admin", "root"])
        host = self.pick(
            [
                "web-01.prod.internal", "db1.lan", "build.corp", "node3.cluster.local",
                "ip-10-0-1-17.ec2.internal", "pi.home.arpa",
            ]
        )  # fmt: skip
        cmd = self.pick(
            [
                "ssh ",
                "ssh -p 2222 ",
                "scp app.tar.gz ",
                "rsync -av ./ ",
                "ssh -i ~/.ssh/id_ed25519 ",
            ]
        )
        tail = ":/srv/" if cmd.startswith(("scp", "rsync")) else ""
        return self.record("clean_ssh_host", f"{cmd}{user}@{host}{tail}")

    def clean_kerberos(self) -> Record:
        realm = self.pick(["EXAMPLE.COM", "CORP.ACME.ORG", "AD.CONTOSO.NET"])
        return self.record(
            "clean_kerberos",
            self.pick(
                [
                    f"kinit {self.fake.user_name()}@{realm}",
                    f"principal: HTTP/web01.{realm.lower()}@{realm}",
                    f"klist shows krbtgt/{realm}@{realm}",
                ]
            ),
        )

    def clean_unnamed_numbers(self) -> Record:
        nine = "".join(self.rng.choice(string.digits) for _ in range(9))
        ten = "".join(self.rng.choice(string.digits) for _ in range(10))
        return self.record(
            "clean_unnamed_numbers",
            self.pick(
                [
                    f'{{"order_id": "{nine}", "qty": 3}}',
                    f"invoice {nine} paid",
                    f"build={ten} status=ok",
                    f"id,name\n{nine},{self.fake.first_name()}",
                    f"ticket {ten} closed",
                ]
            ),
        )

    def clean_unnamed_base64(self) -> Record:
        value = "".join(self.rng.choice(ALNUM) for _ in range(40))
        return self.record(
            "clean_unnamed_base64",
            self.pick(
                [
                    f"request_id={value}",
                    f'"etag": "{value}"',
                    f"nonce {value} used",
                    f"commit {self.fake.sha1()} by {self.fake.name()}",
                ]
            ),
        )

    def clean_dates(self) -> Record:
        d = self.fake.date_between("-5y", "+1y")
        dash = self.pick(DASHES)
        return self.record(
            "clean_dates",
            self.pick(
                [
                    f"due {d.isoformat().replace('-', dash)}",
                    f"on {d.day:02d}.{d.month:02d}.{d.year} at 10:30",
                    f"{d.isoformat()} 12:30:45 INFO started",
                    f"from {d.month:02d}/{d.day:02d}/{d.year} to now",
                ]
            ),
        )


def notation_corpus(seed: int, scale: float) -> list[Record]:
    """Every notation, ``40 * scale`` records each (clean ones ``60 * scale``)."""
    make = Notations(seed)
    records: list[Record] = []
    for notation in NOTATIONS:
        build: Callable[[], Record] = getattr(make, notation)
        count = round((60 if notation.startswith("clean_") else 40) * scale)
        records += [build() for _ in range(count)]
    return records
