"""Server-sent events, scanned as they flow.

Each event is parsed as it completes; a JSON event's strings feed the
answer's text streams (``rewrite.fields``). An event whose text was changed
is re-encoded (valid JSON, a JSON string staying a JSON string); others
leave byte for byte. What a stream still holds when the model ends
(``[DONE]``, an item's end, or the end of the body) is sent in one more event
shaped like the last event of that field, just before the end marker. Data
that is not JSON is one text stream per event name.

Lines end in LF, CRLF or CR, mixed as they come; a UTF-8 BOM before the first
event passes through. An event larger than ``max_event`` is not held whole:
its data streams through ``rewrite.bigjson`` field by field as it arrives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from extproc.rewrite.bigjson import BigEvent, NotSse
from extproc.rewrite.fields import WholeScan
from extproc.rewrite.framing import ErrorOf, Framing, Out, TextRest
from extproc.rewrite.holdback import Holdback
from extproc.rewrite.text import to_bytes, to_text
from extproc.rewrite.textfield import Field, Flushed, synthetic

# An empty line ends an event; a CR at the very end may still become CRLF.
_EVENT_END = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")
_LINE = re.compile(r"\r\n|\r|\n")
_TEXT = ("<text>",)  # the field path of an event's non-JSON data
_BOM = b"\xef\xbb\xbf"
# How an SSE body's lines begin (after blank lines): a field or a comment.
_SSE_LINE = re.compile(rb"[\r\n]*(?:data|event|id|retry)?:")
DONE = "[DONE]"


@dataclass(slots=True)
class _Event:
    name: str | None
    data: str
    other_lines: list[str] = field(default_factory=list)
    newline: str = "\n"


def _parse_event(raw: str) -> _Event:
    lines = _LINE.split(raw)
    m = _LINE.search(raw)
    newline = m.group() if m else "\n"
    name: str | None = None
    data: list[str] = []
    other: list[str] = []
    for line in lines:
        if not line:
            continue
        key, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if key == "data":
            data.append(value)
        elif key == "event":
            name = value
            other.append(line)
        else:
            other.append(line)
    return _Event(name, "\n".join(data), other, newline)


def _render(event: _Event, data: str) -> str:
    nl = event.newline
    lines = [*event.other_lines, *(f"data: {part}" for part in data.split("\n"))]
    return nl.join(lines) + nl + nl


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _synthetic(f: Field, text: str) -> str:
    """One more event shaped like the field's last one, carrying ``text``."""
    if f.path == _TEXT:
        event: _Event = f.template
        return _render(event, text)
    head = f"event: {f.event_name}\n" if f.event_name else ""
    return head + "data: " + _dumps(synthetic(f, text)) + "\n\n"


def error_text(name: str | None, obj: Any) -> str:
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(obj)}\n\n"


