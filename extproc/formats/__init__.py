"""Streamed bodies, by format: which stream scanner reads which content type.

Every format turns bytes into the text streams of its fields (one
``rewrite.holdback.Holdback`` per field, from ``Side.holdback``) and the
rewritten streams back into bytes, so detection, hold-back and rewriting are
the same whatever the framing. A format is one entry in ``FORMATS``: the
first whose media types contain the body's content type wins; anything else
is scanned as plain text.
"""

from __future__ import annotations

from collections.abc import Callable

from extproc.exchange import BodyStream
from extproc.formats.sse import SseStream
from extproc.formats.text import TextStream
from extproc.side import Side

StreamFactory = Callable[[Side], BodyStream]

# (media types, stream scanner). Answer framings to come (NDJSON, JSON-array
# streams, AWS event streams) are entries here.
FORMATS: tuple[tuple[frozenset[str], StreamFactory], ...] = (
    (frozenset({"text/event-stream"}), SseStream),
)


def media_type(content_type: str) -> str:
    """``text/event-stream; charset=utf-8`` -> ``text/event-stream`` (of a
    repeated header, joined with commas, the first)."""
    return content_type.partition(";")[0].partition(",")[0].strip().lower()


def format_of(content_type: str) -> StreamFactory | None:
    """The stream scanner of a streamed format, None for plain text."""
    media = media_type(content_type)
    for types, factory in FORMATS:
        if media in types:
            return factory
    return None


def stream_for(side: Side) -> BodyStream:
    """The stream scanner for this side's content type."""
    factory = format_of(side.content_type)
    return factory(side) if factory is not None else TextStream(side)
