"""The character encoding of a body, when it is not plain UTF-8.

``json.loads(bytes)``, and so many an upstream, reads JSON in UTF-8 (with or
without a byte order mark), UTF-16 and UTF-32 (either byte order, with or
without a mark, told apart by where the NUL bytes of the first characters
fall). A body in any of these, or in the charset its ``content-type``
declares, is decoded for scanning and a rewritten one encoded the same way
again (mark included). Plain UTF-8 is the fast path: ``sniff`` says None.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass

from multipart import parse_options_header

# Longest first: the UTF-32-LE mark begins with the UTF-16-LE one.
_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_MARK_STARTS = frozenset(m[:1] for m, _ in _MARKS) | {b"\x00"}
# What JSON text begins with: the NUL pattern says UTF-16 or UTF-32 only then.
_JSON_STARTS = frozenset(bytes([c]) for c in b'{["\t\n\r 0123456789-tfn')


class Unreadable(ValueError):
    """A body (or part) in a charset this server does not know, or invalid in it."""


@dataclass(frozen=True, slots=True)
class Charset:
    codec: str  # a Python codec name
    mark: bytes = b""  # the byte order mark the body began with

    def decode(self, data: bytes) -> str:
        # UTF-8 after a mark is read as bodies without one are: invalid bytes
        # are scanned around and sent back as they came.
        errors = "surrogateescape" if self.codec == "utf-8" else "strict"
        try:
            return data[len(self.mark) :].decode(self.codec, errors)
        except (UnicodeDecodeError, LookupError):
            raise Unreadable(f"not valid {self.codec}") from None

    def encode(self, text: str) -> bytes:
        # A replacement the charset cannot hold (a policy's own redaction
        # text) degrades to '?', never to an exception.
        errors = "surrogateescape" if self.codec == "utf-8" else "replace"
        return self.mark + text.encode(self.codec, errors)


def declared(content_type: str) -> str | None:
    """The ``charset`` parameter of a content type, if any."""
    if "charset" not in content_type:
        return None
    return parse_options_header(content_type)[1].get("charset") or None


def named(charset: str, data: bytes) -> Charset | None:
    """A declared charset for ``data``; None for UTF-8. Raises ``Unreadable``
    if unknown. UTF-16 and UTF-32 without a mark take their byte order from
    the NUL pattern, else big-endian (RFC 2781)."""
    try:
        codec = codecs.lookup(charset).name
    except LookupError:
        raise Unreadable("unknown charset") from None
    if codec in ("utf-16", "utf-32"):
        sniffed = json.detect_encoding(data[:4])
        codec = sniffed if sniffed.startswith(codec + "-") else codec + "-be"
    return None if codec == "utf-8" else Charset(codec)


def sniff(body: bytes, content_type: str) -> Charset | None:
    """How ``body`` is encoded; None for UTF-8 without a mark (the common case).

    A byte order mark wins, then a declared charset, then the NUL pattern
    that tells JSON in UTF-16 or UTF-32 apart. Raises ``Unreadable`` for a
    declared charset that Python does not know."""
    head = body[:4]
    if head[:1] not in _MARK_STARTS and head[1:2] != b"\x00" and "charset" not in content_type:
        return None
    for mark, codec in _MARKS:
        if body.startswith(mark):
            return Charset(codec, mark)
    name = declared(content_type)
    if name is not None:
        return named(name, body)
    if b"\x00" in head and head.strip(b"\x00")[:1] in _JSON_STARTS:
        # Only a guess, from where the NULs fall: kept if the whole body reads
        # in it (random bytes with a NUL near the start are not UTF-16).
        codec = json.detect_encoding(body)
        if codec != "utf-8":
            try:
                body.decode(codec)
            except UnicodeDecodeError:
                return None
            return Charset(codec)
    return None
