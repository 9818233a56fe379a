"""Decoding layers: values hidden in percent-encoding, HTML entities, JSON
``\\u`` escapes and base64 (``extproc.detect.escapes``), ``\\x`` escapes,
quoted-printable and hex, and values split by hard wraps or string
concatenation (``extproc.detect.splits``).

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

from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from extproc.detect import escapes, splits
from extproc.detect.prepass import merge_windows
from extproc.detect.regex import compile_pattern
from extproc.detect.splits import Piece

# Decoded characters per scan, over all layers and depths.
BUDGET = 1 << 20
MAX_RUNS = 1024
MAX_RUN = 1 << 16

MIN_RUN = 16

# Every search is a linear RE2 pass; Python looks only at what it finds.
# The escapes a layer can undo, as one pattern:
ESCAPED = (
    f"{escapes.PERCENT}|{escapes.ENTITY}|{escapes.JSON_U}|{splits.HEX_ESCAPE_SIGNAL}|{splits.QP_SIGNAL}"
    f"|{splits.JOINT_SIGNAL}"
)
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


def _base64(text: str, lo: int, hi: int, budget: Budget) -> Iterator[Piece]:
    for start, end in base64_runs(text, lo, hi):
        if not MIN_RUN <= end - start <= MAX_RUN or budget.runs <= 0:
            continue
        budget.runs -= 1
        decoded = escapes.b64_text(text[start:end])
        if decoded is not None:
            yield start, end, decoded


def _whole(finder: Callable[[str], Iterator[Piece]]) -> Callable[[str, int, int], Iterator[Piece]]:
    def find(text: str, lo: int, hi: int) -> Iterator[Piece]:
        return (p for p in finder(text) if lo <= p[0] and p[1] <= hi)

    return find


# (encoding, a literal every escape or joint holds, finder)
_ESCAPES: tuple[tuple[str, str, Callable[[str, int, int], Iterator[Piece]]], ...] = (
    ("percent", "%", escapes.percent),
    ("html", "&", escapes.entity),
    ("json_u", "\\u", escapes.json_u),
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
    """True if ``layers`` would try a run of ``text`` as base64, or decode one as hex.

    Asked of the runs alone: a hex run lies inside a run of base64
    characters, whose edges are no letter or digit, as a hex run's are. Most
    texts hold one or two runs ("completion_tokens" in every chat answer), and
    looking for hex over the whole text cost more than the rest of the gate."""
    for start, end in _RUN_RE.finditer(text):
        run = text[start:end]
        if _holds_capital(run) or (end - start >= _HEX_MIN and splits.has_hex_text(run)):
            return True
    return False


_HEX_MIN = 16  # the shortest hex run ``splits.hex_runs`` decodes


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
