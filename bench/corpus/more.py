"""Values, leads and hard negatives for the detector families added in issue 19.

Provider tokens are a published prefix and a random body in the provider's
alphabet; identifiers come from Faker's locale providers where Faker has
them (CPF, NIR, codice fiscale, BSN, SIN, Aadhaar, NIF/NIE, EIN, routing
numbers) and are otherwise built here to their published rules (NINO, PAN,
NPI, MBI, TFN, wallet addresses). Nothing here was issued to anyone.

A value whose secret is one part of a larger text (the password of a
database URL) carries ``span``: the label covers that part only.
"""

from __future__ import annotations

import base64
import hashlib
import string
from collections.abc import Callable
from typing import TYPE_CHECKING

from Crypto.Hash import keccak
from faker import Faker
from stdnum import verhoeff

from bench.corpus.values import ALNUM, B64URL, Value

if TYPE_CHECKING:
    from bench.corpus.values import Draw

HEX = "0123456789abcdef"
UPNUM = string.ascii_uppercase + string.digits
DIGITS = string.digits
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_MBI_ALPHA = "ACDEFGHJKMNPQRTUVWXY"
# Leads ((with context, without)) and field names ((with context, without)).
Pairs = tuple[list[str], list[str]]


def _b58check(payload: bytes) -> str:
    check = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number = int.from_bytes(payload + check, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(payload) - len(payload.lstrip(b"\0"))) + out


