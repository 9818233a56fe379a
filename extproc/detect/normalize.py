"""Undo cheap evasions before matching, keeping a map back to original offsets.

Zero-width characters and soft hyphens are dropped, Unicode decimal digits
become ASCII digits, and no-break or thin spaces become plain spaces. Only the
dropped characters move offsets, so the map is a short list of cut points.
Pure ASCII text needs none of this and takes the fast path.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

_DROP = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_SPACES = "\u00a0\u2000-\u200a\u202f\u205f\u3000"
# [^\D0-9]: a decimal digit that is not an ASCII one.
_SPECIAL = re.compile(f"[{_DROP}]+|[{_SPACES}]|[^\\D0-9]")


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
        """The original span of ``text[start:end]``, zero-width characters inside it included."""
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
    pieces: list[str] = []
    cuts: list[int] = []
    shifts: list[int] = []
    dropped = 0
    last = 0
    out_len = 0
    for match in _SPECIAL.finditer(text):
        start, end = match.span()
        pieces.append(text[last:start])
        out_len += start - last
        last = end
        char = text[start]
        if char in _DROP:
            dropped += end - start
            cuts.append(out_len)
            shifts.append(dropped)
        elif char.isdigit():
            pieces.append(str(unicodedata.decimal(char)))
            out_len += 1
        else:
            pieces.append(" ")
            out_len += 1
    pieces.append(text[last:])
    return Normalized("".join(pieces), tuple(cuts), tuple(shifts))
