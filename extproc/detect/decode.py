"""Decoding layers: values hidden in percent-encoding, HTML entities, JSON
``\\u`` escapes, ``\\x`` escapes, quoted-printable, base64 and hex, and values
split by hard wraps or string concatenation (``extproc.detect.splits``).

A layer is a window of the scanned text with one encoding undone, plus a map
back to the window. Escapes (``%40``, ``&#64;``, ``\\u0040``) decode to one
character each; a base64 run decodes as a whole. The map treats each escape,
and each base64 run, as atomic: a value that overlaps it takes all of it, so
a finding in a layer covers every original character that encodes the value,
and the whole run for base64 (its characters encode bytes jointly).

Bounds keep this cheap and safe. Clean text costs one linear RE2 search for
any marker. Escape windows reach ``radius`` characters around their escapes
(the longest value, capped); base64 runs are decoded only when 16 to 65,536
characters long with a capital letter, at most ``MAX_RUNS`` per scan, and only
when a probe of their start decodes to printable UTF-8. All layers of one scan share a budget of
decoded characters; what lies beyond it is not decoded.
"""

from __future__ import annotations

import base64
import binascii
import html.entities
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from extproc.detect import splits
from extproc.detect.prepass import merge_windows
from extproc.detect.regex import compile_pattern

# Decoded characters per scan, over all layers and depths.
BUDGET = 1 << 20
MAX_RUNS = 1024
MAX_RUN = 1 << 16
_PROBE = 64  # base64 characters decoded first, to reject binary cheaply

MIN_RUN = 16
_PERCENT = r"(?:%[0-9A-Fa-f]{2})+"
_ENTITY = r"&(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)"
_JSON_U = r"(?:\\u[0-9A-Fa-f]{4})+"

# Every search is a linear RE2 pass; Python looks only at what it finds.
# The escapes a layer can undo, as one pattern:
ESCAPED = (
    f"{_PERCENT}|{_ENTITY}|{_JSON_U}|{splits.HEX_ESCAPE_SIGNAL}|{splits.QP_SIGNAL}"
    f"|{splits.JOINT_SIGNAL}"
)
_PERCENT_RE = compile_pattern(_PERCENT, builtin=False)
_ENTITY_RE = compile_pattern(_ENTITY, builtin=False)
_JSON_U_RE = compile_pattern(_JSON_U, builtin=False)
# A maximal run of at least 14 base64 characters (with its padding). Only runs
# holding a capital letter are tried (base64 of text always has some; paths,
# prose and lower-case identifiers never get decoded); where runs are listed,
# that test is done in Python on the few long runs: the regex that counts up
# to the first capital (``_CAPITAL_RUN``) answers only yes or no.
BASE64_RUN = "[A-Za-z0-9+/_-]{14,}={0,2}"
_RUN_RE = compile_pattern(BASE64_RUN, builtin=False)
# Both in one pass: an escape starts with one of "%&\\", a run never does.
_SIGNAL_RE = compile_pattern(f"{ESCAPED}|{BASE64_RUN}", builtin=False)


def _holds_capital(run: str) -> bool:
    return run.lower() != run


def base64_runs(text: str, lo: int = 0, hi: int | None = None) -> Iterator[tuple[int, int]]:
    """Spans of the runs of ``text[lo:hi]`` that ``layers`` tries as base64."""
    for start, end in _RUN_RE.finditer(text, lo, hi):
        if _holds_capital(text[start:end]):
            yield start, end


ENCODINGS = (
    "percent", "html", "json_u", "hex_escape", "quoted_printable", "wrapped", "concatenated",
    "base64", "hex",
)  # fmt: skip

Piece = tuple[int, int, str]  # start, end in the parent text, decoded replacement


@dataclass(slots=True)
class Budget:
    """Decoded characters and base64 runs still allowed in this scan."""

    chars: int = field(default_factory=lambda: BUDGET)
    runs: int = field(default_factory=lambda: MAX_RUNS)

    def take(self, size: int) -> bool:
        if size > self.chars:
            self.chars = 0
            return False
        self.chars -= size
        return True


