"""Escapes a decoding layer undoes one character each (``%XX``, HTML
entities, JSON ``\\uXXXX``), and base64 runs decoded whole to printable text.

Each finder yields ``(start, end, decoded)`` pieces of ``text[lo:hi]``;
``extproc.detect.decode`` turns them into layers.
"""

from __future__ import annotations

import base64
import binascii
import html.entities
from collections.abc import Iterator

from extproc.detect import splits
from extproc.detect.regex import compile_pattern
from extproc.detect.splits import Piece

PERCENT = r"(?:%[0-9A-Fa-f]{2})+"
ENTITY = r"&(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)"
JSON_U = r"(?:\\u[0-9A-Fa-f]{4})+"
_PERCENT_RE = compile_pattern(PERCENT, builtin=False)
_ENTITY_RE = compile_pattern(ENTITY, builtin=False)
_JSON_U_RE = compile_pattern(JSON_U, builtin=False)
_PROBE = 64  # base64 characters decoded first, to reject binary cheaply


def percent(text: str, lo: int, hi: int) -> Iterator[Piece]:
    """One piece per UTF-8 sequence of a ``%XX`` run; bytes that are not UTF-8 stay."""
    for at, end in _PERCENT_RE.finditer(text, lo, hi):
        yield from splits.utf8_pieces(at, bytes.fromhex(text[at:end].replace("%", "")), 3)


def entity(text: str, lo: int, hi: int) -> Iterator[Piece]:
    for start, end in _ENTITY_RE.finditer(text, lo, hi):
        body = text[start + 1 : end].rstrip(";")
        if body[0] == "#":
            code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
            if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                continue
            char = chr(code)
        else:
            found = html.entities.html5.get(body + ";")
            if found is None:
                continue
            char = found
        yield start, end, char


def json_u(text: str, lo: int, hi: int) -> Iterator[Piece]:
    """One piece per ``\\uXXXX`` (two for a surrogate pair); lone surrogates stay."""
    for run_start, run_end in _JSON_U_RE.finditer(text, lo, hi):
        codes = [int(text[i + 2 : i + 6], 16) for i in range(run_start, run_end, 6)]
        i = 0
        while i < len(codes):
            at, code, width = run_start + 6 * i, codes[i], 1
            if 0xD800 <= code < 0xDC00 and i + 1 < len(codes) and 0xDC00 <= codes[i + 1] < 0xE000:
                code = 0x10000 + ((code - 0xD800) << 10) + codes[i + 1] - 0xDC00
                width = 2
            if not 0xD800 <= code <= 0xDFFF:
                yield at, at + 6 * width, chr(code)
            i += width


def _printable(decoded: str) -> bool:
    """Mostly text: no NUL, and at most one character in twenty unprintable."""
    if decoded.isprintable():
        return True
    if "\x00" in decoded:
        return False
    bad = sum(1 for char in decoded if not char.isprintable() and char not in "\t\n\r")
    return bad * 20 <= len(decoded)


def b64_text(run: str) -> str | None:
    """``run`` decoded from (standard or URL-safe) base64 to printable UTF-8, else None."""
    body = run.rstrip("=")
    if ("-" in body or "_" in body) and ("+" in body or "/" in body):
        return None
    if "-" in body or "_" in body:
        body = body.replace("-", "+").replace("_", "/")
    body = body[: len(body) - len(body) % 4] if len(body) % 4 == 1 else body
    probe = body[:_PROBE]
    try:
        if len(body) > _PROBE and not _printable(
            base64.b64decode(probe, validate=True).decode("utf-8", "ignore")
        ):
            return None
        decoded = base64.b64decode(body + "=" * (-len(body) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return decoded if _printable(decoded) else None
