"""Values split or spelled byte by byte: where they are, as pieces to undo.

Each finder yields ``(start, end, replacement)`` pieces of a text; a decoding
layer (``extproc.detect.decode``) replaces them and maps findings back.

* ``wrapped``: a token hard-wrapped over lines at one width (``base64``
  output and MIME at 76 columns, PEM-like bodies at 64, a JWT folded by a
  terminal or a mail client): every line break inside it, with the next
  line's indentation, is removed.
* ``concatenated``: string literals joined in code (``"ghp_" + "..."``,
  Python's adjacent literals, ``.``/``&``/``||``/``..`` of PHP, VB, SQL, Lua):
  every joint is removed.
* ``quoted_printable``: soft line breaks (``=`` at a line end) removed and
  ``=XX`` bytes decoded, in a text that has soft breaks or runs of ``=XX``.
* ``hex_escapes``: ``\\x41\\x42`` runs decoded as UTF-8.
* ``hex_runs``: a run of 16 or more hex digits that decodes to printable
  text (``676870...``) decoded whole; hashes decode to binary and stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

Piece = tuple[int, int, str]

# A line that is one token of base64, base64url or JWT characters (a quote
# or ">" of a mail quote may start it).
_TOKEN_LINE = re.compile(r"^([ \t>]*)([A-Za-z0-9+/_.=-]{2,})[ \t]*\r?$", re.M)
_TRAILING_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_.=-])([A-Za-z0-9+/_.=-]{8,})[ \t]*\r?\n\Z")
_CAPITAL_RUN = re.compile(r"[A-Za-z0-9+/_-]{14,}")

# A joint between two string literals of the same quote: an operator or
# just spaces, on one line or over a line break.
_JOINT = re.compile(
    # The quote first (a literal character lets the engine skip ahead), then
    # the look back at what it closes.
    r"([\"'])(?<=[^\s\"'\\][\"'])"
    r"(?:[ \t]*(?:\+|\.\.?|&|\|\||<>)[ \t]*(?:\\?\r?\n[ \t]*)?"
    r"|[ \t]+|[ \t]*\\?\r?\n[ \t]*(?:[+.&][ \t]*)?)"
    r"\1(?=[^\s\"'])"
)
# The same, loosely, for the gate: an RE2 pattern every joint matches.
JOINT_SIGNAL = "[\"'](?:[ \\t]*[+.&|<>]{1,2}[ \\t]*|[ \\t]+|[ \\t]*\\r?\\n)"

_SOFT_BREAK = re.compile(r"=\r?\n")
_QP_MARK = re.compile(r"=\r?\n|=[0-9A-F]{2}=[0-9A-F]{2}")
_QP_PIECE = re.compile(r"=\r?\n|(?:=[0-9A-F]{2})+")
QP_SIGNAL = "=\\r?\\n|=[0-9A-F]{2}=[0-9A-F]{2}"

_HEX_ESCAPES = re.compile(r"(?:\\x[0-9A-Fa-f]{2})+")
HEX_ESCAPE_SIGNAL = "\\\\x[0-9A-Fa-f]{2}"
_HEX_RUN = re.compile(
    r"[0-9A-Fa-f](?<![0-9A-Za-z][0-9A-Fa-f])[0-9A-Fa-f](?:[0-9A-Fa-f]{2}){7,4095}(?![0-9A-Za-z])"
)
_HEX_DIGITS = re.compile(r"[0-9A-Fa-f]+")
_PROBE = 16  # hex digits decoded first, to reject hashes cheaply


def wrapped(text: str) -> Iterator[Piece]:
    """The line breaks inside tokens hard-wrapped at one width."""
    run: list[re.Match[str]] = []
    for m in _TOKEN_LINE.finditer(text):
        if run and m.start() != run[-1].end() + 1:
            yield from _joined_lines(text, run)
            run = []
        run.append(m)
    yield from _joined_lines(text, run)


def _joined_lines(text: str, run: list[re.Match[str]]) -> Iterator[Piece]:
    """Pieces for ``run`` of consecutive token lines, if they are one wrapped token."""
    if len(run) < 2:
        return
    widths = [len(m.group(2)) for m in run]
    # Each maximal stretch whose lines (the last excepted) share one width.
    start = 0
    while start < len(run) - 1:
        width = widths[start]
        end = start + 1
        while end < len(run) - 1 and widths[end] == width:
            end += 1
        if widths[end] > width:
            end -= 1  # a longer line does not end this token
        elif end > start and widths[end] < width and not _ends_token(run, start, end):
            end -= 1  # a short line after full ones: a word, unless it completes the token
        if end > start and width >= 16 and _has_capital_run(run, start, end):
            # The token may begin at the end of the line before ("Bearer eyJ...").
            first = run[start].start()
            lead = _TRAILING_TOKEN.search(text, max(0, first - 256), first)
            if lead:
                yield lead.end(1), run[start].start(2), ""
            for i in range(start, end):
                yield run[i].end(2), run[i + 1].start(2), ""
        start = max(end, start + 1)


def _ends_token(run: list[re.Match[str]], start: int, end: int) -> bool:
    """True if the short line ``end`` completes the token of lines ``start``..``end``:
    it is padded, or the token is base64 of whole quanta, or a JWT (dotted)."""
    last = run[end].group(2)
    if last.endswith("=") or any("." in run[i].group(2) for i in range(start, end + 1)):
        return True
    return sum(len(run[i].group(2)) for i in range(start, end + 1)) % 4 == 0


def _has_capital_run(run: list[re.Match[str]], start: int, end: int) -> bool:
    # The gate opens on a 14-character run holding a capital: so must this.
    return any(
        any(piece != piece.lower() for piece in _CAPITAL_RUN.findall(run[i].group(2)))
        for i in range(start, end + 1)
    )


def concatenated(text: str) -> Iterator[Piece]:
    """The joints between string literals joined in code."""
    for m in _JOINT.finditer(text):
        yield m.start(), m.end(), ""


def quoted_printable(text: str) -> Iterator[Piece]:
    """Soft breaks and ``=XX`` runs, in a text that looks quoted-printable."""
    if _QP_MARK.search(text) is None:
        return
    for m in _QP_PIECE.finditer(text):
        if _SOFT_BREAK.fullmatch(m.group()):
            yield m.start(), m.end(), ""
            continue
        yield from utf8_pieces(m.start(), bytes.fromhex(m.group().replace("=", "")), 3)


def hex_escapes(text: str) -> Iterator[Piece]:
    """``\\xNN`` runs, one piece per UTF-8 character."""
    for m in _HEX_ESCAPES.finditer(text):
        yield from utf8_pieces(m.start(), bytes.fromhex(m.group().replace("\\x", "")), 4)


def hex_runs(text: str) -> Iterator[Piece]:
    """Hex runs that decode to printable UTF-8, each as one piece."""
    for m in _HEX_RUN.finditer(text):
        decoded = hex_text(m.group())
        if decoded is not None:
            yield m.start(), m.end(), decoded


def hex_text(run: str) -> str | None:
    """``run`` of hex digits decoded to printable UTF-8 (tabs, line breaks allowed), else None."""
    if len(run) % 2 or _HEX_DIGITS.fullmatch(run) is None:
        return None
    if not _printable_bytes(bytes.fromhex(run[:_PROBE])):
        return None
    try:
        decoded = bytes.fromhex(run).decode("utf-8")
    except ValueError:
        return None
    return decoded if all(c.isprintable() or c in "\t\r\n" for c in decoded) else None


def has_hex_text(text: str) -> bool:
    """True if ``hex_runs`` would decode something in ``text``."""
    return any(hex_text(m.group()) is not None for m in _HEX_RUN.finditer(text))


def _printable_bytes(data: bytes) -> bool:
    return all(32 <= b < 127 or b in (9, 10, 13) or b >= 0x80 for b in data)


def utf8_pieces(at: int, data: bytes, width: int) -> Iterator[Piece]:
    """One piece per UTF-8 sequence of ``data``, each byte written in ``width`` characters."""
    i = 0
    while i < len(data):
        lead = data[i]
        size = 1 if lead < 0x80 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        try:
            char = data[i : i + size].decode("utf-8")
        except UnicodeDecodeError:
            size, char = 1, ""
        if char:
            yield at + width * i, at + width * (i + size), char
        i += size
