"""An HTTP/1.1 request body read off the connection: by content-length or
chunked, bounded in size and in line length, refused with a status when bad.

BaseHTTPRequestHandler leaves this to the application.
"""

from __future__ import annotations

import re
from email.message import Message
from io import BufferedIOBase

_LINE_LIMIT = 4096  # one chunk-size or trailer line
_MAX_TRAILERS = 64
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")
_DIGITS = re.compile(r"[0-9]{1,18}")


class BadBody(Exception):
    """A body that cannot be read; ``status`` is the answer it gets."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def read_body(rfile: BufferedIOBase, headers: Message, limit: int) -> bytes:
    """The request body (at most ``limit`` bytes), de-chunked."""
    codings = [
        c.strip().lower()
        for value in headers.get_all("transfer-encoding", [])
        for c in value.split(",")
    ]
    lengths = headers.get_all("content-length", [])
    if codings:
        if codings != ["chunked"]:
            raise BadBody(400, f"Unsupported transfer-encoding: {', '.join(codings)}.")
        if lengths:
            raise BadBody(400, "Both content-length and transfer-encoding are set.")
        return _read_chunked(rfile, limit)
    if not lengths:
        return b""
    if len(set(lengths)) != 1 or not _DIGITS.fullmatch(lengths[0].strip()):
        raise BadBody(400, "Invalid content-length.")
    size = int(lengths[0])
    if size > limit:
        raise BadBody(413, f"Request body larger than {limit} bytes.")
    return _read_exact(rfile, size)


def _read_exact(rfile: BufferedIOBase, size: int) -> bytes:
    data = rfile.read(size)
    if len(data) != size:
        raise BadBody(400, "The request body ended early.")
    return data


def _read_line(rfile: BufferedIOBase) -> bytes:
    line = rfile.readline(_LINE_LIMIT + 1)
    if not line.endswith(b"\n") or len(line) > _LINE_LIMIT:
        raise BadBody(400, "Malformed chunked body.")
    return line


def _read_chunked(rfile: BufferedIOBase, limit: int) -> bytes:
    body = bytearray()
    while True:
        size_field = _read_line(rfile).split(b";", 1)[0].strip()  # drop chunk extensions
        if not _HEX.fullmatch(size_field):
            raise BadBody(400, "Malformed chunk size.")
        size = int(size_field, 16)
        if size == 0:
            break
        if len(body) + size > limit:
            raise BadBody(413, f"Request body larger than {limit} bytes.")
        body += _read_exact(rfile, size)
        if _read_line(rfile) not in (b"\r\n", b"\n"):
            raise BadBody(400, "Chunk data longer than its size.")
    for _ in range(_MAX_TRAILERS):
        if _read_line(rfile) in (b"\r\n", b"\n"):
            return bytes(body)
    raise BadBody(400, "Too many trailer lines.")