def _bech32_polymod(values: list[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            check ^= generator[i] if (top >> i) & 1 else 0
    return check


def _bech32(program: bytes) -> str:
    """A segwit v0 address (BIP 173) for a 20-byte program."""
    bits, acc, data = 0, 0, [0]
    for byte in program:
        acc = acc << 8 | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append(acc >> bits & 31)
    if bits:
        data.append(acc << (5 - bits) & 31)
    hrp = [ord(c) >> 5 for c in "bc"] + [0] + [ord(c) & 31 for c in "bc"]
    polymod = _bech32_polymod([*hrp, *data, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [polymod >> 5 * (5 - i) & 31 for i in range(6)]
    return "bc1" + "".join(_BECH32[d] for d in data + checksum)


def _eip55(raw: bytes) -> str:
    body = raw.hex()
    digest = keccak.new(digest_bits=256, data=body.encode()).hexdigest()
    return "0x" + "".join(
        c.upper() if int(h, 16) >= 8 else c for c, h in zip(body, digest, strict=False)
    )


def _luhn_digit(digits: str) -> str:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


class More:
    """Generators for the new detectors, sharing the seeded ``Draw``."""

    def __init__(self, draw: Draw, seed: int) -> None:
        self.d = draw
        self.fakers = {
            loc: Faker(loc)
            for loc in ("pt_BR", "fr_FR", "it_IT", "nl_NL", "en_CA", "en_IN", "es_ES", "en_US")
        }
        for offset, faker in enumerate(self.fakers.values()):
            faker.seed_instance(seed + 40 + offset)

    def c(self, alphabet: str, n: int) -> str:
        return self.d.chars(alphabet, n)

    def tokens(self) -> dict[str, Callable[[], Value]]:
        c, p = self.c, self.d.pick

        def v(detector: str, make: Callable[[], str]) -> Callable[[], Value]:
            return lambda: Value(detector, make())

        return {
            "secret/gitlab_token": v(
                "secret/gitlab_token", lambda: p(["glpat-", "gldt-", "glrt-"]) + c(B64URL, 20)
            ),
            "secret/huggingface_token": v(
                "secret/huggingface_token", lambda: "hf_" + c(string.ascii_letters, 34)
            ),
            "secret/npm_token": v("secret/npm_token", lambda: "npm_" + c(ALNUM, 36)),
            "secret/pypi_token": v(
                "secret/pypi_token", lambda: "pypi-AgEIcHlwaS5vcmc" + c(B64URL, p([120, 160]))
            ),
            "secret/sendgrid_key": v(
                "secret/sendgrid_key", lambda: "SG." + c(B64URL, 22) + "." + c(B64URL, 43)
            ),
            "secret/twilio_api_key": v("secret/twilio_api_key", lambda: "SK" + c(HEX, 32)),
            "secret/telegram_bot_token": v(
                "secret/telegram_bot_token",
                lambda: p("5678") + c(DIGITS, 9) + ":AA" + c(B64URL, 33),
            ),
            "secret/discord_bot_token": v("secret/discord_bot_token", self._discord),
            "secret/discord_webhook": v(
                "secret/discord_webhook",
                lambda: "https://discord.com/api/webhooks/1" + c(DIGITS, 18) + "/" + c(B64URL, 68),
            ),
            "secret/slack_webhook": v(
                "secret/slack_webhook",
                lambda: (
                    "https://hooks.slack.com/services/T"
                    + c(UPNUM, 10)
                    + "/B"
                    + c(UPNUM, 10)
                    + "/"
                    + c(ALNUM, 24)
                ),
            ),
            "secret/slack_app_token": v(
                "secret/slack_app_token",
                lambda: "xapp-1-A" + c(UPNUM, 10) + "-" + c(DIGITS, 13) + "-" + c(HEX, 64),
            ),
            "secret/google_oauth_secret": v(
                "secret/google_oauth_secret", lambda: "GOCSPX-" + c(B64URL, 28)
            ),
            "secret/google_oauth_token": v(
                "secret/google_oauth_token",
                lambda: p(["ya29.a0" + c(B64URL, 150), "1//0" + c(B64URL, 99)]),
            ),
            "secret/stripe_webhook_secret": v(
                "secret/stripe_webhook_secret", lambda: "whsec_" + c(ALNUM, 32)
            ),
            "secret/shopify_token": v(
                "secret/shopify_token", lambda: p(["shpat_", "shpca_", "shpss_"]) + c(HEX, 32)
            ),
            "secret/mailgun_key": v("secret/mailgun_key", lambda: "key-" + c(HEX, 32)),
            "secret/mailchimp_key": v(
                "secret/mailchimp_key", lambda: c(HEX, 32) + "-us" + str(self.d.rng.randint(1, 21))
            ),
            "secret/atlassian_token": v(
                "secret/atlassian_token",
                lambda: "ATATT3xFfGF0" + c(B64URL, 170) + "=" + c("0123456789ABCDEF", 8),
            ),
            "secret/newrelic_key": v("secret/newrelic_key", lambda: "NRAK-" + c(UPNUM, 27)),
            "secret/digitalocean_token": v(
                "secret/digitalocean_token", lambda: p(["dop_v1_", "doo_v1_"]) + c(HEX, 64)
            ),
            "secret/doppler_token": v("secret/doppler_token", lambda: "dp.st.prd." + c(ALNUM, 43)),
            "secret/vault_token": v("secret/vault_token", lambda: "hvs." + c(B64URL, p([24, 91]))),
            "secret/postman_key": v(
                "secret/postman_key", lambda: "PMAK-" + c(HEX, 24) + "-" + c(HEX, 34)
            ),
            "secret/linear_key": v("secret/linear_key", lambda: "lin_api_" + c(ALNUM, 40)),
            "secret/notion_token": v(
                "secret/notion_token", lambda: "ntn_" + c(DIGITS, 11) + c(ALNUM, 35)
            ),
            "secret/databricks_token": v("secret/databricks_token", lambda: "dapi" + c(HEX, 32)),
            "secret/sentry_token": v("secret/sentry_token", lambda: "sntryu_" + c(HEX, 64)),
            "secret/docker_hub_token": v(
                "secret/docker_hub_token", lambda: "dckr_pat_" + c(B64URL, 27)
            ),
            "secret/grafana_token": v(
                "secret/grafana_token", lambda: "glsa_" + c(ALNUM, 32) + "_" + c(HEX, 8)
            ),
            "secret/terraform_token": v(
                "secret/terraform_token", lambda: c(ALNUM, 14) + ".atlasv1." + c(B64URL, 67)
            ),
            "secret/pulumi_token": v("secret/pulumi_token", lambda: "pul-" + c(HEX, 40)),
            "secret/supabase_token": v("secret/supabase_token", lambda: "sbp_" + c(HEX, 40)),
            "secret/age_secret_key": v(
                "secret/age_secret_key", lambda: "AGE-SECRET-KEY-1" + c(_BECH32.upper(), 58)
            ),
            "secret/square_token": v("secret/square_token", lambda: "EAAA" + c(B64URL, 60)),
            "secret/dynatrace_token": v(
                "secret/dynatrace_token", lambda: "dt0c01." + c(UPNUM, 24) + "." + c(UPNUM, 64)
            ),
            "secret/groq_api_key": v("secret/groq_api_key", lambda: "gsk_" + c(ALNUM, 52)),
            "secret/openrouter_api_key": v(
                "secret/openrouter_api_key", lambda: "sk-or-v1-" + c(HEX, 64)
            ),
            "secret/perplexity_api_key": v(
                "secret/perplexity_api_key", lambda: "pplx-" + c(ALNUM, 48)
            ),
            "secret/xai_api_key": v("secret/xai_api_key", lambda: "xai-" + c(ALNUM, 80)),
            "secret/replicate_api_token": v(
                "secret/replicate_api_token", lambda: "r8_" + c(ALNUM, 37)
            ),
            "secret/nvidia_api_key": v("secret/nvidia_api_key", lambda: "nvapi-" + c(B64URL, 64)),
            "secret/langsmith_api_key": v(
                "secret/langsmith_api_key", lambda: "lsv2_pt_" + c(HEX, 32) + "_" + c(HEX, 10)
            ),
            "secret/tavily_api_key": v("secret/tavily_api_key", lambda: "tvly-dev-" + c(ALNUM, 32)),
        }

    def _discord(self) -> str:
        snowflake = str(self.d.rng.randrange(10**17, 10**19)).encode()
        head = base64.urlsafe_b64encode(snowflake).decode().rstrip("=")
        return head + "." + self.c(B64URL, 6) + "." + self.c(B64URL, 38)

    def named(self) -> dict[str, Callable[[], Value]]:
        """Secrets without a prefix: the lead or field name says what they are."""
        c, p = self.c, self.d.pick

        def v(detector: str, make: Callable[[], str]) -> Callable[[], Value]:
            return lambda: Value(detector, make(), needs_context=True)

        strong = "!#%*+-.^_~"
        return {
            "secret/twilio_auth_token": v("secret/twilio_auth_token", lambda: c(HEX, 32)),
            "secret/datadog_key": v("secret/datadog_key", lambda: c(HEX, p([32, 40]))),
            "secret/heroku_key": v("secret/heroku_key", lambda: "HRKU-AA" + c(B64URL, 58)),
            "secret/cloudflare_token": v("secret/cloudflare_token", lambda: c(B64URL, 40)),
            "secret/mistral_api_key": v("secret/mistral_api_key", lambda: c(ALNUM, 32)),
            "secret/cohere_api_key": v("secret/cohere_api_key", lambda: c(ALNUM, 40)),
            "secret/azure_openai_key": v("secret/azure_openai_key", lambda: c(HEX, 32)),
            "secret/llm_api_key": v("secret/llm_api_key", lambda: c(ALNUM, p([32, 40, 64]))),
            "secret/generic_secret": v(
                "secret/generic_secret",
                lambda: c(ALNUM, 6) + c(strong, 1) + c(ALNUM, 5) + c(strong, 1) + c(ALNUM, 5),
            ),
            "secret/basic_auth": lambda: self._inner(
                "secret/basic_auth",
                "Basic ",
                base64.b64encode(f"{self.d.us.user_name()}:{c(ALNUM, 14)}".encode()).decode(),
                "",
            ),
            "secret/bearer_token": lambda: self._inner(
                "secret/bearer_token", "Bearer ", c(B64URL, p([32, 40, 64])), ""
            ),
            "secret/url_password": self._url_password,
            "secret/connection_password": self._connection_password,
            "secret/azure_account_key": self._azure_key,
            "secret/azure_sas_token": self._sas,
            "secret/sentry_dsn": self._sentry,
            "secret/putty_private_key": self._putty,
            "secret/jwk_private_key": self._jwk,
            "secret/xml_private_key": self._xml,
        }

    def _inner(self, detector: str, head: str, secret: str, tail: str) -> Value:
        return Value(detector, head + secret + tail, span=(len(head), len(head) + len(secret)))

    def _url_password(self) -> Value:
        c, p, f = self.c, self.d.pick, self.d.us
        scheme = p(["postgres", "postgresql", "mysql", "mongodb+srv", "redis", "amqps", "https"])
        user = f.user_name()
        host = p([f.domain_name(), "db.internal", "cache.prod.svc"])
        tail = p([f"@{host}:5432/{f.word()}", f"@{host}/{f.word()}", f"@{host}"])
        return self._inner("secret/url_password", f"{scheme}://{user}:", c(ALNUM, 16), tail)

    def _connection_password(self) -> Value:
        c, p, f = self.c, self.d.pick, self.d.us
        head = p(
            [
                f"Server=tcp:{f.domain_name()},1433;Database={f.word()};User ID={f.user_name()};"
                "Password=",
                f"jdbc:sqlserver://{f.domain_name()}:1433;databaseName={f.word()};user=sa;"
                "password=",
                f"jdbc:postgresql://{f.domain_name()}/{f.word()}?user={f.user_name()}&password=",
            ]
        )
        return self._inner("secret/connection_password", head, c(ALNUM, 18), ";")

    def _azure_key(self) -> Value:
        f = self.d.us
        head = f"DefaultEndpointsProtocol=https;AccountName={f.user_name()};AccountKey="
        key = base64.b64encode(self.d.rng.randbytes(64)).decode()
        return self._inner(
            "secret/azure_account_key", head, key, ";EndpointSuffix=core.windows.net"
        )

    def _sas(self) -> Value:
        f = self.d.us
        head = (
            f"https://{f.user_name()}.blob.core.windows.net/{f.word()}/{f.file_name()}"
            f"?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-01-01T00:00:00Z&spr=https&sig="
        )
        sig = base64.b64encode(self.d.rng.randbytes(32)).decode()
        return self._inner("secret/azure_sas_token", head, sig.replace("+", "%2B"), "")

    def _sentry(self) -> Value:
        rng = self.d.rng
        return self._inner(
            "secret/sentry_dsn",
            "https://",
            self.c(HEX, 32),
            f"@o{rng.randrange(10**5, 10**7)}.ingest.sentry.io/{rng.randrange(10**3, 10**7)}",
        )

    def _putty(self) -> Value:
        rng = self.d.rng
        public = base64.b64encode(rng.randbytes(rng.choice([96, 144]))).decode()
        private = base64.b64encode(rng.randbytes(rng.choice([96, 144]))).decode()

        def lines(text: str) -> str:
            return "\n".join(text[i : i + 64] for i in range(0, len(text), 64))

        text = (
            f"PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: rsa-key-2025\n"
            f"Public-Lines: {len(lines(public).splitlines())}\n{lines(public)}\n"
            f"Private-Lines: {len(lines(private).splitlines())}\n{lines(private)}\n"
            f"Private-MAC: {self.c(HEX, 64)}"
        )
        return Value("secret/putty_private_key", text)

    def _jwk(self) -> Value:
        c = self.c
        head = f'{{"kty":"EC","crv":"P-256","x":"{c(B64URL, 43)}","y":"{c(B64URL, 43)}","d":"'
        return self._inner("secret/jwk_private_key", head, c(B64URL, 43), '"}')

    def _xml(self) -> Value:
        def b64(n: int) -> str:
            return base64.b64encode(self.d.rng.randbytes(n)).decode()

        text = (
            f"<RSAKeyValue><Modulus>{b64(128)}</Modulus><Exponent>AQAB</Exponent>"
            f"<P>{b64(64)}</P><Q>{b64(64)}</Q><D>{b64(128)}</D></RSAKeyValue>"
        )
        return Value("secret/xml_private_key", text)

    # --- identifiers

    def identity(self) -> dict[str, Callable[[], Value]]:
        fk, rng, c, p = self.fakers, self.d.rng, self.c, self.d.pick

        def v(detector: str, make: Callable[[], str]) -> Callable[[], Value]:
            return lambda: Value(detector, make(), needs_context=True)

        return {
            "pii/uk_nino": v("pii/uk_nino", self._nino),
            "pii/ca_sin": v("pii/ca_sin", lambda: fk["en_CA"].ssn()),
            "pii/in_aadhaar": v("pii/in_aadhaar", self._aadhaar),
            "pii/in_pan": v("pii/in_pan", self._pan),
            "pii/br_cpf": v("pii/br_cpf", lambda: fk["pt_BR"].cpf()),
            "pii/es_dni": v("pii/es_dni", lambda: p([fk["es_ES"].nif, fk["es_ES"].nie])()),
            "pii/fr_nir": v("pii/fr_nir", lambda: fk["fr_FR"].ssn()),
            "pii/it_codice_fiscale": v("pii/it_codice_fiscale", lambda: fk["it_IT"].ssn()),
            "pii/nl_bsn": v("pii/nl_bsn", lambda: fk["nl_NL"].ssn()),
            "pii/au_tfn": v("pii/au_tfn", self._tfn),
            "pii/us_ein": v("pii/us_ein", lambda: fk["en_US"].ein()),
            "pii/us_npi": v("pii/us_npi", self._npi),
            "pii/us_mbi": v("pii/us_mbi", self._mbi),
            "pii/us_bank_routing": v("pii/us_bank_routing", lambda: fk["en_US"].aba()),
            "pii/swift_bic": v("pii/swift_bic", lambda: fk["en_US"].swift(length=p([8, 11]))),
            "pii/bitcoin_address": lambda: Value(
                "pii/bitcoin_address",
                p(
                    [
                        _b58check(bytes([0]) + rng.randbytes(20)),
                        _b58check(bytes([5]) + rng.randbytes(20)),
                        _bech32(rng.randbytes(20)),
                    ]
                ),
            ),
            "pii/ethereum_address": lambda: Value(
                "pii/ethereum_address", _eip55(rng.randbytes(20))
            ),
            "pii/date_of_birth": v("pii/date_of_birth", self._birth),
            "pii/passport_number": v(
                "pii/passport_number",
                # German ones: C, then letters and digits (at least one digit).
                lambda: p(
                    [
                        c(DIGITS, 9),
                        "C" + c(UPNUM, 4) + c(DIGITS, 1) + c(UPNUM, 3),
                        c(DIGITS, 2) + c(UPNUM, 7),
                    ]
                ),
            ),
        }

    def _nino(self) -> str:
        first = self.d.pick("ABCEGHJKLMNOPRSTWXYZ")
        second = self.d.pick("ABCEGHJKLMNPRSTWXYZ")
        if first + second in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
            return self._nino()
        digits = self.c(DIGITS, 6)
        suffix = self.d.pick("ABCD")
        if self.d.rng.random() < 0.5:
            return f"{first}{second} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
        return f"{first}{second}{digits}{suffix}"

    def _aadhaar(self) -> str:
        """Faker's en_IN numbers skip the Verhoeff check digit: add one."""
        body = self.d.pick("23456789") + self.c(DIGITS, 10)
        digits = body + verhoeff.calc_check_digit(body)
        if self.d.rng.random() < 0.5:
            return f"{digits[:4]} {digits[4:8]} {digits[8:]}"
        return digits

    def _pan(self) -> str:
        upper = string.ascii_uppercase
        return (
            self.c(upper, 3)
            + self.d.pick("ABCFGHJLPT")
            + self.c(upper, 1)
            + self.c(DIGITS, 4)
            + self.c(upper, 1)
        )

    def _tfn(self) -> str:
        weights = (1, 4, 3, 7, 5, 8, 6, 9, 10)
        while True:
            digits = self.c(DIGITS, 9)
            if sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0:
                return (
                    f"{digits[:3]} {digits[3:6]} {digits[6:]}"
                    if self.d.rng.random() < 0.5
                    else digits
                )

    def _npi(self) -> str:
        body = self.d.pick("12") + self.c(DIGITS, 8)
        return body + _luhn_digit("80840" + body)

    def _mbi(self) -> str:
        c = self.c
        alnum = _MBI_ALPHA + DIGITS
        text = (
            c("123456789", 1) + c(_MBI_ALPHA, 1) + c(alnum, 1) + c(DIGITS, 1)
            + c(_MBI_ALPHA, 1) + c(alnum, 1) + c(DIGITS, 1) + c(_MBI_ALPHA, 2) + c(DIGITS, 2)
        )  # fmt: skip
        return f"{text[:4]}-{text[4:7]}-{text[7:]}" if self.d.rng.random() < 0.5 else text

    def _birth(self) -> str:
        date = self.d.us.date_of_birth(minimum_age=18, maximum_age=90)
        return date.strftime(
            self.d.pick(["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%B %d, %Y", "%d %B %Y", "%d.%m.%Y"])
        )

    # --- people

    def people(self) -> dict[str, Callable[[], Value]]:
        return {"pii/name": self._name, "pii/address": self._address}

    def _name(self) -> Value:
        f = self.d.us
        return Value("pii/name", f"{f.first_name()} {f.last_name()}")

    def _address(self) -> Value:
        f = self.d.us
        text = f"{f.building_number()} {f.street_name()}"
        if self.d.rng.random() < 0.3:
            text += " " + f.secondary_address()
        if self.d.rng.random() < 0.8:
            text += f", {f.city()}, {f.state_abbr(include_territories=False)} {f.postcode()}"
        return Value("pii/address", text)


MORE_LEADS: dict[str, Pairs] = {
    "pii/name": (["Dear", "Name:", "Patient:", "Mr.", "Attn:"], ["with", "and", "ask"]),
    "pii/address": (["Address:", "ship to", "mailing address:", "lives at"], ["at", "to", "visit"]),
    "secret/twilio_auth_token": (["TWILIO_AUTH_TOKEN=", "twilio auth_token:"], []),
    "secret/datadog_key": (["DD_API_KEY=", "datadog_api_key:", "DD-APPLICATION-KEY:"], []),
    "secret/heroku_key": (["HEROKU_API_KEY=", "heroku api key:"], []),
    "secret/cloudflare_token": (["CLOUDFLARE_API_TOKEN=", "CF_API_TOKEN:"], []),
    "secret/mistral_api_key": (["MISTRAL_API_KEY=", "mistral_api_key:"], []),
    "secret/cohere_api_key": (["COHERE_API_KEY=", "CO_API_KEY:"], []),
    "secret/azure_openai_key": (["AZURE_OPENAI_API_KEY=", "Ocp-Apim-Subscription-Key:"], []),
    "secret/llm_api_key": (["DEEPSEEK_API_KEY=", "together_api_key:", "FIREWORKS_API_KEY="], []),
    "secret/generic_secret": (["password:", "DB_PASSWORD=", "client_secret =", "passwd:"], []),
    "secret/basic_auth": (["Authorization:", "-H 'Authorization:"], ["with", "header"]),
    "secret/bearer_token": (["Authorization:", "-H 'Authorization:"], ["with", "header"]),
    "secret/url_password": (["DATABASE_URL=", "connect with", "dsn:"], ["use", "here:", "try"]),
    "secret/connection_password": (["connection string:", "ConnectionString="], ["use", "here:"]),
    "secret/azure_account_key": (["AZURE_STORAGE_CONNECTION_STRING="], ["use", "here:"]),
    "secret/azure_sas_token": (["SAS URL:", "download from"], ["use", "open"]),
    "secret/sentry_dsn": (["SENTRY_DSN=", "sentry dsn:"], ["use", "here:"]),
    "secret/putty_private_key": (["my .ppk file:", "putty key"], ["here:", "this one"]),
    "secret/jwk_private_key": (["JWK:", "signing key"], ["here:", "this one"]),
    "secret/xml_private_key": (["RSA key (XML):", "the .NET key"], ["here:", "this one"]),
    "pii/uk_nino": (["National Insurance number", "NI number:", "NINO"], []),
    "pii/ca_sin": (["SIN:", "social insurance number"], []),
    "pii/in_aadhaar": (["Aadhaar:", "aadhaar number"], []),
    "pii/in_pan": (["PAN:", "PAN card"], []),
    "pii/br_cpf": (["CPF:", "meu CPF é"], []),
    "pii/es_dni": (["DNI:", "NIE", "NIF:"], []),
    "pii/fr_nir": (["NIR :", "numéro de sécurité sociale"], []),
    "pii/it_codice_fiscale": (["codice fiscale:", "CF"], []),
    "pii/nl_bsn": (["BSN:", "burgerservicenummer"], []),
    "pii/au_tfn": (["TFN:", "tax file number"], []),
    "pii/us_ein": (["EIN:", "employer identification number"], []),
    "pii/us_npi": (["NPI:", "national provider identifier"], []),
    "pii/us_mbi": (["Medicare MBI:", "medicare number"], []),
    "pii/us_bank_routing": (["routing number", "ABA:"], []),
    "pii/swift_bic": (["SWIFT:", "BIC code"], []),
    "pii/bitcoin_address": (["BTC wallet", "bitcoin address"], ["send to", "pay", "to"]),
    "pii/ethereum_address": (["ETH wallet", "ethereum address"], ["send to", "pay", "to"]),
    "pii/date_of_birth": (["DOB:", "date of birth", "born on", "birthday:"], []),
    "pii/passport_number": (["passport number", "Passport No:", "passport:"], []),
}

MORE_KEYS: dict[str, Pairs] = {
    "pii/name": (["name", "full_name", "customer_name", "patient"], ["owner", "lead"]),
    "pii/address": (["address", "shipping_address"], ["location", "where"]),
    "secret/twilio_auth_token": (["twilio_auth_token", "TWILIO_AUTH_TOKEN"], []),
    "secret/datadog_key": (["dd_api_key", "DATADOG_API_KEY"], []),
    "secret/heroku_key": (["heroku_api_key"], []),
    "secret/cloudflare_token": (["cloudflare_api_token", "CF_API_TOKEN"], []),
    "secret/mistral_api_key": (["mistral_api_key"], []),
    "secret/cohere_api_key": (["cohere_api_key", "CO_API_KEY"], []),
    "secret/azure_openai_key": (["azure_openai_api_key", "AZURE_OPENAI_KEY"], []),
    "secret/llm_api_key": (["deepseek_api_key", "TOGETHER_API_KEY", "groq_api_key"], []),
    "secret/generic_secret": (["password", "db_password", "client_secret", "api_token"], []),
    "secret/basic_auth": (["Authorization", "authorization"], ["auth", "header"]),
    "secret/bearer_token": (["Authorization", "authorization"], ["auth", "header"]),
    "secret/url_password": (["database_url", "dsn"], ["url", "uri"]),
    "secret/connection_password": (["connection_string"], ["conn", "target"]),
    "secret/azure_account_key": (["storage_connection_string"], ["conn", "target"]),
    "secret/azure_sas_token": (["sas_url"], ["url", "link"]),
    "secret/sentry_dsn": (["sentry_dsn"], ["dsn_url", "endpoint"]),
    "secret/putty_private_key": (["ppk"], ["key"]),
    "secret/jwk_private_key": (["jwk"], ["key"]),
    "secret/xml_private_key": (["rsa_xml"], ["key"]),
    "pii/uk_nino": (["nino", "ni_number"], []),
    "pii/ca_sin": (["sin", "social_insurance_number"], []),
    "pii/in_aadhaar": (["aadhaar"], []),
    "pii/in_pan": (["pan"], []),
    "pii/br_cpf": (["cpf"], []),
    "pii/es_dni": (["dni", "nie"], []),
    "pii/fr_nir": (["nir"], []),
    "pii/it_codice_fiscale": (["codice_fiscale"], []),
    "pii/nl_bsn": (["bsn"], []),
    "pii/au_tfn": (["tfn"], []),
    "pii/us_ein": (["ein"], []),
    "pii/us_npi": (["npi"], []),
    "pii/us_mbi": (["medicare_mbi"], []),
    "pii/us_bank_routing": (["routing_number", "aba"], []),
    "pii/swift_bic": (["swift", "bic"], []),
    "pii/bitcoin_address": (["btc_address", "wallet"], ["to", "dest"]),
    "pii/ethereum_address": (["eth_address", "wallet"], ["to", "dest"]),
    "pii/date_of_birth": (["dob", "date_of_birth", "birth_date"], []),
    "pii/passport_number": (["passport_number", "passport_no"], []),
}

TOKEN_LEADS: Pairs = (["token:", "API key:", "credentials:"], ["use", "here:", "with"])
TOKEN_KEYS: Pairs = (["token", "api_key", "secret"], ["key", "value"])
MULTILINE_MORE = {"secret/putty_private_key"}


# EIN prefixes the IRS never assigned (none with a leading 0: "07-1234567" also
# reads as a national phone number).
NO_EIN_PREFIX = ["17", "18", "19", "28", "29", "49", "69", "70", "78", "79", "89", "96", "97"]


def more_negatives(draw: Draw) -> list[Callable[[], tuple[str, str]]]:
    """Hard negatives for the new detectors: placeholders, look-alikes, documentation."""
    c, p, rng, f = draw.chars, draw.pick, draw.rng, draw.us
    return [
        lambda: ("password:", p(["changeme", "${DB_PASSWORD}", "<password>", "********"])),
        lambda: ("DATABASE_URL=", "postgres://app:${DB_PASSWORD}@db:5432/app"),
        lambda: ("connect", f"postgres://{f.user_name()}@localhost:5432/{f.word()}"),
        lambda: ("a", p(["basic understanding", "bearer of bad news", "token budget"])),
        lambda: ("Authorization: Bearer", p(["<token>", "YOUR_ACCESS_TOKEN", "${TOKEN}"])),
        lambda: ("api_key:", p(["YOUR_API_KEY_HERE", "os.environ['API_KEY']", "null"])),
        lambda: ("glpat", "glpat-" + "x" * 20),
        lambda: ("sg", "SG." + "X" * 22 + "." + "X" * 43),
        lambda: (
            "the",
            p(["key-value store", "en-us locale", "secret_key_base", "hf_hub_download"]),
        ),
        lambda: ("sha", "0x" + c(HEX, 64)),
        lambda: ("NINO", p(["QQ 12 34 56 C", "ZZ 91 41 77 T"])),
        lambda: ("EIN", p(NO_EIN_PREFIX) + "-" + c(DIGITS, 7)),
        lambda: ("SWIFT", p(["PASSWORD", "DEVELOPER", "SECURITY"])),
        lambda: (
            "born in",
            f"version {rng.randrange(1, 9)}.{rng.randrange(10)}.{rng.randrange(10)}",
        ),
        lambda: ("DOB:", p(["unknown", "31/02/1990", "2099-01-01"])),
        lambda: ("passport", p(["photo", "office", "renewal form"])),
        lambda: ("Hello", p(["World", "Team", "everyone"])),
        lambda: ("Dear", p(["Customer", "Sir or Madam", "Hiring Manager"])),
        lambda: ("built with", p(["Envoy Proxy", "Python Flask", "React Native", "Google Cloud"])),
        lambda: ("visit", p(["New York City", "Virginia Beach", "Palo Alto", "Mount Rainier"])),
        lambda: ("see", p(["Release Notes", "Getting Started", "Table Of Contents"])),
        lambda: ("step", f"{rng.randrange(2, 9)} Run the migration"),
        lambda: ("we shipped", f"{rng.randrange(10, 900)} Units to the store"),
        lambda: ("population", f"{rng.randrange(10000, 99999)} Einwohner"),
        lambda: ("zip", f.postcode()),
    ]
