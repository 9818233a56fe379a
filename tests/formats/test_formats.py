"""Which scanner reads which answer, and in which body mode: the table of
formats, sniffing of unlabelled bodies, and the answer's mode decided at its
headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from extproc.body_mode import answer_mode
from extproc.formats import ENVOY_BUFFER, format_of, is_event_stream, streaming_route
from extproc.formats.framed import EVENT_STREAM_LIMIT, stream_limit
from extproc.formats.sniff import sniff
from extproc.policy.model import Direction
from extproc.policy.store import load_policy_set
from extproc.rewrite.pseudonym import Pseudonyms
from extproc.side import Side
from extproc.tally import Tally
from extproc.verdicts import BodyMode

S, B = BodyMode.STREAMED, BodyMode.BUFFERED
DATA = Path(__file__).parents[1] / "e2e" / "data"


@pytest.mark.parametrize(
    ("content_type", "events"),
    [
        ("text/event-stream; charset=utf-8", True),
        ("application/x-ndjson", True),
        ("application/stream+json", True),
        ("application/vnd.amazon.eventstream", True),
        ("application/json", False),
        ("application/problem+json", False),
    ],
)
def test_the_table_of_formats(content_type: str, events: bool) -> None:
    assert format_of(content_type) is not None
    assert is_event_stream(content_type) is events


@pytest.mark.parametrize(
    ("head", "final", "kind"),
    [
        (b"data: {}", False, "sse"),
        (b"\xef\xbb\xbf\r\nevent: x", False, "sse"),
        (b": ping", False, "sse"),
        (b'  {"a"', False, "json"),
        (b"[", False, "json"),
        (b"hello there", False, "text"),
        (b"dat", False, None),
        (b"dat", True, "text"),
        (b"", False, None),
        (b"   ", True, "text"),
    ],
)
def test_sniffing(head: bytes, final: bool, kind: str | None) -> None:
    assert sniff(head, final) == kind


@pytest.mark.parametrize(
    ("content_type", "length", "configured", "wanted"),
    [
        ("text/event-stream", "", B, S),  # events: streamed from the first byte
        ("text/event-stream", "", S, S),
        ("application/json", str(ENVOY_BUFFER), S, B),  # known to fit: one round trip
        ("application/json", str(ENVOY_BUFFER + 1), S, S),  # too large for the buffer
        ("application/json", "", S, S),  # unknown length
        ("application/json", "", B, S),
        ("text/plain", "10", B, B),
        ("application/json", "", BodyMode.NONE, BodyMode.NONE),
        ("application/json", "10", BodyMode.FULL_DUPLEX_STREAMED, BodyMode.FULL_DUPLEX_STREAMED),
    ],
)
def test_the_mode_of_an_answer(
    content_type: str, length: str, configured: BodyMode, wanted: BodyMode
) -> None:
    assert (answer_mode(content_type, length, configured) or configured) is wanted


def test_streaming_routes() -> None:
    assert streaming_route("/v1beta/models/gemini-pro:streamGenerateContent")
    assert streaming_route("/generate_stream")
    assert not streaming_route("/v1/chat/completions")


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("example.yaml", EVENT_STREAM_LIMIT), ("small_limit.yaml", 2 * 1024 * 1024)],
)
def test_streams_of_events_get_a_longer_default_limit(policy: str, expected: int) -> None:
    compiled = load_policy_set(str(DATA / policy)).select("", "", None)
    side = Side(
        compiled,
        Direction.RESPONSE,
        Tally(),
        lambda: None,
        Pseudonyms(),
        None,
        "",
        8 << 20,  # type: ignore[arg-type, return-value]
    )
    assert stream_limit(side) == expected
