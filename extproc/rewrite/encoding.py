"""Content encodings: decode gzip, deflate (and brotli, when the ``brotli``
package is installed) so compressed bodies are scanned like any other, with
the decoded size bounded (a 1 KB gzip bomb must not become 1 GB here)."""

from __future__ import annotations

import zlib
from typing import Any, Protocol

try:  # optional
    import brotli as _brotli  # type: ignore[import-not-found,import-untyped,unused-ignore]
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None

IDENTITY = frozenset({"", "identity"})
_SNIFF = 64 * 1024  # input without output after which "deflate" is taken as zlib


class Undecodable(ValueError):
    """An encoding this server cannot decode, or data that is not what it says."""


class TooLarge(ValueError):
    """Decoding would exceed the size limit."""


class Decoder(Protocol):
    def feed(self, data: bytes) -> bytes: ...

    def finish(self) -> bytes: ...


class _Zlib:
    def __init__(self, wbits: int, limit: int, fallback_raw: bool) -> None:
        self._obj: Any = zlib.decompressobj(wbits)
        self._limit = limit
        self._out = 0
        self._fallback_raw = fallback_raw
        # What was fed before the first output: replayed if the data turns
        # out to be raw deflate (a zlib header may span chunks).
        self._head = b""

    def feed(self, data: bytes) -> bytes:
        if self._fallback_raw:
            self._head += data
        try:
            out = self._obj.decompress(data, self._limit - self._out + 1)
        except zlib.error:
            if self._fallback_raw:
                # "deflate" is meant to be zlib-wrapped; some servers send it raw.
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                self._fallback_raw = False
                head, self._head = self._head, b""
                return self.feed(head)
            raise Undecodable("corrupt compressed body") from None
        if self._fallback_raw and (out or len(self._head) > _SNIFF):
            self._fallback_raw, self._head = False, b""  # zlib it is
        self._out += len(out)
        if self._out > self._limit or self._obj.unconsumed_tail:
            raise TooLarge("decoded body over the limit")
        return bytes(out)

    def finish(self) -> bytes:
        try:
            out = self._obj.flush()
        except zlib.error:
            raise Undecodable("corrupt compressed body") from None
        self._out += len(out)
        if self._out > self._limit:
            raise TooLarge("decoded body over the limit")
        return bytes(out)


class _Brotli:
    def __init__(self, limit: int) -> None:
        assert _brotli is not None
        self._obj = _brotli.Decompressor()
        self._limit = limit
        self._out = 0

    def feed(self, data: bytes) -> bytes:
        try:
            out: bytes = self._obj.process(data)
        except Exception:  # brotli.error
            raise Undecodable("corrupt compressed body") from None
        self._out += len(out)
        if self._out > self._limit:
            raise TooLarge("decoded body over the limit")
        return out

    def finish(self) -> bytes:
        return b""


def decoder(content_encoding: str, limit: int) -> Decoder | None:
    """A decoder for the header value, None for identity; raises Undecodable."""
    encoding = content_encoding.strip().lower()
    if encoding in IDENTITY:
        return None
    if encoding in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS, limit, fallback_raw=False)
    if encoding == "deflate":
        return _Zlib(zlib.MAX_WBITS, limit, fallback_raw=True)
    if encoding == "br" and _brotli is not None:
        return _Brotli(limit)
    raise Undecodable(f"unsupported content-encoding {encoding[:40]!r}")


def can_decode(content_encoding: str) -> bool:
    """Whether this server can decode the header value (identity included)."""
    try:
        decoder(content_encoding, 1)
    except Undecodable:
        return False
    return True


def decode_all(content_encoding: str, body: bytes, limit: int) -> bytes:
    d = decoder(content_encoding, limit)
    if d is None:
        return body
    return d.feed(body) + d.finish()
