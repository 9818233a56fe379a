"""Server-sent events, scanned as they flow.

Each event is parsed as it completes; a JSON event's strings feed the
answer's text streams (``rewrite.fields``: one per generated field, with its
own hold-back; identity values scanned whole). An event whose text was
changed is re-encoded as valid JSON; others leave byte for byte. What a
stream still holds when the model ends (``[DONE]``, Anthropic's
``content_block_stop``/``message_stop``, or the end of the body) is sent in
one more event shaped like the last event of that field, just before the end
marker. Data that is not JSON is one text stream per event name. A body that
does not look like SSE at all is scanned as raw text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from extproc.rewrite.fields import Field, FieldStreams, Flushed, WholeScan, synthetic
from extproc.rewrite.holdback import Holdback
from extproc.rewrite.text import to_bytes, to_text

_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")
_LINE = re.compile(r"\r\n|\r|\n")
_TEXT = ("<text>",)  # the field path of an event's non-JSON data
DONE = "[DONE]"


@dataclass(frozen=True, slots=True)
class Out:
    data: bytes
    blocked: bool = False


@dataclass(slots=True)
class _Event:
    name: str | None
    data: str
    other_lines: list[str] = field(default_factory=list)
    newline: str = "\n"


def _parse_event(raw: str) -> _Event:
    lines = _LINE.split(raw)
    newline = "\r\n" if "\r\n" in raw else "\n"
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


def _synthetic(f: Field, text: str) -> str:
    """One more event shaped like the field's last one, carrying ``text``."""
    if f.path == _TEXT:
        event: _Event = f.template
        return _render(event, text)
    head = f"event: {f.event_name}\n" if f.event_name else ""
    return head + "data: " + json.dumps(synthetic(f, text), ensure_ascii=False) + "\n\n"


class SseRewriter:
    """Incremental SSE scanning for one response body."""

    def __init__(
        self,
        new_holdback: Callable[[], Holdback],
        whole: WholeScan,
        error_event: Callable[[bool], str],
        max_event: int,
    ) -> None:
        self._new_holdback = new_holdback
        self._fields = FieldStreams(new_holdback, whole)
        self._error_event = error_event  # (anthropic_style) -> full event text
        self._max_event = max_event
        self._buffer = b""
        self._raw: Holdback | None = None  # fallback: not SSE
        self._anthropic = False

    @property
    def blocked(self) -> bool:
        return self._fields.blocked

    # -- public ------------------------------------------------------------

    def feed(self, chunk: bytes) -> Out:
        if self.blocked:
            return Out(b"", True)
        if self._raw is not None:
            return self._feed_raw(chunk)
        self._buffer += chunk
        out: list[str] = []
        while not self.blocked:
            m = _EVENT_END.search(self._buffer)
            if m is None:
                break
            raw = to_text(self._buffer[: m.end()])
            self._buffer = self._buffer[m.end() :]
            out.append(self._event(raw))
        if not self.blocked and len(self._buffer) > self._max_event:
            # No event boundary in sight: not SSE as we know it; scan as text.
            self._raw = self._new_holdback()
            pending, self._buffer = self._buffer, b""
            rest = self._feed_raw(pending)
            return Out(to_bytes("".join(out)) + rest.data, rest.blocked)
        return self._result(out)

    def finish(self) -> Out:
        if self.blocked:
            return Out(b"", True)
        if self._raw is not None:
            released = self._raw.finish()
            return self._raw_out(released.text, released.blocked)
        out: list[str] = []
        if self._buffer.strip():
            # An unterminated last event: treat it as complete.
            raw = to_text(self._buffer)
            self._buffer = b""
            suffix = "" if raw.endswith("\n") else "\n"
            out.append(self._event(raw + suffix + "\n"))
        if not self.blocked:
            out.append(self._flush(lambda _key: True))
        return self._result(out)

    def stop(self) -> str:
        """End the stream: the error event, in the shape of this stream's provider."""
        self._fields.end()
        return self._error_event(self._anthropic)

    # -- events ------------------------------------------------------------

    def _event(self, raw: str) -> str:
        event = _parse_event(raw)
        if event.name is not None:
            self._anthropic = True
        if event.data.strip() == DONE:
            return self._flush(lambda _key: True) + raw
        try:
            obj = json.loads(event.data) if event.data else None
        except ValueError:
            obj = None
        if not isinstance(obj, dict):
            if not event.data:
                return raw  # comments, keep-alives, retry lines
            return self._text_event(event, raw)
        flushed, changed = self._fields.event(obj, event.name)
        if self.blocked:
            return self.stop()
        prefix = self._rendered(flushed)
        if not changed:
            return prefix + raw
        return prefix + _render(event, json.dumps(obj, ensure_ascii=False))

    def _text_event(self, event: _Event, raw: str) -> str:
        f = self._fields.field((_TEXT, event.name), event, _TEXT, event.name)
        released = f.holdback.feed(event.data)
        if released.blocked:
            return self.stop()
        if released.text == event.data:
            return raw
        return _render(event, released.text)

    def _flush(self, which: Callable[[tuple[object, object]], bool]) -> str:
        flushed = self._fields.flush(which)
        if self.blocked:
            return self.stop()
        return self._rendered(flushed)

    @staticmethod
    def _rendered(flushed: Flushed) -> str:
        return "".join(_synthetic(f, text) for f, text in flushed)

    # -- output ------------------------------------------------------------

    def _result(self, out: list[str]) -> Out:
        return Out(to_bytes("".join(out)), self.blocked)

    def _feed_raw(self, chunk: bytes) -> Out:
        assert self._raw is not None
        released = self._raw.feed(to_text(chunk))
        return self._raw_out(released.text, released.blocked)

    def _raw_out(self, text: str, blocked: bool) -> Out:
        if blocked:
            self._fields.end()
            return Out(to_bytes(self._error_event(False)), True)
        return Out(to_bytes(text))
