"""Chat-like texts around the values, labelled with exact spans.

A record is one text as a user or a model would write it: prose, a pasted
JSON or .env fragment, a log line, a CSV row. Its labels are the spans of the
sensitive values in it (detector, start, end); hard negatives carry none.
The evasion corpus applies one encoding per record (see ``ENCODINGS``); its
labels cover the whole encoded form of the value.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.corpus.more import (
    MORE_KEYS,
    MORE_LEADS,
    MULTILINE_MORE,
    TOKEN_KEYS,
    TOKEN_LEADS,
    More,
    more_negatives,
)
from bench.corpus.values import Draw, Value

Label = tuple[str, int, int]

# (with a context word, without one) per detector: what comes right before a value.
LEADS: dict[str, tuple[list[str], list[str]]] = {
    "pii/email": (
        ["my email is", "email me at", "contact:", "reach me at"],
        ["send it to", "cc", "from", "user"],
    ),
    "pii/credit_card": (
        ["my card number is", "visa", "credit card", "pay with card"],
        ["use", "charge", "number", "it's"],
    ),
    "pii/us_ssn": (
        ["my SSN is", "SSN:", "social security number", "ITIN", "tax id"],
        ["her number is", "id", "it's"],
    ),
    "pii/phone_number": (
        ["call me at", "phone:", "mobile", "tel.", "whatsapp"],
        ["at", "number", "try", "or"],
    ),
    "pii/ip_address": (["server", "host", "ip", "gateway"], ["from", "to", "connect to", "behind"]),
    "pii/iban": (["IBAN", "bank account", "transfer to", "SEPA to"], ["to", "into", "use", "pay"]),
    "secret/aws_access_key": (["aws key id", "AWS access key"], ["use", "key", "with", "here:"]),
    "secret/aws_secret_key": (
        ["aws_secret_access_key =", "AWS Secret Access Key:", "SecretAccessKey:"],
        [],
    ),
    "secret/aws_session_token": (
        ["aws_session_token =", "AWS_SESSION_TOKEN=", "SessionToken:"],
        ["use", "here:", "with"],
    ),
    "secret/github_token": (["github token", "GH_TOKEN="], ["use", "here:", "with"]),
    "secret/jwt": (["Authorization: Bearer", "token="], ["use", "here:", "cookie"]),
    "secret/private_key": (["my key:", "deploy key"], ["here:", "this one"]),
    "secret/openai_api_key": (["OPENAI_API_KEY=", "openai key"], ["use", "here:", "with"]),
    "secret/anthropic_api_key": (["ANTHROPIC_API_KEY=", "x-api-key:"], ["use", "here:", "with"]),
    "secret/slack_token": (["SLACK_BOT_TOKEN=", "slack token"], ["use", "here:", "with"]),
    "secret/stripe_key": (["STRIPE_SECRET_KEY=", "stripe key"], ["use", "here:", "with"]),
    "secret/google_api_key": (["google maps key", "GOOGLE_API_KEY="], ["use", "here:", "with"]),
}

# (with a context word, without one): a field name for the value.
KEYS: dict[str, tuple[list[str], list[str]]] = {
    "pii/email": (["email", "contact_email"], ["user", "to", "owner"]),
    "pii/credit_card": (["card_number", "cc", "pan"], ["number", "value"]),
    "pii/us_ssn": (["ssn", "itin", "tin"], ["number", "ref"]),
    "pii/phone_number": (["phone", "mobile", "tel"], ["contact", "number"]),
    "pii/ip_address": (["ip", "host", "server"], ["remote", "peer", "src"]),
    "pii/iban": (["iban", "account"], ["payee", "to"]),
    "secret/aws_access_key": (["aws_access_key_id"], ["key", "id"]),
    "secret/aws_secret_key": (
        ["aws_secret_access_key", "SecretAccessKey", "AWS_SECRET_ACCESS_KEY"],
        [],
    ),
    "secret/aws_session_token": (["aws_session_token", "SessionToken"], ["token", "creds"]),
    "secret/github_token": (["github_token"], ["token", "auth"]),
    "secret/jwt": (["token", "jwt"], ["session", "auth"]),
    "secret/private_key": (["private_key"], ["key", "pem"]),
    "secret/openai_api_key": (["openai_api_key"], ["key", "secret"]),
    "secret/anthropic_api_key": (["anthropic_api_key"], ["key", "secret"]),
    "secret/slack_token": (["slack_token"], ["token", "secret"]),
    "secret/stripe_key": (["stripe_key"], ["key", "secret"]),
    "secret/google_api_key": (["google_api_key"], ["key", "secret"]),
}

TASKS = ["update the record", "check the invoice", "fix the config", "send the summary"]
MULTILINE = {"secret/private_key", *MULTILINE_MORE}
# Names in the frames around values are marked while a text is built, then
# labelled as pii/name (a name is what a name detector must find, wherever).
_OPEN, _CLOSE = "\x02", "\x03"
# Share of hard negatives drawn from the new families' list.
_MORE_NEGATIVES = 0.3


def leads(detector: str) -> tuple[list[str], list[str]]:
    return LEADS.get(detector) or MORE_LEADS.get(detector) or TOKEN_LEADS


def keys(detector: str) -> tuple[list[str], list[str]]:
    return KEYS.get(detector) or MORE_KEYS.get(detector) or TOKEN_KEYS


def unmark(text: str, labels: list[Label]) -> tuple[str, list[Label]]:
    """Strip the name markers from ``text``: a pii/name label for each marked name,
    the other labels moved to the unmarked text."""
    if _OPEN not in text:
        return text, labels
    shift = [0] * (len(text) + 1)  # markers before each position
    out: list[str] = []
    names: list[Label] = []
    start = 0
    for i, char in enumerate(text):
        shift[i + 1] = shift[i] + (char in (_OPEN, _CLOSE))
        if char == _OPEN:
            start = len("".join(out))
        elif char == _CLOSE:
            names.append(("pii/name", start, len("".join(out))))
        else:
            out.append(char)
    moved = [(d, s - shift[s], e - shift[e]) for d, s, e in labels]
    return "".join(out), sorted(moved + names, key=lambda label: label[1])


ENCODINGS = ("zero_width", "fullwidth", "nbsp", "percent", "html", "json_u", "base64")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_SPACES = "\u00a0\u2009\u202f\u2007\u3000"


@dataclass
class Record:
    id: str
    text: str
    labels: list[Label] = field(default_factory=list)
    kind: str = "positive"  # positive | mixed | negative | clean
    encoding: str = "none"


class Texts:
    """Records built from seeded draws; one instance, one reproducible corpus."""

    def __init__(self, seed: int) -> None:
        self.draw = Draw(seed)
        self.rng = self.draw.rng
        self.fake = self.draw.us
        self.count = 0
        more = More(self.draw, seed)
        for table in (more.tokens(), more.named(), more.identity(), more.people()):
            self.draw.values.update(table)
        self._more_negatives = more_negatives(self.draw)

    def _person(self) -> str:
        """A person's name as a frame writes it, marked for labelling."""
        return f"{_OPEN}{self.fake.first_name()} {self.fake.last_name()}{_CLOSE}"

    def _first(self) -> str:
        return f"{_OPEN}{self.fake.first_name()}{_CLOSE}"

    def _id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}-{self.count:05d}"

    def _lead(self, value: Value) -> str:
        context, neutral = leads(value.detector)
        if value.needs_context or not neutral or self.rng.random() < 0.5:
            return self.draw.pick(context)
        return self.draw.pick(neutral)

    def _key(self, value: Value) -> str:
        context, neutral = keys(value.detector)
        if value.needs_context or not neutral or self.rng.random() < 0.5:
            return self.draw.pick(context)
        return self.draw.pick(neutral)

    def _frame(self, value: Value, shown: str) -> tuple[str, str]:
        """(text before, text after) a value written as ``shown``."""
        f, pick = self.fake, self.draw.pick
        lead = self._lead(value)
        key = self._key(value)
        sep = "" if lead.endswith("=") else " "
        frames: list[Callable[[], tuple[str, str]]] = [
            lambda: (f"{f.sentence()} {lead}{sep}", f". {f.sentence()}"),
            lambda: (f"Hi {self._first()}, {lead}{sep}", f" - can you {pick(TASKS)}?"),
            lambda: (f"{lead[:1].upper()}{lead[1:]}{sep}", ""),
            lambda: (f"{f.paragraph(2)}\n\n{lead}{sep}", f"\n\nThanks,\n{self._person()}"),
            lambda: (f"{f.sentence()} ({lead}{sep}", f") {f.sentence()}"),
        ]
        if not value.needs_context:  # context words come before a value, not after
            frames.append(lambda: ("Is `", f"` the right {key}? {f.sentence()}"))
        if value.detector not in MULTILINE:
            frames += [
                lambda: (f"# {f.sentence()}\n{key.upper()}=", "\n"),
                lambda: (f"{key}: ", f"\nname: {self._person()}"),
                lambda: (
                    f'{{"{key}": "',
                    f'", "name": "{self._person()}", "note": "{f.sentence()}"}}',
                ),
            ]
            frames.append(lambda: (f"{key} = '", f"'  # {f.sentence()}"))
            if not value.needs_context:
                frames += [
                    lambda: (f"| {self._person()} | ", f" | {f.city()} |"),
                    lambda: (f"https://{f.domain_name()}/api?{key}=", f"&page={f.pyint()}"),
                    lambda: ("", f" {f.sentence()}"),
                    lambda: (f"name,{key},city\n{self._person()},", f",{f.city()}"),
                    lambda: (f"{f.iso8601()}Z INFO {f.bs()} {key}=", f" took={f.pyint()}ms"),
                ]
        else:
            frames.append(lambda: (f'{{"{key}": "', '"}'))
        return self.rng.choice(frames)()

    def single(self, detector: str) -> Record:
        value = self.draw.values[detector]()
        before, after = self._frame(value, value.text)
        shown = value.text
        if before.endswith('"') and value.detector in MULTILINE:
            shown = json.dumps(value.text)[1:-1]  # inside a JSON string: \n escaped
        text = before + shown + after
        first, last = value.span or (0, len(shown))
        label = (detector, len(before) + first, len(before) + last)
        text, labels = unmark(text, [label])
        return Record(self._id("p"), text, labels)

    def mixed(self, detectors: list[str]) -> Record:
        """Two or three values of different detectors in one chat message."""
        chosen = self.rng.sample([d for d in detectors if d not in MULTILINE], 3)[
            : self.rng.choice([2, 3])
        ]
        parts = [self.fake.sentence()]
        labels: list[Label] = []
        for detector in chosen:
            value = self.draw.values[detector]()
            lead = self._lead(value)
            parts.append(f" {lead}{'' if lead.endswith('=') else ' '}")
            start = sum(map(len, parts))
            parts.append(value.text)
            first, last = value.span or (0, len(value.text))
            labels.append((detector, start + first, start + last))
            parts.append(self.draw.pick([",", ";", " and", "."]))
        parts.append(" " + self.fake.sentence())
        return Record(self._id("m"), "".join(parts), labels, kind="mixed")

    def negative(self) -> Record:
        f = self.fake
        if self.rng.random() < _MORE_NEGATIVES:
            lead, value = self.rng.choice(self._more_negatives)()
        else:
            lead, value = self.draw.negative()
        frames = [
            (f"{f.sentence()} {lead} ", f". {f.sentence()}"),
            (f"{f.iso8601()}Z INFO {f.bs()} {lead.replace(' ', '_')}=", " ok"),
            (f'{{"{lead.replace(" ", "_")}": "', f'", "note": "{f.sentence()}"}}'),
            (f"{lead[:1].upper()}{lead[1:]} ", f" ({f.catch_phrase()})"),
        ]
        before, after = self.rng.choice(frames)
        text = before + value + after
        return Record(self._id("n"), text, kind="negative")

    def clean(self) -> Record:
        return Record(self._id("c"), self.fake.paragraph(self.rng.randrange(2, 6)), kind="clean")

    # --- evasions

    def encode(self, encoding: str, value: str) -> str | None:
        """``value`` in ``encoding``, or None where it does not apply."""
        rng, pick = self.rng, self.draw.pick
        inner = [i for i in range(1, len(value)) if value[i - 1].isalnum() and value[i].isalnum()]
        if encoding == "zero_width":
            cuts = sorted(rng.sample(inner, min(len(inner), rng.randint(1, 3))))
            out, last = [], 0
            for cut in cuts:
                out += [value[last:cut], pick(_ZERO_WIDTH)]
                last = cut
            return "".join([*out, value[last:]])
        if encoding == "fullwidth":
            if not any(c.isdigit() for c in value):
                return None
            return value.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
        if encoding == "nbsp":
            if " " not in value:
                return None
            return "".join(pick(_SPACES) if c == " " else c for c in value)
        share = pick([0.3, 0.6, 1.0])
        chosen = {i for i in range(len(value)) if rng.random() < share} or {
            rng.randrange(len(value))
        }
        if encoding == "percent":
            quoted = urllib.parse.quote(value, safe="")
            if rng.random() < 0.5 and quoted != value:
                return quoted
            return "".join(
                "".join(f"%{b:02X}" for b in c.encode()) if i in chosen else c
                for i, c in enumerate(value)
            )
        if encoding == "html":
            named = {"@": "&commat;", ".": "&period;", " ": "&nbsp;", ":": "&colon;", "+": "&plus;"}
            out = []
            for i, c in enumerate(value):
                if i not in chosen:
                    out.append("&amp;" if c == "&" else c)
                elif c in named and rng.random() < 0.5:
                    out.append(named[c])
                else:
                    out.append(f"&#{ord(c)};" if rng.random() < 0.5 else f"&#x{ord(c):x};")
            return "".join(out)
        if encoding == "json_u":
            return "".join(
                f"\\u{ord(c):04x}" if i in chosen else json.dumps(c)[1:-1]
                for i, c in enumerate(value)
            )
        raise ValueError(encoding)

    def _encoded_frame(self, encoding: str, value: Value, shown: str) -> tuple[str, str]:
        if value.needs_context or encoding not in ("percent", "html", "json_u"):
            return self._frame(value, shown)
        f, pick, detector = self.fake, self.draw.pick, value.detector
        key = pick(keys(detector)[0] + keys(detector)[1])
        if encoding == "percent":
            return self.rng.choice(
                [
                    (f"open https://{f.domain_name()}/search?{key}=", "&lang=en"),
                    (f"curl -d '{key}=", f"' https://{f.domain_name()}/api"),
                    ("mailto:" if detector == "pii/email" else f"{key}=", ""),
                ]
            )
        if encoding == "html":
            return self.rng.choice(
                [
                    (f"<p>{f.sentence()} {key}: ", "</p>"),
                    (f"<td>{self._person()}</td><td>", "</td>"),
                ]
            )
        return (f'payload was {{"{key}": "', f'", "ok": true}} - {f.sentence()}')

    def evasion(self, detector: str, encoding: str) -> Record | None:
        value = self.draw.values[detector]()
        if value.span is not None:
            return None  # a labelled part of a larger text: its encoded span is not known
        if encoding == "base64":
            lead = self._lead(value)
            secret = f"{lead}{'' if lead.endswith('=') else ' '}{value.text}"
            if not value.needs_context and self.rng.random() < 0.5:
                secret = value.text
            urlsafe = self.rng.random() < 0.3
            run = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(
                secret.encode()
            ).decode()
            before, after = self.rng.choice(
                [
                    ('{"data": "', '"}'),
                    ("decode this: ", f" {self.fake.sentence()}"),
                    (f"  {self.draw.pick(['password', 'config', 'value'])}: ", "\n"),
                    ("echo ", " | base64 -d"),
                ]
            )
            return Record(
                self._id("e"),
                before + run + after,
                [(detector, len(before), len(before) + len(run))],
                encoding=encoding,
            )
        shown = self.encode(encoding, value.text)
        if shown is None:
            return None
        before, after = self._encoded_frame(encoding, value, shown)
        text, labels = unmark(
            before + shown + after, [(detector, len(before), len(before) + len(shown))]
        )
        return Record(self._id("e"), text, labels, encoding=encoding)

    def evasion_negative(self, encoding: str) -> Record:
        """A hard negative in the same encodings: must stay quiet."""
        lead, value = self.draw.negative()
        if encoding == "base64":
            shown = base64.b64encode(f"{lead} {value}. {self.fake.sentence()}".encode()).decode()
        else:
            shown = self.encode(encoding, value) or self.encode("zero_width", value) or value
        before, after = (f"{self.fake.sentence()} {lead} ", f". {self.fake.sentence()}")
        return Record(self._id("en"), before + shown + after, kind="negative", encoding=encoding)
