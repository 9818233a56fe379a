"""A small detection rig for the rewrite tests: cards and AWS-shaped keys are
redacted, ``BLOCKME`` blocks, and the hold-back keeps a trailing word or run
of digits (as ``detect.tail`` does for the real detectors)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from extproc.detect.finding import Finding
from extproc.policy.model import Action
from extproc.rewrite.fields import FieldStreams
from extproc.rewrite.holdback import Holdback, Inspected

CARD = re.compile(r"\b4\d{3}(?: \d{4}){3}\b")
KEY = re.compile(r"\bAKIA[A-Z0-9]{16}\b")
HOLD = 32
CARD_TEXT = "4111 1111 1111 1111"
KEY_TEXT = "AKIA" + "IOSFODNN7EXAMPLE"
FRAGMENTS = ("4111", "1111", "AKIA", "IOSFO", "EXAMPLE")
# A card and a key, each split over several pieces (one piece per event).
SPLIT = [
    "Pay ",
    "with ",
    "4111 ",
    "1111 ",
    "1111 ",
    "1111",
    " and ",
    "AKIA",
    "IOSFO",
    "DNN7",
    "EXAMPLE",
    " ok",
]
REDACTED = "Pay with [CARD] and [KEY] ok"


def inspect(text: str) -> Inspected:
    found = [(m.start(), m.end(), "card") for m in CARD.finditer(text)]
    found += [(m.start(), m.end(), "key") for m in KEY.finditer(text)]
    acted = [(Finding(name, s, e, 1.0), Action.REDACT) for s, e, name in sorted(found)]
    return Inspected(acted, "BLOCKME" in text)


def tail(text: str) -> int:
    m = re.search(r"(?:\d[\d ]*|\S+)\Z", text)
    return min(len(m.group()), HOLD) if m else 0


def rewrite(text: str, acted: Sequence[tuple[Finding, Action]], offset: int) -> str:
    for f, _ in reversed(acted):
        label = "[CARD]" if f.detector == "card" else "[KEY]"
        text = text[: f.start - offset] + label + text[f.end - offset :]
    return text


def holdback() -> Holdback:
    return Holdback(inspect, rewrite, tail)


def whole(value: str) -> tuple[str, bool]:
    """A whole value, scanned on its own."""
    released = holdback()
    first = released.feed(value)
    last = released.finish()
    return first.text + last.text, first.blocked or last.blocked


def error(dialect: str) -> tuple[str | None, object]:
    return (None, {"error": {"message": "blocked", "dialect": dialect}})


def streams() -> FieldStreams:
    return FieldStreams(holdback, whole)


def clean(data: str | bytes) -> bool:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return not any(fragment in text for fragment in FRAGMENTS)
