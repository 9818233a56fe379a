"""Events too large to hold, streamed field by field as they arrive.

An event over the framing's limit (a huge tool-call argument, a long
``response.completed`` or a base64 image in one event) is not buffered: its
JSON goes through ``rewrite.jsonscan``, each string to the text stream of its
field (``rewrite.fields``: the same key as in a small event, with what the
event said before the string, which is where APIs put ``type`` and
``index``), whole values to a stream of their own that ends with the string,
media copied as is. ``BigValue`` is one such JSON value (NDJSON line, array
element); ``BigEvent`` an SSE event, its ``data:`` lines unwrapped for the
parser and wrapped again around what it releases.
"""

from __future__ import annotations

import codecs
import contextlib
from typing import Any

from extproc.rewrite import apis
from extproc.rewrite.fields import FieldStreams
from extproc.rewrite.holdback import Released
from extproc.rewrite.jsonscan import JsonRewriter
from extproc.rewrite.jsonsink import Frame, HoldbackSink, NotJson, Path, Sink, escape
from extproc.rewrite.leaves import Role, compatible, group_of, kind_of, role_at
from extproc.rewrite.textfield import Flushed


def _pair(released: Released | None) -> tuple[str, int] | None:
    return None if released is None else (released.text, released.source)


class _FieldSink:
    """A piece of a field's stream: it goes on in the next event."""

    def __init__(self, streams: FieldStreams, key: Any, name: str | None, template: Any) -> None:
        self._streams = streams
        self._field = streams.stream(key, name, template)

    def feed(self, text: str) -> tuple[str, int] | None:
        return _pair(self._streams.feed_text(self._field, text))

    def end(self) -> tuple[str, int] | None:
        return ("", 0)


def _labels(logical: Path, frames: list[Frame]) -> tuple[Path, set[int]]:
    """List positions replaced by the items' own ``index`` where they said it."""
    labels = list(logical)
    named: set[int] = set()
    for j in range(1, len(frames)):
        frame, parent = frames[j], frames[j - 1]
        own = frame.scalars.get("index")
        if parent.kind == "[" and frame.kind == "{" and isinstance(own, int):
            labels[len(frame.logical) - 1] = own
            named.add(len(frame.logical) - 1)
    return tuple(labels), named


def skeleton(scalars: dict[str, object], path: Path, labels: Path, named: set[int]) -> Any:
    """An event with the top-level values seen and an empty string at ``path``
    (list items at position 0): the shape of a field's last text."""
    root: dict[str, Any] = {k: v for k, v in scalars.items()}
    node: Any = root
    where: list[str | int] = []
    for i, step in enumerate(path):
        last = i == len(path) - 1
        child: Any = "" if last else ({} if isinstance(path[i + 1], str) else [])
        if isinstance(step, str):
            node[step] = child
            where.append(step)
        else:
            if isinstance(child, dict) and i in named:
                child["index"] = labels[i]
            node.append(child)
            where.append(0)
        node = child
    return root, tuple(where)


class EventSinks:
    """The opener of one event's strings (see ``jsonsink.Opener``)."""

    def __init__(self, streams: FieldStreams, name: str | None) -> None:
        self._streams = streams
        self._name = name

    def __call__(self, path: Path, logical: Path, frames: list[Frame]) -> Sink | None:
        scalars = frames[0].scalars if frames else {}
        kind = kind_of(scalars, self._name)
        role = role_at(path, kind)
        if role is Role.MEDIA:
            return None
        if role is not Role.STREAM:
            return HoldbackSink(self._streams.whole_stream(), self._streams.end)
        labels, named = _labels(logical, frames)
        key = (kind, group_of(scalars), labels)
        snapshot = dict(scalars)
        return _FieldSink(
            self._streams, key, self._name, lambda: skeleton(snapshot, path, labels, named)
        )

    def ended(self, rewriter: JsonRewriter) -> Flushed:
        """After the event: the streams it ends, with what they still held."""
        root = rewriter.root
        scalars = root.scalars if root is not None else {}
        kind = kind_of(scalars, self._name)
        word = apis.last_word(kind) if kind else ""
        ending = word in apis.LIFECYCLE_WORDS and word in apis.ENDING_WORDS
        if not ending and not any(apis.is_final(k, v) for k, v in scalars.items()):
            return []
        group = group_of(scalars)
        return self._streams.flush(lambda f: compatible(f.group, group))


class BigValue:
    """One JSON value (an NDJSON line, an array element) streamed through."""

    def __init__(self, streams: FieldStreams, name: str | None = None) -> None:
        self._sinks = EventSinks(streams, name)
        self.json = JsonRewriter(self._sinks)

    def feed(self, text: str) -> str:
        """Raises ``NotJson``; ``json.done`` once the value is complete."""
        return self.json.feed(text)

    def ended(self) -> Flushed:
        return self._sinks.ended(self.json)


