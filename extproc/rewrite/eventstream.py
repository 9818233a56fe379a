"""AWS event streams (``application/vnd.amazon.eventstream``), frame by frame.

Bedrock's ``ConverseStream`` sends one JSON payload per frame, named by its
``:event-type`` header (``contentBlockDelta``...); ``InvokeModelWithResponseStream``
wraps the model's own events (Anthropic's, Llama's...) as base64 in the
``bytes`` field of ``chunk`` frames. Each frame is decoded (lengths and both
CRCs checked), its JSON fed to the answer's text streams (``rewrite.fields``),
and, if anything changed, encoded again with new lengths and CRCs, so an AWS
SDK parses the redacted stream as it would the original. Unchanged frames
leave byte for byte. A block ends the stream with an ``exception`` frame, as
Bedrock says its own stream errors. A body that is not an event stream is
scanned as text.

The frame layout (public, from AWS's event stream encoding): total length
and headers length (big-endian uint32), a CRC32 of those 8 bytes, the
headers, the payload, a CRC32 of everything before it.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from extproc.rewrite.fields import WholeScan
from extproc.rewrite.framing import ErrorOf, Framing, Out, TextRest
from extproc.rewrite.holdback import Holdback
from extproc.rewrite.textfield import Field, synthetic

_PRELUDE = 12
_MIN_FRAME = 16
MAX_FRAME = 16 * 1024 * 1024  # AWS's own limit on one message
# Event types whose payload wraps the model's own JSON event, base64, in a field.
WRAPPED = {"chunk": "bytes"}
# Header value types with a fixed size (bool true/false carry none).
_FIXED = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
_STRING, _BYTES = 7, 6
ERROR_TYPE = "modelStreamErrorException"

Headers = list[tuple[str, int, bytes]]  # (name, type, raw value)


class BadFrame(ValueError):
    """Not an AWS event stream frame (a length or CRC does not hold)."""


@dataclass(frozen=True, slots=True)
class Frame:
    headers: Headers
    payload: bytes

    def header(self, name: str) -> str | None:
        for key, kind, value in self.headers:
            if key == name and kind == _STRING:
                return value.decode("utf-8", "replace")
        return None


def _crc(data: bytes, start: int = 0) -> int:
    return zlib.crc32(data, start) & 0xFFFFFFFF


def frame_length(buffer: bytes) -> int | None:
    """The length of the frame at the start of ``buffer``, once its prelude is in."""
    if len(buffer) < _PRELUDE:
        return None
    total, headers = struct.unpack_from(">II", buffer)
    (crc,) = struct.unpack_from(">I", buffer, 8)
    if crc != _crc(buffer[:8]) or total < _MIN_FRAME or total > MAX_FRAME:
        raise BadFrame("bad prelude")
    if headers > total - _MIN_FRAME:
        raise BadFrame("bad headers length")
    return int(total)


def decode(data: bytes) -> Frame:
    """One whole frame."""
    total, length = struct.unpack_from(">II", data)
    (crc,) = struct.unpack_from(">I", data, total - 4)
    if total != len(data) or crc != _crc(data[:-4]):
        raise BadFrame("bad message CRC")
    headers: Headers = []
    i, end = _PRELUDE, _PRELUDE + length
    while i < end:
        size = data[i]
        name = data[i + 1 : i + 1 + size].decode("utf-8", "replace")
        i += 1 + size
        kind = data[i]
        i += 1
        if kind in (_STRING, _BYTES):
            (n,) = struct.unpack_from(">H", data, i)
            value = data[i + 2 : i + 2 + n]
            i += 2 + n
        elif kind in _FIXED:
            value = data[i : i + _FIXED[kind]]
            i += _FIXED[kind]
        else:
            raise BadFrame("bad header type")
        headers.append((name, kind, value))
    if i != end:
        raise BadFrame("bad headers")
    return Frame(headers, data[end:-4])


def encode(frame: Frame) -> bytes:
    parts: list[bytes] = []
    for name, kind, value in frame.headers:
        raw = name.encode()
        parts.append(bytes([len(raw)]) + raw + bytes([kind]))
        if kind in (_STRING, _BYTES):
            parts.append(struct.pack(">H", len(value)))
        parts.append(value)
    headers = b"".join(parts)
    total = _PRELUDE + len(headers) + len(frame.payload) + 4
    prelude = struct.pack(">II", total, len(headers))
    head = prelude + struct.pack(">I", _crc(prelude)) + headers + frame.payload
    return head + struct.pack(">I", _crc(head))


def _string(name: str, value: str) -> tuple[str, int, bytes]:
    return (name, _STRING, value.encode())


def event_frame(event_type: str, payload: Any) -> bytes:
    """A JSON ``event`` frame, as Bedrock sends them."""
    headers = [
        _string(":event-type", event_type),
        _string(":content-type", "application/json"),
        _string(":message-type", "event"),
    ]
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return encode(Frame(headers, body))


def exception_frame(message: str, exception_type: str = ERROR_TYPE) -> bytes:
    headers = [
        _string(":exception-type", exception_type),
        _string(":content-type", "application/json"),
        _string(":message-type", "exception"),
    ]
    return encode(Frame(headers, json.dumps({"message": message}).encode()))


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class EventStreamRewriter(Framing):
    """Incremental scanning of an AWS event stream."""

    def __init__(
        self,
        new_holdback: Callable[[], Holdback],
        whole: WholeScan,
        error: ErrorOf,
        mirror: Callable[[], Holdback] | None = None,
    ) -> None:
        super().__init__(new_holdback, whole, error, mirror)
        self._buffer = b""

    def feed(self, chunk: bytes) -> Out:
        if self.blocked:
            return Out(b"", True)
        if self._raw is not None:
            return self._raw.feed(chunk)
        self._buffer += chunk
        out: list[bytes] = []
        while not self.blocked:
            try:
                length = frame_length(self._buffer)
                if length is None or len(self._buffer) < length:
                    break
                data, self._buffer = self._buffer[:length], self._buffer[length:]
                out.append(self._frame(data))
            except BadFrame:
                return self._to_raw(out)
        return Out(b"".join(out), self.blocked)

    def finish(self) -> Out:
        if self.blocked:
            return Out(b"", True)
        if self._raw is None and self._buffer:
            return self._to_raw([], final=True)  # a frame cut short
        if self._raw is not None:
            return self._raw.feed(b"", final=True)
        flushed = self._fields.flush(lambda _f: True)
        if self.blocked:
            return Out(self.stop(), True)
        return Out(b"".join(self._synthetic(f, text) for f, text in flushed))

    def stop(self) -> bytes:
        self._fields.end()
        _, obj = self._error("bedrock")
        error = obj.get("error") if isinstance(obj, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        return exception_frame(str(message or "blocked"))

    # -- frames ------------------------------------------------------------

    def _frame(self, data: bytes) -> bytes:
        frame = decode(data)
        if frame.header(":message-type") not in (None, "event"):
            return data  # the upstream's own exception
        name = frame.header(":event-type")
        try:
            payload = json.loads(frame.payload) if frame.payload else None
        except ValueError:
            return data  # not JSON: passed (binary payloads are not text)
        wrapped = WRAPPED.get(name or "")
        inner: Any = payload
        if wrapped and isinstance(payload, dict) and isinstance(payload.get(wrapped), str):
            try:
                inner = json.loads(base64.b64decode(payload[wrapped], validate=True))
            except (binascii.Error, ValueError):
                inner = payload
                wrapped = None
        else:
            wrapped = None
        if inner is None:
            return data
        scanned = self._fields.event(inner, name)
        if self.blocked:
            return self.stop()
        head = b"".join(self._synthetic(f, text) for f, text in scanned.before)
        if not scanned.changed:
            return head + data
        if wrapped and isinstance(payload, dict):
            payload[wrapped] = base64.b64encode(_dumps(scanned.root)).decode()
            body = _dumps(payload)
        else:
            body = _dumps(scanned.root)
        return head + encode(Frame(frame.headers, body))

    def _synthetic(self, f: Field, text: str) -> bytes:
        name = f.event_name or "chunk"
        value = synthetic(f, text)
        wrapped = WRAPPED.get(name)
        if wrapped:
            value = {wrapped: base64.b64encode(_dumps(value)).decode()}
        return event_frame(name, value)

    # -- not an event stream -------------------------------------------------

    def _to_raw(self, out: list[bytes], final: bool = False) -> Out:
        self._raw = TextRest(self._new_holdback(), self.stop)
        rest, self._buffer = self._buffer, b""
        tail = self._raw.feed(rest, final)
        return Out(b"".join(out) + tail.data, tail.blocked)
