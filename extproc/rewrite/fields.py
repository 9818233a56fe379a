"""The text streams inside a streamed answer's JSON events.

In a JSON event every string value is looked at: the text that a model
streams piece by piece (any field under a ``delta`` object, as in OpenAI's
``choices[i].delta.content`` and ``...tool_calls[j].function.arguments`` and
Anthropic's ``delta.text`` or ``delta.partial_json``, fields never seen
before included) is one text stream per field path, with its own hold-back,
so a value split over many events is found and never leaves in part. Other
strings (ids, names, roles, whole values) are scanned on their own, within
the event. What a field still holds when it ends (its choice finishes, its
content block or the message stops) is released in one more event shaped
like the field's last one.

This is the part shared by every framing of JSON events; ``rewrite.sse``
(and the formats to come) cut bytes into events and render them back.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from extproc.rewrite.holdback import Holdback

# Keys under a delta that carry identity, not generated text: scanned whole.
IDENTITY_KEYS = frozenset(
    {"id", "type", "role", "name", "index", "object", "model", "finish_reason", "stop_reason"}
)

Path = tuple[str | int, ...]
# (field path with list items named by their index, group: Anthropic's content
# block index, whose stop ends the block's fields)
Key = tuple[Path, object]
WholeScan = Callable[[str], tuple[str, bool]]  # value -> (rewritten, blocked)


@dataclass(slots=True)
class Field:
    holdback: Holdback
    template: Any  # the last event carrying this field (a framing's own, for text)
    path: Path
    event_name: str | None


Flushed = list[tuple[Field, str]]  # fields that ended, with the text they still held


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


def synthetic(field: Field, text: str) -> dict[str, Any]:
    """A copy of the field's last event carrying only ``text`` in its place."""
    obj = copy.deepcopy(field.template)
    for path, _, _ in list(_strings(obj)):
        if _is_stream_path(path) and path != field.path:
            _set(obj, path, "")  # other fields already sent their text
    _set(obj, field.path, text)
    result: dict[str, Any] = obj
    return result


class FieldStreams:
    """The text streams of one answer. After ``blocked`` nothing more leaves."""

    def __init__(self, new_holdback: Callable[[], Holdback], whole: WholeScan) -> None:
        self._new_holdback = new_holdback
        self._whole = whole
        self._fields: dict[Key, Field] = {}
        self.blocked = False

    def field(self, key: Key, template: Any, path: Path, name: str | None) -> Field:
        """The stream of ``key`` (created on first use), its template updated."""
        f = self._fields.get(key)
        if f is None:
            f = self._fields[key] = Field(self._new_holdback(), template, path, name)
        f.template = template
        return f

    def event(self, obj: dict[str, Any], name: str | None) -> tuple[Flushed, bool]:
        """Scan one JSON event in place (``obj`` is rewritten). Returns the
        fields that end before or with it, and whether ``obj`` changed."""
        flushed: Flushed = []
        kind = obj.get("type")
        if kind == "content_block_stop":
            group = obj.get("index")
            flushed = self.flush(lambda key: key[1] == group)
        elif kind == "message_stop":
            flushed = self.flush(lambda _key: True)
        if self.blocked:
            return [], False
        finishing = _finishing_choices(obj)
        changed = self._scan(obj, name, finishing)
        if finishing and not self.blocked:
            # Text still held for a choice that ends here goes out before its end.
            flushed += self.flush(lambda key: _in_choices(key[0], finishing))
        return flushed, changed

    def _scan(self, obj: dict[str, Any], name: str | None, finishing: set[str]) -> bool:
        changed = False
        group = obj.get("index") if isinstance(obj.get("index"), int) else None
        for path, logical, value in list(_strings(obj)):
            if _is_stream_path(path):
                key = (logical, group)
                f = self.field(key, obj, path, name)
                f.path = path
                released = f.holdback.feed(value)
                new = released.text
                if not released.blocked and _in_choices(logical, finishing):
                    rest = f.holdback.finish()  # this choice ends in this event
                    released = rest if rest.blocked else released
                    new += rest.text
                    del self._fields[key]
                if released.blocked:
                    self.end()
                    return False
            else:
                new, blocked = self._whole(value)
                if blocked:
                    self.end()
                    return False
            if new != value:
                _set(obj, path, new)
                changed = True
        return changed

    def flush(self, which: Callable[[Key], bool]) -> Flushed:
        """End the fields ``which`` selects: what they still held, in order."""
        out: Flushed = []
        for key in [k for k in self._fields if which(k)]:
            f = self._fields.pop(key)
            released = f.holdback.finish()
            if released.blocked:
                self.end()
                return []
            if released.text:
                out.append((f, released.text))
        return out

    def end(self) -> None:
        """Blocked: nothing more leaves."""
        self.blocked = True
        self._fields.clear()
