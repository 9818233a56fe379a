"""JSON answers that are not SSE, rewritten as they arrive.

Three shapes, told apart by the body itself:

* a sequence of JSON values (NDJSON: Ollama, Cohere v1, ``application/x-ndjson``,
  ``application/stream+json``, JSON text sequences): each value is one event;
* a JSON array whose elements are events (Gemini's ``streamGenerateContent``
  without ``alt=sse``), when the caller says the answer is a stream;
* one JSON document (an answer too large, or of unknown length, to hold): its
  strings go through one text stream, each ending with its string, media
  copied as is.

Events feed the answer's text streams (``rewrite.fields``) like SSE events; an
event up to ``max_event`` is parsed whole, a larger one streams through
``rewrite.bigjson``. What a field still holds when its stream ends leaves in
one more value (a line, an array element) shaped like its last event.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from typing import Any

from extproc.rewrite.bigjson import BigValue
from extproc.rewrite.fields import WholeScan
from extproc.rewrite.framing import ErrorOf, Framing, Out, TextRest
from extproc.rewrite.holdback import Holdback
from extproc.rewrite.jsondoc import DocumentSinks, copy_strings
from extproc.rewrite.jsonscan import JsonRewriter
from extproc.rewrite.jsonsink import NotJson
from extproc.rewrite.text import to_bytes, to_text
from extproc.rewrite.textfield import Field, Flushed, synthetic

_SEPARATORS = " \t\r\n\x1e"  # whitespace and RS (JSON text sequences)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class JsonStreamRewriter(Framing):
    """Incremental scanning of a JSON answer that is not SSE."""

    def __init__(
        self,
        new_holdback: Callable[[], Holdback],
        whole: WholeScan,
        error: ErrorOf,
        max_event: int,
        mirror: Callable[[], Holdback] | None = None,
        *,
        array_events: bool = False,
        sequence: bool = False,
    ) -> None:
        super().__init__(new_holdback, whole, error, mirror)
        self._max_event = max_event
        self._array_events = array_events  # a top-level array's elements are events
        self._sequence = sequence  # several top-level values (NDJSON) are expected
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self._text = ""  # decoded, not yet consumed
        self._in_array = False  # inside the top-level array of events
        self._closed = False  # that array ended
        self._events = 0  # events sent (array elements need commas between)
        self._capture: JsonRewriter | None = None  # an event being read
        self._captured: list[str] = []
        self._captured_size = 0
        self._big: BigValue | None = None
        self._document: JsonRewriter | None = None
        self._last = ""  # the last character sent (a line needs a newline before it)
        self._said = False  # the error was said
        self._comma = False  # a comma between array elements left last: no other needed

    # -- public ------------------------------------------------------------

    def feed(self, chunk: bytes) -> Out:
        if self.blocked:
            return Out(b"", True)
        text = self._decoder.decode(chunk)
        return self._result(self._consume(text, final=False))

    def finish(self) -> Out:
        if self.blocked:
            return Out(b"", True)
        out = self._consume(self._decoder.decode(b"", final=True), final=True)
        if self.blocked:
            return self._result(out)
        out.append(self._end_all(out))
        return self._result(out)

    def stop(self) -> str:
        """End the answer with the error, in the shape of its provider."""
        self._fields.end()
        if self._said:
            return ""
        self._said = True
        _, obj = self._error(self._fields.dialect)
        if self._in_array and not self._closed:
            self._closed = True
            return self._comma_before() + _dumps(obj) + "]"
        return self._lead([]) + _dumps(obj) + "\n"

    # -- the body ----------------------------------------------------------

    def _consume(self, text: str, final: bool) -> list[str]:
        out: list[str] = []
        if self._raw is not None:
            self._raw_feed(text, final, out)
            return out
        self._text += text
        try:
            self._values(out, final)
        except NotJson as bad:
            out.append(self._to_raw(bad))
            if final and self._raw is not None:
                self._raw_feed("", True, out)
        if self.blocked and not self._said:
            self._last = "".join(out)[-1:] or self._last
            out.append(self.stop())
        return out

    def _values(self, out: list[str], final: bool) -> None:
        while not self.blocked:
            if self._document is not None:
                piece, self._text = self._text, ""
                out.append(self._document.feed(piece))
                if final and not self._document.done:
                    out.append(self._document.finish())
                if not self._document.done:
                    return
                self._text, self._document = self._document.rest, None
                self._sequence = True  # another value after a document: a sequence
                continue
            if self._capture is not None or self._big is not None:
                if not self._event_part(out, final):
                    return
                continue
            i = 0
            while i < len(self._text) and self._text[i] in _SEPARATORS + (
                "," if self._in_array else ""
            ):
                i += 1
            out.append(self._text[:i])
            if "," in self._text[:i]:
                self._comma = True
            self._text = self._text[i:]
            if not self._text:
                return
            c = self._text[0]
            if self._in_array and c == "]":
                out.append(self._end_all(out))
                self._in_array, self._closed = False, True
                out.append("]")
                self._text = self._text[1:]
                continue
            if c == "[" and self._array_events and not self._in_array and not self._events:
                self._in_array = True
                out.append("[")
                self._text = self._text[1:]
                continue
            if self._in_array or self._sequence:
                self._capture = JsonRewriter(copy_strings)
                self._captured, self._captured_size = [], 0
                continue
            self._document = JsonRewriter(DocumentSinks(self._new_holdback(), self._fields.end))

    def _event_part(self, out: list[str], final: bool) -> bool:
        """Feed the event being read; True once it is complete."""
        piece, self._text = self._text, ""
        if self._big is not None:
            out.append(self._big.feed(piece))
            if final and not self._big.json.done:
                out.append(self._big.json.finish())
            if not self._big.json.done:
                return False
            self._text = self._big.json.rest + self._text
            out.append(self._rendered(self._big.ended(), out))
            self._big = None
            self._events += 1
            return True
        assert self._capture is not None
        self._captured.append(self._capture.feed(piece))
        self._captured_size += len(piece)
        if final and not self._capture.done:
            self._captured.append(self._capture.finish())
        if not self._capture.done:
            if self._captured_size > self._max_event:
                self._big = BigValue(self._fields)
                self._capture = None
                self._comma = False
                out.append(self._big.feed("".join(self._captured)))
                self._captured = []
                return self._big.json.done and self._event_part(out, final)
            return False
        raw = "".join(self._captured)
        self._text = self._capture.rest + self._text
        self._capture, self._captured = None, []
        out.append(self._event(raw))
        return True

    def _event(self, raw: str) -> str:
        try:
            obj = json.loads(raw)
        except ValueError:  # structurally complete, yet not JSON (a bad escape)
            raise NotJson("not JSON") from None
        scanned = self._fields.event(obj, None)
        if self.blocked:
            return ""
        head = self._rendered(scanned.before)
        body = _dumps(scanned.root) if scanned.changed else raw
        self._events += 1
        self._comma = False
        return head + body

    def _lead(self, out: list[str]) -> str:
        """A newline, unless what was sent last ends one."""
        for piece in reversed(out):
            if piece:
                return "" if piece.endswith("\n") else "\n"
        return "" if self._last in ("", "\n") else "\n"

    def _rendered(self, flushed: Flushed, after: list[str] | None = None) -> str:
        """Ended fields' last text, as values before the current one (or after
        what ``after`` holds)."""
        if not flushed:
            return ""
        values = [_dumps(synthetic(f, text)) for f, text in flushed]
        self._events += len(values)
        if self._in_array:
            if after is not None:
                return "".join("," + v for v in values)
            return "".join(v + "," for v in values)
        if after is not None:
            return self._lead(after) + "\n".join(values) + "\n"
        return "".join(v + "\n" for v in values)

    def _end_all(self, out: list[str]) -> str:
        """Every field's last text, after everything else."""
        flushed = self._fields.flush(lambda _f: True)
        if self.blocked or not flushed:
            return ""
        values = [_dumps(synthetic(f, text)) for f, text in flushed]
        if self._in_array:
            text = self._comma_before() + ",".join(values)
        else:
            text = self._lead(out) + "\n".join(values) + "\n"
        self._events += len(values)
        return text

    def _comma_before(self) -> str:
        """What goes before one more array element."""
        return "," if self._events and not self._comma else ""

    # -- not JSON ----------------------------------------------------------

    def _to_raw(self, bad: NotJson) -> str:
        """The rest of the body is one text stream."""
        rest = ""
        for part in (self._document, self._capture, self._big.json if self._big else None):
            if part is not None:
                rest = part.rest
        captured = "".join(self._captured) if self._capture is not None else ""
        self._document = self._capture = self._big = None
        self._raw = TextRest(self._new_holdback(), self.stop)
        out: list[str] = []
        self._raw_feed(captured + rest + self._text, False, out)
        self._text = ""
        return "".join(out)

    def _raw_feed(self, text: str, final: bool, out: list[str]) -> None:
        assert self._raw is not None
        out.append(to_text(self._raw.feed(text, final).data))

    def _result(self, out: list[str]) -> Out:
        text = "".join(out)
        self._last = text[-1:] or self._last
        return Out(to_bytes(text), self.blocked)


__all__ = ["Field", "JsonStreamRewriter"]
