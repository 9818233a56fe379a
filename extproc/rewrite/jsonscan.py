"""One JSON value rewritten as it arrives, never held whole.

A push parser over text: structure, numbers and literals pass through as
they are read; each string value is decoded as it arrives and fed to the
``Sink`` its path opens (a text stream that may hold back a tail), and what
the sink releases is written back JSON-escaped, or as the original bytes
where it is unchanged (so untouched answers leave byte for byte). A string
whose path opens no sink (media) is copied without being decoded. Memory is
bounded by the sinks' hold-back, not by the size of the value or of any
string in it: a 1 GiB answer streams through.
"""

from __future__ import annotations

import json
import re

from extproc.rewrite.jsonsink import Frame, NotJson, Opener, Path, Pending, Sink, escape

_SPACE = re.compile(r"[ \t\r\n\x1e]*")
_PLAIN = re.compile(r'[^"\\]+')
_ESCAPE = re.compile(r'\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4})')
_SCALAR = re.compile(r"[^\s,\]}\[{:\"]*")
_SCALAR_OK = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")
_KEY_NAME = 256  # characters of a key kept to name paths
_SMALL = 128  # scalar strings kept in ``Frame.scalars`` (kinds, ids)


class JsonRewriter:
    """Rewrites one JSON value. ``feed`` returns what may leave now; once the
    value is complete, ``done`` is set and ``rest`` holds the text after it.
    Raises ``NotJson`` where the text stops being JSON (``rest`` from there)."""

    def __init__(self, opener: Opener) -> None:
        self._open = opener
        self.stack: list[Frame] = []
        self.root: Frame | None = None  # the outermost object or array (its scalars)
        self.done = False
        self.blocked = False
        self.rest = ""
        self._carry = ""  # an escape, literal or number cut by the chunk's end
        self._sink: Sink | None = None
        self._in_string = False
        self._is_key = False
        self._raw_string = False  # copied as is (no sink)
        self._key_parts: list[str] = []
        self._pending = Pending()
        self._small: list[str] | None = None  # a short string value, kept for scalars
        self._started = False

    # -- public ------------------------------------------------------------

    def feed(self, text: str) -> str:
        if self.done or self.blocked:
            self.rest += text
            return ""
        text = self._carry + text
        self._carry = ""
        out: list[str] = []
        self._run(text, out, final=False)
        return "".join(out)

    def finish(self) -> str:
        """The end of the input: a number at the top level ends here."""
        if self.done or self.blocked:
            return ""
        out: list[str] = []
        text, self._carry = self._carry, ""
        self._run(text, out, final=True)
        if not self.done:
            self.rest = ""
            raise NotJson("the JSON value ended early")
        return "".join(out)

    @property
    def depth(self) -> int:
        return len(self.stack)

    # -- the machine -------------------------------------------------------

    def _run(self, text: str, out: list[str], final: bool) -> None:
        i, n = 0, len(text)
        while i < n and not self.done and not self.blocked:
            if self._in_string:
                i = self._string(text, i, out, final)
                continue
            space = _SPACE.match(text, i)
            if space is not None and space.end() > i:
                out.append(space.group())
                i = space.end()
                continue
            c = text[i]
            top = self.stack[-1] if self.stack else None
            state = top.state if top else ("value" if not self._started else "end")
            if state == "end":
                break
            if c == '"':
                if state == "key":
                    self._start_key()
                elif state == "value":
                    self._start_value_string(top)
                else:
                    raise self._bad(text, i)
                out.append(c)
                i += 1
            elif c in "{[":
                if state != "value":
                    raise self._bad(text, i)
                self._push(c, top)
                out.append(c)
                i += 1
            elif c in "}]":
                if top is None or c != ("}" if top.kind == "{" else "]"):
                    raise self._bad(text, i)
                if top.state != "comma" and not (top.state in ("key", "value") and not top.count):
                    raise self._bad(text, i)
                self.stack.pop()
                out.append(c)
                i += 1
                self._value_done()
            elif c == ":":
                if top is None or top.state != "colon":
                    raise self._bad(text, i)
                top.state = "value"
                out.append(c)
                i += 1
            elif c == ",":
                if top is None or top.state != "comma":
                    raise self._bad(text, i)
                top.state = "key" if top.kind == "{" else "value"
                top.key = "" if top.kind == "{" else top.key
                out.append(c)
                i += 1
            else:
                if state != "value":
                    raise self._bad(text, i)
                scalar = _SCALAR.match(text, i)
                end = scalar.end() if scalar is not None else i
                if end == n and not final:
                    self._carry = text[i:]  # the literal may go on
                    return
                word = text[i:end]
                if not _SCALAR_OK.fullmatch(word):
                    raise self._bad(text, i)
                self._scalar(top, word)
                out.append(word)
                i = end
                self._value_done()
        if self.done:
            self.rest += text[i:]

    def _bad(self, text: str, i: int) -> NotJson:
        self.rest = text[i:]
        return NotJson(f"not JSON at {i}")

    def _push(self, kind: str, parent: Frame | None) -> None:
        self._started = True
        path, logical = self._child(parent)
        frame = Frame(kind, path, logical, "key" if kind == "{" else "value")
        if parent is None:
            self.root = frame
        self.stack.append(frame)

    def _child(self, parent: Frame | None) -> tuple[Path, Path]:
        if parent is None:
            return (), ()
        if parent.kind == "{":
            return (*parent.path, parent.key), (*parent.logical, parent.key)
        return (*parent.path, parent.count), (*parent.logical, parent.count)

    def _value_done(self) -> None:
        if not self.stack:
            self.done = True
            return
        top = self.stack[-1]
        top.count += 1
        top.state = "comma"

    def _scalar(self, top: Frame | None, word: str) -> None:
        self._started = True
        if top is not None and top.kind == "{":
            value: object = word
            if word.lstrip("-").isdigit():
                value = int(word)
            elif word in ("true", "false"):
                value = word == "true"
            elif word == "null":
                value = None
            top.scalars[top.key] = value

    # -- strings -----------------------------------------------------------

    def _start_key(self) -> None:
        self._in_string, self._is_key, self._raw_string = True, True, False
        self._key_parts = []

    def _start_value_string(self, top: Frame | None) -> None:
        self._started = True
        path, logical = self._child(top)
        self._in_string, self._is_key = True, False
        self._sink = self._open(path, logical, self.stack)
        self._raw_string = self._sink is None
        self._small = [] if top is not None and top.kind == "{" else None

    def _string(self, text: str, i: int, out: list[str], final: bool) -> int:
        n = len(text)
        decoded: list[str] = []
        while i < n:
            c = text[i]
            if c == '"':
                self._feed_sink(decoded, out)
                self._end_string(out)
                out.append('"')
                return i + 1
            if c == "\\":
                m = _ESCAPE.match(text, i)
                if m is None:
                    if n - i < 6 and not final:
                        self._carry = text[i:]  # an escape cut by the chunk's end
                        self._feed_sink(decoded, out)
                        return n
                    raise self._bad(text, i)
                raw = m.group()
                self._piece(json.loads(f'"{raw}"'), raw, decoded, out)
                i = m.end()
                continue
            m = _PLAIN.match(text, i)
            assert m is not None
            run = m.group()
            self._piece(run, run, decoded, out)
            i = m.end()
        self._feed_sink(decoded, out)
        return i

    def _piece(self, dec: str, raw: str, decoded: list[str], out: list[str]) -> None:
        if self._is_key:
            if sum(map(len, self._key_parts)) < _KEY_NAME:
                self._key_parts.append(dec)
            out.append(raw)
        elif self._raw_string:
            out.append(raw)
        else:
            self._pending.add(dec, raw)
            decoded.append(dec)
        if self._small is not None:
            self._small.append(dec)
            if sum(map(len, self._small)) > _SMALL:
                self._small = None

    def _feed_sink(self, decoded: list[str], out: list[str]) -> None:
        if self._sink is None or not decoded:
            return
        result = self._sink.feed("".join(decoded))
        decoded.clear()
        self._emit(result, out)

    def _emit(self, result: tuple[str, int] | None, out: list[str]) -> None:
        if result is None:
            self.blocked = True
            return
        text, source = result
        original, raw = self._pending.take(source)
        out.append(raw if text == original else escape(text))

    def _end_string(self, out: list[str]) -> None:
        self._in_string = False
        top = self.stack[-1] if self.stack else None
        if self._is_key:
            assert top is not None
            top.key = "".join(self._key_parts)
            top.state = "colon"
            return
        if self._sink is not None:
            self._emit(self._sink.end(), out)
            self._sink = None
        if self._small is not None and top is not None:
            top.scalars[top.key] = "".join(self._small)
        self._small = None
        self._value_done()
