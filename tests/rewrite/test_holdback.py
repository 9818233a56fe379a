"""Hold-back: any chunking of a stream gives the same output as one chunk,
and no part of a value leaves before the value is decided."""

from __future__ import annotations

import re
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from extproc.detect.finding import Finding
from extproc.policy.model import Action
from extproc.rewrite.holdback import Holdback, Inspected

CARD = re.compile(r"\b4\d{3}(?: ?\d{4}){3}\b")
SECRET = re.compile(r"\bAKIA[A-Z0-9]{16}\b")
HOLD = 24


def inspect(text: str) -> Inspected:
    acted = [(Finding("card", m.start(), m.end(), 1.0), Action.REDACT) for m in CARD.finditer(text)]
    blocked = SECRET.search(text) is not None
    return Inspected(acted, blocked)


def rewrite(text: str, acted: Sequence[tuple[Finding, Action]], offset: int) -> str:
    for f, _ in reversed(acted):
        text = text[: f.start - offset] + "[CARD]" + text[f.end - offset :]
    return text


def run(chunks: Sequence[str]) -> tuple[list[str], bool]:
    hb = Holdback(inspect, rewrite, HOLD)
    out = []
    blocked = False
    for c in chunks:
        r = hb.feed(c)
        out.append(r.text)
        blocked = blocked or r.blocked
    r = hb.finish()
    out.append(r.text)
    return out, blocked or r.blocked


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(c, len(text)) for c in cuts})
    pieces, prev = [], 0
    for p in points:
        pieces.append(text[prev:p])
        prev = p
    pieces.append(text[prev:])
    return pieces


TEXT = "pay with 4111 1111 1111 1111 today, or 4000 0000 0000 0002 later. " * 3


@given(cuts=st.lists(st.integers(0, len(TEXT)), max_size=30))
@settings(max_examples=200)
def test_any_chunking_same_output(cuts: list[int]) -> None:
    whole, _ = run([TEXT])
    pieces, _ = run(split(TEXT, cuts))
    assert "".join(pieces) == "".join(whole)
    assert "4111" not in "".join(pieces)
    # No piece ever carries a fragment of a card number.
    for p in pieces:
        assert not re.search(r"\d{4}", p)


def test_held_back_is_bounded() -> None:
    hb = Holdback(inspect, rewrite, HOLD)
    released = hb.feed("x" * 1000)
    assert len(released.text) >= 1000 - HOLD
    assert len(released.text) + len(hb.finish().text) == 1000


def test_block_stops_the_stream() -> None:
    out, blocked = run(["key AKIA", "IOSFODNN7EXAMP", "LE and more"])
    assert blocked
    assert "IOSFODNN" not in "".join(out)
