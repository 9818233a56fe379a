"""Streamed bodies, by format: which stream scanner reads which content type.

Every format turns bytes into the text streams of its fields (one
``rewrite.holdback.Holdback`` per field, from ``Side.holdback``) and the
rewritten streams back into bytes, so detection, hold-back and rewriting are
the same whatever the framing. A format is one entry in ``FORMATS``: the
first whose media types contain the body's content type wins. A JSON answer
that may be small is held and scanned whole (``formats.whole``); a body of
any other type is sniffed: SSE or JSON by its first bytes, else plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from extproc.formats.framed import Framed
from extproc.formats.sniff import Sniffed
from extproc.formats.text import TextStream
from extproc.formats.whole import Whole, WholeFirst
from extproc.rewrite.eventstream import EventStreamRewriter
from extproc.rewrite.jsonstream import JsonStreamRewriter
from extproc.rewrite.sse import SseRewriter
from extproc.side import Side
from extproc.verdicts import BodyStream

StreamFactory = Callable[[Side], BodyStream]

# Upper bound on one event held whole (an SSE event, an NDJSON line, an array
# element); a larger one streams through field by field.
MAX_EVENT = 1024 * 1024
# Envoy's default per-connection buffer: an answer known to fit is buffered
# (one round trip, a real status on a block); any other is streamed.
ENVOY_BUFFER = 1024 * 1024


def sse(side: Side) -> BodyStream:
    rewriter = SseRewriter(side.holdback, side.whole, side.stream_error, MAX_EVENT, side.mirror)
    return Framed(side, rewriter, events=True)


def ndjson(side: Side) -> BodyStream:
    rewriter = JsonStreamRewriter(
        side.holdback, side.whole, side.stream_error, MAX_EVENT, side.mirror, sequence=True
    )
    return Framed(side, rewriter, events=True)


def json_answer(side: Side) -> BodyStream:
    """One JSON document, or (on a streaming route) a JSON array of events."""
    rewriter = JsonStreamRewriter(
        side.holdback,
        side.whole,
        side.stream_error,
        MAX_EVENT,
        side.mirror,
        array_events=streaming_route(side.route),
    )
    return Framed(side, rewriter, events=streaming_route(side.route))


def eventstream(side: Side) -> BodyStream:
    rewriter = EventStreamRewriter(side.holdback, side.whole, side.stream_error, side.mirror)
    return Framed(side, rewriter, events=True)


@dataclass(frozen=True, slots=True)
class Format:
    types: frozenset[str]
    factory: StreamFactory
    events: bool  # a stream of events: streamed from the first byte, whatever its length


NDJSON = frozenset(
    {
        "application/x-ndjson", "application/ndjson", "application/jsonl",
        "application/x-jsonlines", "application/jsonlines", "application/json-seq",
        "application/stream+json", "application/x-json-stream",
    }
)  # fmt: skip

FORMATS: tuple[Format, ...] = (
    Format(frozenset({"text/event-stream"}), sse, True),
    Format(NDJSON, ndjson, True),
    Format(frozenset({"application/vnd.amazon.eventstream"}), eventstream, True),
    Format(frozenset({"application/json", "text/json"}), json_answer, False),
)


def media_type(content_type: str) -> str:
    """``text/event-stream; charset=utf-8`` -> ``text/event-stream`` (of a
    repeated header, joined with commas, the first)."""
    return content_type.partition(";")[0].partition(",")[0].strip().lower()


def format_of(content_type: str) -> Format | None:
    """The format of a content type (``+json`` types are JSON), None for others."""
    media = media_type(content_type)
    for fmt in FORMATS:
        if media in fmt.types:
            return fmt
    if media.endswith("+json"):
        return FORMATS[-1]
    return None


def is_event_stream(content_type: str) -> bool:
    fmt = format_of(content_type)
    return fmt is not None and fmt.events


def streaming_route(route: str) -> bool:
    """A path that asks for a stream (Gemini's ``:streamGenerateContent``,
    TGI's ``/generate_stream``): a JSON array there is a stream of events."""
    return "stream" in route.lower()


def stream_for(side: Side, whole: Whole) -> BodyStream:
    """The stream scanner for this side's content type; ``whole`` scans a
    complete body as a buffered one (for JSON answers that turn out small)."""
    fmt = format_of(side.content_type)
    if fmt is not None and (fmt.events or streaming_route(side.route)):
        return fmt.factory(side)
    if fmt is not None:
        factory = fmt.factory
        return WholeFirst(whole, lambda: factory(side))
    if side.encoding:
        return TextStream(side)
    return Sniffed(side, {"sse": sse, "json": json_answer, "text": TextStream})
