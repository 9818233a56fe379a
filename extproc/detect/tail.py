"""How much of a stream's end could still grow into a match.

A streaming scanner releases everything except this tail. It must never be
too short (a value would leave in part) and should be as short as possible
(every held character delays the client). The rules follow the alphabets of
the detectors' values:

* tokens without spaces (emails, keys, tokens, IPs, JWTs, compact IBANs):
  the trailing run of non-space characters;
* numbers written in groups (cards, phones, SSNs, spaced IBANs): the
  trailing run of digits (any script), capitals, spaces (no-break and thin
  ones too), ``-().+/``, zero-width characters and the escapes that hide a
  digit or a space (``&#52;``, ``%20``, ``\\u0034``), capped in *decoded*
  characters so an encoded value is held as long as its plain form;
* an open PEM block (``-----BEGIN`` without its ``-----END`` yet): all of it;
* a bare digit run, which counts only with context that may still follow
  ("4155552671 is my cell"): from the run on, until its sentence ends or
  ``WINDOW`` characters have passed;
* phrases (keyword lists, custom patterns that allow spaces): the longest
  end that is the start of a phrase, or, for patterns, their whole reach.

Each rule is capped by the longest value its detectors can match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from extproc.detect.context import WINDOW
from extproc.detect.spec import DetectorSpec

_NON_SPACE = re.compile(r"\S*\Z")
_ZERO_WIDTH = "\u00ad\u200b-\u200d\u2060\ufeff"
_ESCAPE = r"&#[xX]?[0-9A-Fa-f]{1,7};?|%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}"
# ``&#;%\\xu`` also hold an escape still arriving ("&#5", "%2").
_GROUPED = re.compile(f"[\\dA-Z\\s\\-().+/{_ZERO_WIDTH}&#;%\\\\xu]*\\Z")
# One decoded character: an escape or a character, with any zero-width ones after it.
_DECODED_CHAR = re.compile(f"(?:{_ESCAPE}|.)[{_ZERO_WIDTH}]*", re.S)
# Escapes make a value longer than its decoded form; &#x00034; is 9 for 1.
_ESCAPE_WIDTH = 9
_PEM_BEGIN = "-----BEGIN"
_PEM_CLOSED = re.compile(r"-----END[ A-Z0-9]*-----")
_SPACE_IN_PATTERN = re.compile(r"\\s| |\.|\[\^")
# A bare digit run whose sentence has not ended within WINDOW characters after it.
_AWAITING = re.compile(f"(?<![0-9A-Za-z])[0-9]{{7,19}}(?![0-9A-Za-z])[^.!?\\n]{{0,{WINDOW}}}\\Z")


def _trailing(pattern: re.Pattern[str], text: str, cap: int) -> int:
    window = text[-cap:] if cap < len(text) else text
    m = pattern.search(window)
    return len(m.group()) if m else 0


def _grouped(text: str, cap: int) -> int:
    """The trailing grouped run of ``text``, at most ``cap`` decoded characters."""
    run = _trailing(_GROUPED, text, cap * _ESCAPE_WIDTH)
    if run <= cap:
        return run
    chars = _DECODED_CHAR.findall(text, len(text) - run)
    return sum(len(char) for char in chars[-cap:])


def _phrase_prefix(text: str, phrases: Sequence[str], longest: int) -> int:
    """Length of the longest end of ``text`` that begins some phrase (case-folded)."""
    end = text[-longest:].lower()
    best = 0
    for i in range(len(end)):
        piece = end[i:]
        if any(p.startswith(piece) for p in phrases):
            best = len(piece)
            break
    return best


def build_tail(specs: Sequence[DetectorSpec], cap: int) -> Callable[[str], int]:
    """A function giving, for a text, how many characters at its end to hold."""
    token_cap = grouped_cap = pem_cap = pattern_cap = 0
    awaits = any(spec.needs_context is not None for spec in specs)
    phrases: list[str] = []
    for spec in specs:
        reach = min(spec.max_len, cap)
        if any(k.startswith(_PEM_BEGIN) for k in spec.keywords):
            pem_cap = max(pem_cap, reach)
        elif spec.id.startswith("keyword/"):
            phrases.extend(k.lower() for k in spec.keywords)
        elif not spec.builtin and _SPACE_IN_PATTERN.search(spec.pattern):
            pattern_cap = max(pattern_cap, reach)
        token_cap = max(token_cap, reach)
        grouped_cap = max(grouped_cap, min(reach, 64))
    longest_phrase = max((len(p) for p in phrases), default=0)

    def tail(text: str) -> int:
        hold = _trailing(_NON_SPACE, text, token_cap)
        hold = max(hold, _grouped(text, grouped_cap))
        if pem_cap:
            # ("-----BEG" still arriving is a token run, held by the first rule.)
            begin = text.rfind(_PEM_BEGIN, max(0, len(text) - pem_cap))
            if begin >= 0 and not _PEM_CLOSED.search(text, begin):
                hold = max(hold, len(text) - begin)
        if phrases:
            hold = max(hold, _phrase_prefix(text, phrases, longest_phrase))
        if awaits:
            waiting = _AWAITING.search(text, max(0, len(text) - WINDOW - 20))
            if waiting:
                hold = max(hold, len(text) - waiting.start())
        if pattern_cap:
            hold = max(hold, min(pattern_cap, len(text)))
        return min(hold, len(text))

    return tail