# A line other than ``data:`` longer than this is not SSE as we know it.
LINE_CAP = 4096


class NotSse(ValueError):
    """The body stopped looking like SSE; ``rest`` is what was not consumed."""

    def __init__(self, rest: bytes) -> None:
        super().__init__("not SSE")
        self.rest = rest


class BigEvent:
    """An SSE event too large to hold. ``feed`` returns the text that may
    leave and, once the event's blank line is read, the bytes after it."""

    def __init__(self, streams: FieldStreams) -> None:
        self._streams = streams
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self._line = ""  # the current line's start, until its field name is known
        self._field: str | None = None  # the current line's field name, once known
        self._cr = False  # the last line ended in "\r": a "\n" now is part of it
        self._nl = "\n"
        self._name: str | None = None
        self._value: BigValue | None = None
        self._text: Any = None  # the event name's text stream, when data is not JSON
        self._data_lines = 0
        self._later: list[str] = []  # other lines after data started: sent after it
        self._strip = False
        self.ended_fields: Flushed = []  # streams this event ended, with their last text

    def feed(self, piece: bytes, final: bool = False) -> tuple[str, bytes | None]:
        text = self._decoder.decode(piece, final)
        out: list[str] = []
        i, n = 0, len(text)
        while i < n and not self._streams.blocked:
            c = text[i]
            if self._cr and c == "\n":
                self._cr = False
                i += 1
                continue
            self._cr = False
            if c in "\r\n":
                i += 1
                self._cr = c == "\r"
                if self._field is None and not self._line:
                    out.append(self._close())  # the blank line: the event ends
                    out.append(self._nl)
                    return "".join(out), text[i:].encode("utf-8", "surrogateescape")
                self._end_line(c, out)
                continue
            if self._field == "data":
                j = i
                while j < n and text[j] not in "\r\n":
                    j += 1
                out.append(self._data(text[i:j]))
                i = j
                continue
            self._line += c
            i += 1
            if len(self._line) > LINE_CAP:
                rest = self._line + text[i:]
                raise NotSse(rest.encode("utf-8", "surrogateescape"))
            if self._field is not None:  # another field: kept whole (it is short)
                continue
            if ":" in self._line:
                name, _, value = self._line.partition(":")
                if name == "data":
                    self._field = "data"
                    self._line = ""
                    out.append(self._start_data())
                    self._strip = not value  # the space after "data:" is still to come
                    out.append(self._data(value.removeprefix(" ")))
                else:
                    self._field = name
        if final:
            if self._field is not None or self._line:
                self._end_line("\n", out)
            out.append(self._close())
            return "".join(out), b""
        return "".join(out), None

    # -- lines -------------------------------------------------------------

    def _end_line(self, newline: str, out: list[str]) -> None:
        self._nl = "\n" if newline == "\n" else "\r\n"
        self._strip = False
        line = self._line
        if self._field is not None and self._field != "data":
            if self._field == "event":
                self._name = line.partition(":")[2].strip() or None
            if self._data_lines:
                self._later.append(line)
            else:
                out.append(line + self._nl)
        elif self._field is None and line:
            out.append(line + self._nl)  # a field without a colon
        self._field, self._line = None, ""

    def _start_data(self) -> str:
        self._data_lines += 1
        if self._data_lines == 1:
            return "data: "
        return self._data("\n")

    def _data(self, text: str) -> str:
        if self._strip and text:
            self._strip = False
            text = text.removeprefix(" ")
        if not text:
            return ""
        if self._value is None and self._text is None:
            self._value = BigValue(self._streams, self._name)
        if self._value is not None:
            try:
                return self._wrap(self._value.feed(text))
            except NotJson:
                rest = self._value.json.rest
                self._value = None
                return self._as_text(rest)
        return self._as_text(text)

    def _as_text(self, text: str) -> str:
        if self._text is None:
            self._text = self._streams.text_field(self._name, None, ("<big>",))
        released = self._streams.feed_text(self._text, text)
        return "" if released is None else self._wrap(released.text)

    def _wrap(self, text: str) -> str:
        """Released data: each newline is a new ``data:`` line."""
        return text.replace("\n", self._nl + "data: ")

    def _close(self) -> str:
        out: list[str] = []
        if self._value is not None:
            with contextlib.suppress(NotJson):  # cut short: what it released has left
                out.append(self._wrap(self._value.json.finish()))
            self.ended_fields = self._value.ended()
        if self._text is not None:
            f, self._text = self._text, None
            rest = self._streams.flush(lambda g: g is f)
            out.append(self._wrap("".join(text for _, text in rest)))
        if self._data_lines:
            out.append(self._nl)
        out.extend(line + self._nl for line in self._later)
        return "".join(out)


__all__ = ["BigEvent", "BigValue", "EventSinks", "escape"]
