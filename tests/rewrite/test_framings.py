"""Every framing of streamed JSON on its own: SSE, NDJSON, JSON arrays of
events, JSON documents, AWS event streams. Any chunking of the body gives the
same output and no fragment of a value anywhere in it (property tests);
events stay well-formed; what is not the format is scanned as text."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from extproc.rewrite.eventstream import EventStreamRewriter, decode, frame_length
from extproc.rewrite.framing import Out
from extproc.rewrite.jsonstream import JsonStreamRewriter
from extproc.rewrite.sse import SseRewriter
from tests.e2e import wire
from tests.rewrite.rig import REDACTED, SPLIT, clean, error, holdback, whole

MAX_EVENT = 2048

Rewriter = Any
Factory = Callable[[], Rewriter]

FRAMINGS: dict[str, tuple[Factory, bytes]] = {
    "sse": (
        lambda: SseRewriter(holdback, whole, error, MAX_EVENT),
        b"".join(wire.sse(*({"choices": [{"index": 0, "delta": {"content": p}}]} for p in SPLIT))),
    ),
    "ndjson": (
        lambda: JsonStreamRewriter(holdback, whole, error, MAX_EVENT, sequence=True),
        b"".join(wire.ollama_chat(SPLIT)),
    ),
    "array": (
        lambda: JsonStreamRewriter(holdback, whole, error, MAX_EVENT, array_events=True),
        b"".join(wire.gemini_array(SPLIT)),
    ),
    "eventstream": (
        lambda: EventStreamRewriter(holdback, whole, error),
        b"".join(wire.converse_stream(SPLIT)),
    ),
}


def run(factory: Factory, pieces: Sequence[bytes]) -> tuple[bytes, bool]:
    rewriter = factory()
    outs: list[Out] = [rewriter.feed(p) for p in pieces]
    outs.append(rewriter.finish())
    return b"".join(o.data for o in outs), any(o.blocked for o in outs)


def cut(data: bytes, points: list[int]) -> list[bytes]:
    marks = sorted({p % len(data) for p in points} - {0})
    return [data[a:b] for a, b in zip([0, *marks], [*marks, len(data)], strict=True)]


def text_of(name: str, data: bytes) -> str:
    if name == "sse":
        return "".join(e["choices"][0]["delta"]["content"] for e in sse_values(data))
    if name == "ndjson":
        return "".join(json.loads(line)["message"]["content"] for line in data.splitlines())
    if name == "array":
        chunks = json.loads(data)
        return "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks)
    payloads = [json.loads(decode(f).payload) for f in frames(data)]
    return "".join(p["delta"]["text"] for p in payloads if "delta" in p)


def sse_values(data: bytes) -> list[Any]:
    return [json.loads(b[6:]) for b in data.decode().split("\n\n") if b.startswith("data: {")]


def frames(data: bytes) -> list[bytes]:
    out = []
    while data:
        n = frame_length(data)
        assert n is not None
        out.append(data[:n])
        data = data[n:]
    return out


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(FRAMINGS)), points=st.lists(st.integers(1, 10_000), max_size=40))
def test_any_chunking_gives_the_same_clean_output(name: str, points: list[int]) -> None:
    factory, body = FRAMINGS[name]
    whole_out, blocked = run(factory, [body])
    assert not blocked
    out, _ = run(factory, cut(body, points))
    assert out == whole_out
    assert clean(out)
    assert text_of(name, out) == REDACTED


def test_untouched_streams_leave_byte_for_byte() -> None:
    # Up to the end: a word held at the last text event goes into the final one.
    words = ["Hello ", "there, ", "how ", "are ", "you?"]
    for name, body in (
        ("ndjson", b"".join(wire.ollama_chat(words))),
        ("eventstream", b"".join(wire.converse_stream(words))),
        ("array", b"".join(wire.gemini_array(words))),
    ):
        out, _ = run(FRAMINGS[name][0], [body])
        assert text_of(name, out) == "".join(words)
        keep = body.index(b"are")
        assert out[:keep] == body[:keep], name


def test_a_block_ends_each_framing_in_its_own_shape() -> None:
    pieces = ["fine ", "BLOCK", "ME", " later"]
    cases = {
        "sse": b"".join(
            wire.sse(*({"choices": [{"index": 0, "delta": {"content": p}}]} for p in pieces))
        ),
        "ndjson": b"".join(wire.ollama_chat(pieces)),
        "array": b"".join(wire.gemini_array(pieces)),
        "eventstream": b"".join(wire.converse_stream(pieces)),
    }
    for name, body in cases.items():
        out, blocked = run(FRAMINGS[name][0], [body])
        assert blocked, name
        assert b"BLOCK" not in out
        if name == "array":
            assert json.loads(out)[-1]["error"]["message"] == "blocked"  # the array closed
        elif name == "ndjson":
            assert json.loads(out.splitlines()[-1])["error"]["message"] == "blocked"
        elif name == "eventstream":
            from extproc.rewrite.eventstream import decode as decode_frame

            last = decode_frame(frames(out)[-1])
            assert last.header(":message-type") == "exception"
        else:
            assert sse_values(out)[-1]["error"]["message"] == "blocked"


def test_a_json_document_streams_string_by_string_and_keeps_media() -> None:
    body = json.dumps(
        {
            "id": "x",
            "data": [
                {"b64_json": "AKIA" + "IOSFODNN7EXAMPLE", "note": "card " + "4111 1111 1111 1111"}
            ],
        }
    ).encode()
    factory = lambda: JsonStreamRewriter(holdback, whole, error, MAX_EVENT)  # noqa: E731
    out, _ = run(factory, cut(body, [7, 19, 33, 50, 61]))
    value = json.loads(out)
    assert value["data"][0]["b64_json"] == "AKIA" + "IOSFODNN7EXAMPLE"  # media: untouched
    assert value["data"][0]["note"] == "card [CARD]"


def test_a_json_array_that_is_not_a_stream_is_a_document() -> None:
    body = json.dumps([{"name": "Alice Smith"}, {"name": "Bob Jones"}]).encode()
    factory = lambda: JsonStreamRewriter(holdback, whole, error, MAX_EVENT)  # noqa: E731
    assert run(factory, [body])[0] == body


def test_big_events_stream_through_field_by_field() -> None:
    filler = "word " * 2000
    events = [
        {"choices": [{"index": 0, "delta": {"content": filler + "4111 1111"}}]},
        {"choices": [{"index": 0, "delta": {"content": " 1111 1111 end"}}]},
    ]
    for name, body in (
        ("sse", b"".join(wire.sse(*events)) + b"data: [DONE]\n\n"),
        ("ndjson", b"".join(wire.ndjson(events))),
    ):
        factory = FRAMINGS[name][0]
        out, _ = run(factory, cut(body, list(range(500, len(body), 700))))
        assert clean(out), name
        values = sse_values(out) if name == "sse" else [json.loads(x) for x in out.splitlines()]
        joined = "".join(v["choices"][0]["delta"]["content"] for v in values)
        assert joined.endswith("word [CARD] end"), name


def test_not_the_format_is_scanned_as_text() -> None:
    body = b"plain words and a card 4111 1111 1111 1111 here\n" * 3
    for name in ("ndjson", "eventstream"):
        out, _ = run(FRAMINGS[name][0], cut(body, [5, 17, 40, 90]))
        assert out == body.replace(b"4111 1111 1111 1111", b"[CARD]"), name