@dataclass(frozen=True, slots=True)
class Layer:
    """``text`` decoded from ``parent[origin:...]``; atomic pieces map whole.

    ``starts``/``ends`` are a piece's span in ``text``, ``sources``/``source_ends``
    its span in the parent. Between pieces, characters map one to one.
    """

    encoding: str
    text: str
    origin: int
    starts: tuple[int, ...] = ()
    ends: tuple[int, ...] = ()
    sources: tuple[int, ...] = ()
    source_ends: tuple[int, ...] = ()

    def touches_encoded(self, start: int, end: int) -> bool:
        """True if ``text[start:end]`` overlaps or borders a decoded piece.

        Bordering counts: ``jane@x.org%20`` is an email only once ``%20`` is a space.
        """
        i = bisect_right(self.starts, end) - 1
        return i >= 0 and self.ends[i] >= start

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The parent span of ``text[start:end]``, widened to whole pieces."""
        return self._source(start, first=True), self._source(end - 1, first=False)

    def _source(self, position: int, *, first: bool) -> int:
        i = bisect_right(self.starts, position) - 1
        if i >= 0 and position < self.ends[i]:
            return self.origin + (self.sources[i] if first else self.source_ends[i])
        shift = self.source_ends[i] - self.ends[i] if i >= 0 else 0
        return self.origin + position + shift + (0 if first else 1)


@dataclass(slots=True)
class _Builder:
    encoding: str
    parent: str
    lo: int
    parts: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    source_ends: list[int] = field(default_factory=list)
    size: int = 0
    last: int = 0

    def __post_init__(self) -> None:
        self.last = self.lo

    def piece(self, start: int, end: int, decoded: str) -> None:
        plain = self.parent[self.last : start]
        self.parts.append(plain)
        self.size += len(plain)
        self.starts.append(self.size)
        self.parts.append(decoded)
        self.size += len(decoded)
        self.ends.append(self.size)
        self.sources.append(start - self.lo)
        self.source_ends.append(end - self.lo)
        self.last = end

    def layer(self, hi: int) -> Layer:
        self.parts.append(self.parent[self.last : hi])
        return Layer(
            self.encoding,
            "".join(self.parts),
            self.lo,
            tuple(self.starts),
            tuple(self.ends),
            tuple(self.sources),
            tuple(self.source_ends),
        )


def _percent(text: str, lo: int, hi: int) -> Iterator[Piece]:
    """One piece per UTF-8 sequence of a ``%XX`` run; bytes that are not UTF-8 stay."""
    for at, end in _PERCENT_RE.finditer(text, lo, hi):
        yield from splits.utf8_pieces(at, bytes.fromhex(text[at:end].replace("%", "")), 3)


def _entity(text: str, lo: int, hi: int) -> Iterator[Piece]:
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


def _json_u(text: str, lo: int, hi: int) -> Iterator[Piece]:
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


def _base64(text: str, lo: int, hi: int, budget: Budget) -> Iterator[Piece]:
    for start, end in base64_runs(text, lo, hi):
        if not MIN_RUN <= end - start <= MAX_RUN or budget.runs <= 0:
            continue
        budget.runs -= 1
        decoded = b64_text(text[start:end])
        if decoded is not None:
            yield start, end, decoded


def _whole(finder: Callable[[str], Iterator[Piece]]) -> Callable[[str, int, int], Iterator[Piece]]:
    def find(text: str, lo: int, hi: int) -> Iterator[Piece]:
        return (p for p in finder(text) if lo <= p[0] and p[1] <= hi)

    return find


# (encoding, a literal every escape or joint holds, finder)
_ESCAPES: tuple[tuple[str, str, Callable[[str, int, int], Iterator[Piece]]], ...] = (
    ("percent", "%", _percent),
    ("html", "&", _entity),
    ("json_u", "\\u", _json_u),
    ("hex_escape", "\\x", _whole(splits.hex_escapes)),
    ("quoted_printable", "=", _whole(splits.quoted_printable)),
    ("wrapped", "\n", _whole(splits.wrapped)),
    ("concatenated", "", _whole(splits.concatenated)),
)


def maybe_encoded(text: str) -> bool:
    """The cheap check: could anything in ``text`` be decoded at all?"""
    if len(text) < 3:
        return False
    for start, end in _SIGNAL_RE.finditer(text):
        run = text[start:end]
        if text[start] in "%&\\=\"'" or _holds_capital(run):
            return True  # an escape or a joint, or a run layers would try as base64
        if len(run) >= 16 and splits.hex_text(run.rstrip("=")) is not None:
            return True  # a hex run that decodes to text
    return False


# The same condition as one regex: a run of 14+ holding a capital, spelled out
# by the position of the first capital so that RE2 keeps it linear. Fast on
# its own (one search, no Python per run), too large an automaton to join the
# gate's set.
_B64, _B64_LOW = "[A-Za-z0-9+/_-]", "[a-z0-9+/_-]"
_CAPITAL_RUN = compile_pattern(
    "|".join(f"{_B64_LOW}{{{k}}}[A-Z]{_B64}{{{13 - k},}}" for k in range(14))
    + f"|{_B64_LOW}{{14,}}[A-Z]",
    builtin=False,
)


def has_base64_run(text: str) -> bool:
    """True if ``layers`` would try a run of ``text`` as base64."""
    return next(_CAPITAL_RUN.finditer(text), None) is not None


def has_encoded_run(text: str) -> bool:
    """True if ``layers`` would try a run of ``text`` as base64, or decode one as hex."""
    return has_base64_run(text) or splits.has_hex_text(text)


def layers(text: str, radius: int, context: int, budget: Budget) -> Iterator[Layer]:
    """Windows of ``text`` with one encoding undone, within ``budget``.

    An escape window reaches ``radius`` characters on both sides of its
    escapes; a base64 window, ``context`` characters (for context words).
    """
    size = len(text)
    for encoding, marker, find in _ESCAPES:
        if marker not in text:
            continue
        pieces = list(islice(find(text, 0, size), budget.chars))
        yield from _windows(encoding, text, pieces, radius, budget)
    yield from _windows("base64", text, list(_base64(text, 0, size, budget)), context, budget)
    hex_pieces = list(islice(splits.hex_runs(text), MAX_RUNS))
    yield from _windows("hex", text, hex_pieces, context, budget)


def _windows(
    encoding: str, text: str, pieces: list[Piece], radius: int, budget: Budget
) -> Iterator[Layer]:
    index = 0
    for lo, hi in merge_windows([(s, e) for s, e, _ in pieces], radius, len(text)):
        builder = _Builder(encoding, text, lo)
        while index < len(pieces) and pieces[index][0] < hi:
            builder.piece(*pieces[index])
            index += 1
        layer = builder.layer(hi)
        if not budget.take(len(layer.text)):
            return
        yield layer