class SseRewriter(Framing):
    """Incremental SSE scanning for one response body."""

    def __init__(
        self,
        new_holdback: Callable[[], Holdback],
        whole: WholeScan,
        error: ErrorOf,
        max_event: int,
        mirror: Callable[[], Holdback] | None = None,
    ) -> None:
        super().__init__(new_holdback, whole, error, mirror)
        self._max_event = max_event
        self._buffer = b""
        self._started = False  # past a leading BOM
        self._big: BigEvent | None = None  # an event too large to hold, streaming

    # -- public ------------------------------------------------------------

    def feed(self, chunk: bytes) -> Out:
        if self.blocked:
            return Out(b"", True)
        if self._raw is not None:
            return self._raw.feed(chunk)
        self._buffer += chunk
        out: list[str] = []
        if not self._started:
            if len(self._buffer) < len(_BOM) and _BOM.startswith(self._buffer):
                return Out(b"")
            self._started = True
            if self._buffer.startswith(_BOM):
                out.append(to_text(_BOM))
                self._buffer = self._buffer[len(_BOM) :]
        self._drain(out)
        return self._result(out)

    def finish(self) -> Out:
        if self.blocked:
            return Out(b"", True)
        if self._raw is not None:
            return self._raw.feed(b"", final=True)
        out: list[str] = []
        self._started = True
        self._drain(out)
        if self.blocked:
            return self._result(out)
        if self._raw is not None:
            last = self._raw.feed(b"", final=True)
            return Out(to_bytes("".join(out)) + last.data, last.blocked)
        if self._big is not None:
            out.append(self._big_feed(self._buffer, final=True))
        elif self._buffer.strip():
            # An unterminated last event: treat it as complete.
            raw = to_text(self._buffer)
            suffix = "" if raw.endswith(("\n", "\r")) else "\n"
            out.append(self._event(raw + suffix + "\n"))
        else:
            out.append(to_text(self._buffer))
        self._buffer = b""
        if not self.blocked:
            out.append(self._flush(lambda _f: True))
        return self._result(out)

    def _drain(self, out: list[str]) -> None:
        """Every complete event in the buffer (or the big one, as far as it came)."""
        while not self.blocked and self._buffer and self._raw is None:
            if self._big is not None:
                piece, self._buffer = self._buffer, b""
                try:
                    out.append(self._big_feed(piece))
                except NotSse as not_sse:
                    out.append(self._to_raw(not_sse.rest))
                continue
            m = _EVENT_END.search(self._buffer)
            if m is not None and m.end() == len(self._buffer) and self._buffer.endswith(b"\r"):
                m = None  # "\r" may be the first half of "\r\n": wait
            if m is None:
                if len(self._buffer) > self._max_event:
                    if _SSE_LINE.match(self._buffer):
                        self._big = BigEvent(self._fields)
                    else:
                        out.append(self._to_raw(self._buffer))
                    continue
                break
            raw = to_text(self._buffer[: m.end()])
            self._buffer = self._buffer[m.end() :]
            out.append(self._event(raw))

    def stop(self) -> str:
        """End the stream: the error event, in the shape of this stream's provider."""
        self._fields.end()
        return error_text(*self._error(self._fields.dialect))

    # -- events ------------------------------------------------------------

    def _event(self, raw: str) -> str:
        event = _parse_event(raw)
        if event.data.strip() == DONE:
            return self._flush(lambda _f: True) + raw
        try:
            obj = json.loads(event.data) if event.data else None
        except ValueError:
            obj = None
        if obj is None:
            if not event.data:
                return raw  # comments, keep-alives, retry lines
            return self._text_event(event, raw)
        scanned = self._fields.event(obj, event.name)
        if self.blocked:
            return self.stop()
        prefix = self._rendered(scanned.before)
        if not scanned.changed:
            return prefix + raw
        return prefix + _render(event, _dumps(scanned.root))

    def _text_event(self, event: _Event, raw: str) -> str:
        f = self._fields.text_field(event.name, event, _TEXT)
        released = self._fields.feed_text(f, event.data)
        if released is None:
            return self.stop()
        if released.text == event.data:
            return raw
        return _render(event, released.text)

    def _big_feed(self, piece: bytes, final: bool = False) -> str:
        """Part of an event too large to hold: streamed through as it comes."""
        assert self._big is not None
        text, rest = self._big.feed(piece, final)
        if self.blocked:
            return self.stop()
        if rest is None:
            return text
        # The event ended: what follows is read as usual.
        ended, self._big = self._big.ended_fields, None
        self._buffer = rest + self._buffer
        return text + self._rendered(ended)

    def _flush(self, which: Callable[[Field], bool]) -> str:
        flushed = self._fields.flush(which)
        if self.blocked:
            return self.stop()
        return self._rendered(flushed)

    @staticmethod
    def _rendered(flushed: Flushed) -> str:
        return "".join(_synthetic(f, text) for f, text in flushed)

    def _to_raw(self, rest: bytes) -> str:
        """Not SSE after all: the rest of the body is one text stream."""
        self._big, self._buffer = None, b""
        self._raw = TextRest(self._new_holdback(), self.stop)
        return to_text(self._raw.feed(rest).data)

    # -- output ------------------------------------------------------------

    def _result(self, out: list[str]) -> Out:
        return Out(to_bytes("".join(out)), self.blocked)
