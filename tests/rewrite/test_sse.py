"""The SSE rewriter on its own: one text stream per field, values split over
events found and never sent in part, untouched events byte for byte, held
text flushed before the end marker, whole values scanned on their own, the
error event in the provider's shape, and a body that is not SSE."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import pytest

from extproc.demo.model import anthropic_sse, openai_sse
from extproc.detect.finding import Finding
from extproc.policy.model import Action
from extproc.rewrite.holdback import Holdback, Inspected
from extproc.rewrite.sse import Out, SseRewriter

CARD = re.compile(r"\b4\d{3}(?: \d{4}){3}\b")
SECRET = re.compile(r"\bAKIA[A-Z0-9]{16}\b")
HOLD = 24
MAX_EVENT = 4096


def inspect(text: str) -> Inspected:
    acted = [(Finding("card", m.start(), m.end(), 1.0), Action.REDACT) for m in CARD.finditer(text)]
    return Inspected(acted, SECRET.search(text) is not None)


def tail(text: str) -> int:
    """Hold a trailing word or run of digits and spaces (a key or a card still
    arriving), as ``detect.tail`` does."""
    m = re.search(r"(?:\d[\d ]*|\S+)\Z", text)
    return min(len(m.group()), HOLD) if m else 0


def rewrite(text: str, acted: Sequence[tuple[Finding, Action]], offset: int) -> str:
    for f, _ in reversed(acted):
        text = text[: f.start - offset] + "[CARD]" + text[f.end - offset :]
    return text


class Rig:
    def __init__(self) -> None:
        self.wholes: list[str] = []
        self.errors: list[bool] = []
        self.sse = SseRewriter(self.holdback, self.whole, self.error, MAX_EVENT)

    def holdback(self) -> Holdback:
        return Holdback(inspect, rewrite, tail)

    def whole(self, value: str) -> tuple[str, bool]:
        self.wholes.append(value)
        if value == "blocked-id":
            return value, True
        return value.replace("secret-name", "[NAME]"), False

    def error(self, dialect: str) -> tuple[str | None, object]:
        self.errors.append(dialect == "anthropic")
        return ("error", {}) if dialect == "anthropic" else (None, {"error": {}})

    def error_event(self, anthropic: bool) -> str:
        return "event: error\ndata: {}\n\n" if anthropic else 'data: {"error": {}}\n\n'

    def run(self, chunks: Sequence[bytes]) -> tuple[bytes, bool]:
        outs: list[Out] = [self.sse.feed(c) for c in chunks]
        outs.append(self.sse.finish())
        return b"".join(o.data for o in outs), any(o.blocked for o in outs)


def events(raw: bytes) -> list[str]:
    return [b for b in raw.decode().split("\n\n") if b]


def openai_text(raw: bytes) -> str:
    text = []
    for event in events(raw):
        data = event.removeprefix("data: ")
        if data != "[DONE]":
            text.extend(c["delta"].get("content", "") for c in json.loads(data)["choices"])
    return "".join(text)


SPLIT_CARD = ["Pay ", "with ", "4111 ", "1111 ", "1111 ", "1111", " today."]


def test_value_split_over_events_is_redacted_and_never_sent_in_part() -> None:
    raw, blocked = Rig().run(openai_sse(SPLIT_CARD))
    assert not blocked
    assert openai_text(raw) == "Pay with [CARD] today."
    assert b"4111" not in raw and b"1111" not in raw
    assert events(raw)[-1] == "data: [DONE]"
    for event in events(raw)[:-1]:  # every event is still valid JSON
        assert json.loads(event.removeprefix("data: "))["object"] == "chat.completion.chunk"


@pytest.mark.parametrize("size", [1, 5, 64])
def test_any_chunking_gives_the_same_output(size: int) -> None:
    whole, _ = Rig().run([b"".join(openai_sse(SPLIT_CARD))])
    data = b"".join(openai_sse(SPLIT_CARD))
    pieces, _ = Rig().run([data[i : i + size] for i in range(0, len(data), size)])
    assert pieces == whole


def test_untouched_events_leave_byte_for_byte() -> None:
    stream = openai_sse(["Hello ", "there, ", "how ", "are ", "you?"])
    raw, blocked = Rig().run(stream)
    assert not blocked
    assert raw == b"".join(stream)


def test_held_text_is_flushed_before_done_in_an_event_shaped_like_the_last() -> None:
    rig = Rig()
    first = rig.sse.feed(b"".join(openai_sse(["card ", "4111 1111", "x"])[:2]))
    assert b"4111" not in first.data  # could still become a card: held
    rest = rig.sse.feed(b"data: [DONE]\n\n")
    raw = first.data + rest.data
    assert raw.endswith(b"data: [DONE]\n\n")
    assert openai_text(raw) == "card 4111 1111"


def test_identity_values_are_scanned_whole() -> None:
    rig = Rig()
    event = {"id": "secret-name", "choices": [{"index": 0, "delta": {"content": "hi"}}]}
    raw, _ = rig.run([b"data: " + json.dumps(event).encode() + b"\n\n"])
    assert "secret-name" in rig.wholes
    assert json.loads(events(raw)[0].removeprefix("data: "))["id"] == "[NAME]"


@pytest.mark.parametrize(
    ("stream", "anthropic"),
    [
        (openai_sse(["key ", "AKIA", "IOSFODNN7", "EXAMPLE", " ok"]), False),
        (anthropic_sse(["key ", "AKIA", "IOSFODNN7", "EXAMPLE", " ok"]), True),
    ],
)
def test_a_block_ends_with_the_providers_error_event(
    stream: tuple[bytes, ...], anthropic: bool
) -> None:
    rig = Rig()
    raw, blocked = rig.run(stream)
    assert blocked
    assert rig.errors == [anthropic]
    assert b"AKIA" not in raw and b"IOSFODNN7" not in raw
    assert raw.endswith(rig.error_event(anthropic).encode())
    assert rig.sse.feed(b"data: more\n\n") == Out(b"", True)  # the rest is swallowed


def test_a_blocking_whole_value_ends_the_stream() -> None:
    rig = Rig()
    event = {"id": "blocked-id", "choices": [{"index": 0, "delta": {"content": "hi"}}]}
    raw, blocked = rig.run([b"data: " + json.dumps(event).encode() + b"\n\n"])
    assert blocked and b"blocked-id" not in raw


def test_stop_says_the_error_in_the_streams_shape() -> None:
    rig = Rig()
    rig.sse.feed(anthropic_sse(["hi"])[0])
    assert rig.sse.stop() == rig.error_event(True)
    assert rig.sse.blocked


def test_text_events_are_one_stream_per_event_name() -> None:
    raw, blocked = Rig().run([b"data: pay 4111 1111 \n\n", b"data: 1111 1111 now\n\n"])
    assert not blocked
    assert b"4111" not in raw
    assert "".join(e.removeprefix("data: ") for e in events(raw)) == "pay [CARD] now"


def test_comments_and_keep_alives_pass() -> None:
    raw, _ = Rig().run([b": keep-alive\n\n", b"retry: 100\n\n"])
    assert raw == b": keep-alive\n\nretry: 100\n\n"


def test_a_body_without_event_boundaries_is_scanned_as_text() -> None:
    body = b"x" * (MAX_EVENT + 10) + b" 4111 1111 1111 1111 end"
    raw, blocked = Rig().run([body[:100], body[100:]])
    assert not blocked
    assert raw == b"x" * (MAX_EVENT + 10) + b" [CARD] end"
