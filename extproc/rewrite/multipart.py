"""``multipart/form-data`` bodies: parts read as text where they are text, and
a body with rewritten parts built again.

Parsing is the ``multipart`` library's (a sans-I/O parser with limits on
header size and count). Each part is one of:

* text: form fields that decode, and files whose bytes read as text in their declared
  charset (UTF-8 by default) with no NUL near the start: plain text, CSV,
  JSON, JSONL, code... The bytes decide, not the label, so a text file
  labelled ``image/png`` is still read;
* media: images, audio and video (not text: never decoded nor rewritten, as
  base64 media in answers);
* unreadable: anything else, such as PDF, DOCX or a zip (and parts in a
  ``Content-Transfer-Encoding``, which RFC 7578 forbids): the policy's
  ``limits.on_undecodable`` decides.

A body nothing changes in is sent as it came. A rewritten one is built again
with the same boundary, part order, headers and bytes; a part whose text,
field name or file name changed gets the new one (in its own charset).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum

import multipart
from multipart import content_disposition_quote, parse_options_header

from extproc.rewrite.charset import Charset, Unreadable, named

MAX_PARTS = 1000
_MEDIA = ("image/", "audio/", "video/")
# Leading bytes of media formats (to tell media from unreadable documents
# when the label is missing or generic).
_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"RIFF",  # WAV, WEBP, AVI
    b"ID3",  # MP3
    b"\xff\xfb",
    b"\xff\xf3",
    b"\xff\xf2",
    b"OggS",
    b"fLaC",
    b"\x1aE\xdf\xa3",  # WebM, Matroska
)
_TRANSPARENT = frozenset({"", "7bit", "8bit", "binary"})


class Kind(Enum):
    TEXT = "text"
    MEDIA = "media"
    UNREADABLE = "unreadable"


class Malformed(ValueError):
    """Not a multipart body (or over its limits)."""


@dataclass(frozen=True, slots=True)
class Part:
    headers: tuple[tuple[str, str], ...]
    name: str
    filename: str | None
    data: bytes
    kind: Kind
    text: str = ""  # the decoded data of a text part
    charset: Charset | None = None  # None: UTF-8


def boundary_of(content_type: str) -> str | None:
    return parse_options_header(content_type)[1].get("boundary") or None


def parse(body: bytes, boundary: str, max_parts: int = MAX_PARTS) -> list[Part]:
    """The parts of ``body``; raises ``Malformed``."""
    parts: list[Part] = []
    segment: multipart.MultipartSegment | None = None
    chunks: list[bytes] = []
    try:
        parser = multipart.PushMultipartParser(boundary, max_segment_count=max_parts)
        for event in [*parser.parse(body), *parser.parse(b"")]:
            if isinstance(event, multipart.MultipartSegment):
                segment, chunks = event, []
            elif event is None and segment is not None:
                parts.append(_part(segment, b"".join(chunks)))
                segment = None
            elif event:
                chunks.append(bytes(event))
    except multipart.MultipartError as e:
        raise Malformed(type(e).__name__) from None
    return parts


def _part(segment: multipart.MultipartSegment, data: bytes) -> Part:
    headers = tuple(segment.headerlist)
    base = Part(headers, segment.name or "", segment.filename, data, Kind.UNREADABLE)
    encoding = (segment.header("Content-Transfer-Encoding") or "").strip().lower()
    if encoding not in _TRANSPARENT:
        return base
    try:
        charset = named(segment.charset, data) if segment.charset else None
        text = charset.decode(data) if charset is not None else data.decode("utf-8")
    except (Unreadable, UnicodeDecodeError):
        text = None
    if text is not None and (segment.filename is None or _is_text(text)):
        return replace(base, kind=Kind.TEXT, text=text, charset=charset)
    media = (segment.content_type or "").startswith(_MEDIA) or data.startswith(_MAGIC)
    if media or _is_video(data):
        return replace(base, kind=Kind.MEDIA)
    return base


def _is_text(text: str) -> bool:
    """A file with no NUL near the start: binaries that happen to decode have some."""
    return "\x00" not in text[:4096]


def _is_video(data: bytes) -> bool:
    return data[4:8] == b"ftyp"  # MP4, M4A, MOV


def build(parts: Sequence[Part], boundary: str) -> bytes:
    """A body of ``parts`` (text parts from their ``text``), preamble and epilogue left out."""
    delimiter = b"--" + boundary.encode("latin-1")
    out: list[bytes] = []
    for part in parts:
        out.append(delimiter + b"\r\n")
        for name, value in part.headers:
            out.append(f"{name}: {value}\r\n".encode())
        out.append(b"\r\n")
        out.append(part.data)
        out.append(b"\r\n")
    out.append(delimiter + b"--\r\n")
    return b"".join(out)


def renamed(part: Part, name: str, filename: str | None) -> Part:
    """``part`` with a new field name and file name in its Content-Disposition."""
    value = f"form-data; name={content_disposition_quote(name)}"
    if filename is not None:
        value += f"; filename={content_disposition_quote(filename)}"
    headers = tuple((k, value if k == "Content-Disposition" else v) for k, v in part.headers)
    return replace(part, headers=headers, name=name, filename=filename)


def retexted(part: Part, text: str) -> Part:
    """``part`` with new text, encoded in its charset (and its length header, if any)."""
    data = (
        part.charset.encode(text)
        if part.charset is not None
        else text.encode("utf-8", "surrogateescape")
    )
    headers = tuple((k, str(len(data)) if k == "Content-Length" else v) for k, v in part.headers)
    return replace(part, headers=headers, data=data, text=text)
