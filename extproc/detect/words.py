"""How a word counts near a value: context words in its sentence, negative
words right before it."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Negative context words come right before a value: at most this many
# characters of punctuation and space between ('"version": "').
NEGATIVE_GAP = 4

# Command-line options between a command and its argument ("ssh -p 22 -i key").
_OPTIONS = re.compile(r"(?:[ \t]+-{1,2}[\w-]+(?:[ =][^\s-][^\s]*)?)+[ \t]*\Z")


def word_right_before(
    folded: str, start: int, words: tuple[str, ...], screen: re.Pattern[str]
) -> bool:
    """True if one of ``words`` ends right before ``start`` (punctuation or
    command-line options between)."""
    longest = len(words[0])  # the longest first (see build_scanner)
    ends = [start]
    if "-" in folded[max(0, start - 120) : start]:
        options = _OPTIONS.search(folded, max(0, start - 120), start)
        if options:
            ends.append(options.start())
    for limit in ends:
        # Cheap first: is any of the words right there at all?
        if screen.search(folded, max(0, limit - longest - NEGATIVE_GAP), limit) is None:
            continue
        # Every end within the gap: a word may be punctuation itself ("==").
        end = limit
        while True:
            for word in words:
                at = end - len(word)
                if (
                    at >= 0
                    and folded.startswith(word, at)
                    and not (at and word[0].isalnum() and folded[at - 1].isalnum())
                ):
                    return True
            if end == 0 or limit - end >= NEGATIVE_GAP or folded[end - 1].isalnum():
                break
            end -= 1
    return False


class Words:
    """Context words, each matched as a whole word: an alphanumeric edge must
    not be glued to another letter or digit ("key=" needs no boundary after)."""

    __slots__ = ("_any", "words")

    def __init__(self, words: tuple[str, ...]) -> None:
        self.words = words
        # Any of them, boundaries aside: one search screens most windows out.
        ordered = sorted(words, key=len, reverse=True)
        self._any = re.compile("|".join(map(re.escape, ordered)) if words else "(?!)")

    def __bool__(self) -> bool:
        return bool(self.words)

    def within(self, folded: str, low: int, high: int) -> bool:
        """True if one of the words lies within ``folded[low:high]``."""
        if low >= high or self._any.search(folded, low, high) is None:
            return False
        for word in self.words:
            at = folded.find(word, low, high)
            while at >= 0:
                after = at + len(word)
                glued_before = at > 0 and word[0].isalnum() and folded[at - 1].isalnum()
                glued_after = after < len(folded) and word[-1].isalnum() and folded[after].isalnum()
                if not glued_before and not glued_after:
                    return True
                at = folded.find(word, at + 1, high)
        return False


def heads(phrases: Iterable[str]) -> re.Pattern[str]:
    """The longest word of each phrase, as one pattern: it occurs, folded, in any
    text that names it (never matches when there are none)."""
    words = sorted({max(p.split(" "), key=len) for p in phrases if p}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)) if words else "(?!)")
