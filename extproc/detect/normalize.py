"""Undo cheap evasions and keyboard habits before matching, keeping a map back
to original offsets.

Invisible characters (zero-width, soft hyphen, direction marks and embeddings,
variation selectors, the tag block) are dropped. Everything else maps one
character to one: Unicode decimal digits become ASCII digits, no-break and
other spaces a plain space, the Unicode hyphens, dashes and minus signs ``-``,
the full-width forms of an input method (U+FF20 at sign, U+FF0E full stop,
U+FF0B plus, U+FF0D hyphen, letters) their ASCII characters, and look-alike
letters from other scripts (Cyrillic a U+0430, Greek omicron U+03BF,
mathematical letters) the ASCII letter they are confusable with, by
Unicode's confusables data (UTS #39, as shipped by ``confusable-homoglyphs``).
That last fold is the one-character part of a UTS #39 skeleton: a character
whose prototype is one ASCII character is replaced by it; ASCII is never
changed. Only dropped characters move offsets, so the map is a short list of
cut points. Pure ASCII text needs none of this and takes the fast path.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from importlib import resources

# Dropped: zero-width characters, soft hyphen, combining grapheme joiner,
# Mongolian vowel separator, direction marks, embeddings, overrides and
# isolates, variation selectors and the tag block.
_DROP = (
    "\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufe00-\ufe0f\ufeff\U000e0000-\U000e007f\U000e0100-\U000e01ef"
)
_DROP_RE = re.compile(f"[{_DROP}]")
_SPACES = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_DASHES = "\u2010-\u2015\u2212\ufe58\ufe63\uff0d"
# Characters a Latin keyboard habit or a CJK input method writes in place of
# ASCII punctuation around values: ideographic and half-width full stops.
_EXTRA = {"\u3002": ".", "\uff61": ".", "\u2024": ".", "\uff20": "@", "\u2044": "/"}


def _confusable_ascii() -> dict[str, str]:
    """Non-ASCII character -> the one ASCII letter, digit or mark it is confusable with.

    ``confusables.json`` lists, for each character, both directions of every
    line of Unicode's confusables.txt. A non-ASCII character is never the
    prototype of an ASCII one, so the ASCII entries listed for it are its own
    prototype (at most one).
    """
    data = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    table: dict[str, str] = {}
    for char, entries in json.loads(data).items():
        if len(char) != 1 or char.isascii():
            continue
        targets = {e["c"] for e in entries if len(e["c"]) == 1 and e["c"].isascii()}
        if len(targets) == 1:
            target = targets.pop()
            # Letters only, not digits: a Cyrillic Ze is no 3 in a phone number.
            if target.isalpha() or target in "@.-_+/:=":
                table[char] = target
    return table


def _table() -> dict[str, str]:
    table = _confusable_ascii()
    # Full-width ASCII (U+FF01..U+FF5E) is its ASCII character shifted.
    table.update({chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)})
    table.update(_EXTRA)
    for low, high in re.findall(r"(.)(?:-(.))?", _DASHES):
        for code in range(ord(low), ord(high or low) + 1):
            table[chr(code)] = "-"
    for low, high in re.findall(r"(.)(?:-(.))?", _SPACES):
        for code in range(ord(low), ord(high or low) + 1):
            table[chr(code)] = " "
    # Spaces and dashes as written above win over what confusables says of them;
    # digits are mapped by their decimal value below, never by their look.
    return {c: t for c, t in table.items() if not c.isdigit() and not _DROP_RE.match(c)}


_MAP = _table()
_MAPPED = "".join(sorted(_MAP))
# [^\D0-9]: a decimal digit that is not an ASCII one.
_SPECIAL = re.compile(f"[{_DROP}]|[^\\D0-9]|[{re.escape(_MAPPED)}]")
_DROPS = re.compile(f"[{_DROP}]+")


def _translation() -> dict[int, str]:
    """One table for ``str.translate``: every one-for-one replacement, digits included."""
    table = {ord(c): t for c, t in _MAP.items()}
    for code in range(0x80, 0x20000):  # every Unicode decimal digit lies below U+20000
        char = chr(code)
        if char.isdecimal():
            table[code] = str(unicodedata.decimal(char))
    return table


_TRANSLATE = _translation()


@dataclass(frozen=True, slots=True)
class Normalized:
    """``text`` to match on, and how its offsets map to the original's.

    ``cuts[i]`` is a position in ``text`` before which ``shifts[i]`` original
    characters in total have been dropped.
    """

    text: str
    cuts: tuple[int, ...] = ()
    shifts: tuple[int, ...] = ()

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]``, dropped characters inside it included."""
        if not self.cuts:
            return start, end
        return start + self._shift(start), end + self._shift(end - 1)

    def _shift(self, position: int) -> int:
        index = bisect_right(self.cuts, position) - 1
        return self.shifts[index] if index >= 0 else 0


def normalize(text: str) -> Normalized:
    """Normalise ``text`` for matching; ASCII text is returned as it is."""
    if text.isascii() or _SPECIAL.search(text) is None:
        return Normalized(text)
    # One-for-one replacements in one C pass; then the drops, which move offsets.
    text = text.translate(_TRANSLATE)
    if _DROPS.search(text) is None:
        return Normalized(text)
    pieces: list[str] = []
    cuts: list[int] = []
    shifts: list[int] = []
    dropped = 0
    last = 0
    out_len = 0
    for match in _DROPS.finditer(text):
        start, end = match.span()
        pieces.append(text[last:start])
        out_len += start - last
        last = end
        dropped += end - start
        cuts.append(out_len)
        shifts.append(dropped)
    pieces.append(text[last:])
    return Normalized("".join(pieces), tuple(cuts), tuple(shifts))
