"""Server-sent events, scanned as they flow.

Each event is parsed as it completes. In a JSON event every string value is
looked at: the text that a model streams piece by piece (any field under a
``delta`` object, as in OpenAI's ``choices[i].delta.content`` and
``...tool_calls[j].function.arguments`` and Anthropic's ``delta.text`` or
``delta.partial_json``, fields never seen before included) is one text
stream per field path, with its own hold-back, so a value split over many
events is found and never leaves in part. Other strings (ids, names, roles,
whole values) are scanned on their own, within the event.

An event whose text was changed is re-encoded as valid JSON; others leave
byte for byte. What a stream still holds when the model ends (``[DONE]``,
Anthropic's ``content_block_stop``/``message_stop``, or the end of the body)
is sent in one more event shaped like the last event of that field, just
before the end marker. Data that is not JSON is one text stream per event
name. A body that does not look like SSE at all is scanned as raw text.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from extproc.rewrite.holdback import Holdback
from extproc.rewrite.text import to_bytes, to_text

# Keys under a delta that carry identity, not generated text: scanned whole.
IDENTITY_KEYS = frozenset(
    {"id", "type", "role", "name", "index", "object", "model", "finish_reason", "stop_reason"}
)
_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")
_LINE = re.compile(r"\r\n|\r|\n")
DONE = "[DONE]"

Path = tuple[str | int, ...]
WholeScan = Callable[[str], tuple[str, bool]]  # value -> (rewritten, blocked)


@dataclass(frozen=True, slots=True)
class Out:
    data: bytes
    blocked: bool = False


@dataclass(slots=True)
class _Field:
    holdback: Holdback
    template: dict[str, Any]  # last event object carrying this field
    path: Path
    event_name: str | None
    group: object  # Anthropic content block index, flushed on its block's stop


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


def _strings(obj: Any, path: Path = (), key: Path = ()) -> Iterator[tuple[Path, Path, str]]:
    """(where, stream key, value) of every string. In the key, a list item that
    says its own ``index`` (OpenAI's ``choices[]``, ``tool_calls[]``) is named
    by it, not by its position: chunk after chunk, choice 1 stays choice 1."""
    if isinstance(obj, dict):
        for k, value in obj.items():
            yield from _strings(value, (*path, k), (*key, k))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            own = value.get("index") if isinstance(value, dict) else None
            label: str | int = f"#{own}" if isinstance(own, int) else i
            yield from _strings(value, (*path, i), (*key, label))
    elif isinstance(obj, str):
        yield path, key, obj


def _set(obj: Any, path: Path, value: str) -> None:
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


def _finishing_choices(obj: dict[str, Any]) -> set[str]:
    """Labels (as in stream keys) of the OpenAI choices that end in this event."""
    choices = obj.get("choices")
    if not isinstance(choices, list):
        return set()
    return {
        f"#{c['index']}"
        for c in choices
        if isinstance(c, dict) and c.get("finish_reason") and isinstance(c.get("index"), int)
    }


def _in_choices(logical: Path, labels: set[str]) -> bool:
    return len(logical) > 1 and logical[0] == "choices" and logical[1] in labels


def _is_stream_path(path: Path) -> bool:
    """Generated text: a string somewhere under a ``delta`` (or a string ``delta``)."""
    if not path or path[-1] in IDENTITY_KEYS:
        return False
    return "delta" in path


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
        self._whole = whole
        self._error_event = error_event  # (anthropic_style) -> full event text
        self._max_event = max_event
        self._buffer = b""
        self._fields: dict[tuple[Path, object], _Field] = {}
        self._raw: Holdback | None = None  # fallback: not SSE
        self._anthropic = False
        self.blocked = False

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
        prefix = ""
        kind = obj.get("type")
        if kind == "content_block_stop":
            group = obj.get("index")
            prefix = self._flush(lambda key: key[1] == group)
        elif kind == "message_stop":
            prefix = self._flush(lambda _key: True)
        finishing = _finishing_choices(obj)
        changed = self._scan_object(event, obj, finishing)
        if finishing and not self.blocked:
            # Text still held for a choice that ends here goes out before its end.
            prefix += self._flush(lambda key: _in_choices(key[0], finishing))
        if self.blocked:
            return self.stop()
        if not changed:
            return prefix + raw
        return prefix + _render(event, json.dumps(obj, ensure_ascii=False))

    def _scan_object(self, event: _Event, obj: dict[str, Any], finishing: set[str]) -> bool:
        changed = False
        group = obj.get("index") if isinstance(obj.get("index"), int) else None
        for path, logical, value in list(_strings(obj)):
            if _is_stream_path(path):
                key = (logical, group)
                f = self._fields.get(key)
                if f is None:
                    f = _Field(self._new_holdback(), obj, path, event.name, group)
                    self._fields[key] = f
                f.path = path
                f.template = obj
                released = f.holdback.feed(value)
                new = released.text
                if not released.blocked and _in_choices(logical, finishing):
                    rest = f.holdback.finish()  # this choice ends in this event
                    released = rest if rest.blocked else released
                    new += rest.text
                    del self._fields[key]
                if released.blocked:
                    self.blocked = True
                    return False
            else:
                new, blocked = self._whole(value)
                if blocked:
                    self.blocked = True
                    return False
            if new != value:
                _set(obj, path, new)
                changed = True
        return changed

    def _text_event(self, event: _Event, raw: str) -> str:
        key: tuple[Path, object] = (("<text>",), event.name)
        f = self._fields.get(key)
        if f is None:
            f = _Field(self._new_holdback(), {}, ("<text>",), event.name, None)
            self._fields[key] = f
        f.template = {"<event>": event}
        released = f.holdback.feed(event.data)
        if released.blocked:
            self.blocked = True
            return self.stop()
        if released.text == event.data:
            return raw
        return _render(event, released.text)

    def _flush(self, which: Callable[[tuple[Path, object]], bool]) -> str:
        out: list[str] = []
        for key in [k for k in self._fields if which(k)]:
            f = self._fields.pop(key)
            released = f.holdback.finish()
            if released.blocked:
                self.blocked = True
                return self.stop()
            if not released.text:
                continue
            out.append(self._synthetic(f, released.text))
        return "".join(out)

    def _synthetic(self, f: _Field, text: str) -> str:
        """One more event shaped like the field's last one, carrying ``text``."""
        if "<event>" in f.template:
            event: _Event = f.template["<event>"]
            return _render(event, text)
        obj = copy.deepcopy(f.template)
        for path, _, _ in list(_strings(obj)):
            if _is_stream_path(path) and path != f.path:
                _set(obj, path, "")  # other fields already sent their text
        _set(obj, f.path, text)
        head = f"event: {f.event_name}\n" if f.event_name else ""
        return head + "data: " + json.dumps(obj, ensure_ascii=False) + "\n\n"

    def stop(self) -> str:
        """End the stream: the error event, in the shape of this stream's provider."""
        self.blocked = True
        self._fields.clear()
        return self._error_event(self._anthropic)

    # -- output ------------------------------------------------------------

    def _result(self, out: list[str]) -> Out:
        return Out(to_bytes("".join(out)), self.blocked)

    def _feed_raw(self, chunk: bytes) -> Out:
        assert self._raw is not None
        released = self._raw.feed(to_text(chunk))
        return self._raw_out(released.text, released.blocked)

    def _raw_out(self, text: str, blocked: bool) -> Out:
        if blocked:
            self.blocked = True
            return Out(to_bytes(self._error_event(False)), True)
        return Out(to_bytes(text))
