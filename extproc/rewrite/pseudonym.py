"""Placeholders out, originals back, for one exchange.

A value found in a request is replaced by ``<KIND_N>``: ``<EMAIL_1>``,
``<CREDIT_CARD_2>``. Models carry such tokens through their answers well
(angle brackets and capitals read as a name for something, not as prose to
rephrase), and the kind keeps the sentence meaningful ("write to <EMAIL_1>").
The same value always gets the same placeholder within the exchange, so a
multi-turn chat that repeats a value stays consistent.

Collisions with real text: numbers already used by placeholder-shaped tokens
in the request are skipped, and only placeholders issued here are restored;
one the model invents or alters (``<EMAIL_7>``, ``<EMAIL 1>``) stays as is.
The map lives in memory for the exchange only, bounded, and is never logged.
"""

from __future__ import annotations

import re

_SHAPE = re.compile(r"<([A-Z][A-Z0-9_]*)_(\d{1,6})>")
MAX_VALUES = 1000


def kind_of(detector: str) -> str:
    """``pii/credit_card`` -> ``CREDIT_CARD``; ``custom/employee_id`` -> ``EMPLOYEE_ID``."""
    name = detector.rsplit("/", 1)[-1]
    kind = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()
    return kind or "VALUE"


class Pseudonyms:
    def __init__(self, max_values: int = MAX_VALUES) -> None:
        self._by_value: dict[tuple[str, str], str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._next: dict[str, int] = {}
        self._taken: set[str] = set()
        self._max = max_values
        self._pattern: re.Pattern[str] | None = None
        self._longest = 0

    def __len__(self) -> int:
        return len(self._by_placeholder)

    def reserve(self, text: str) -> None:
        """Note placeholder-shaped tokens already in the text, so none is reused."""
        if "<" in text:
            self._taken.update(m.group() for m in _SHAPE.finditer(text))

    def placeholder(self, detector: str, value: str) -> str | None:
        """The placeholder for ``value``; None when the map is full."""
        kind = kind_of(detector)
        key = (kind, value)
        found = self._by_value.get(key)
        if found is not None:
            return found
        if len(self._by_placeholder) >= self._max:
            return None
        n = self._next.get(kind, 0)
        while True:
            n += 1
            candidate = f"<{kind}_{n}>"
            if candidate not in self._taken:
                break
        self._next[kind] = n
        self._by_value[key] = candidate
        self._by_placeholder[candidate] = value
        self._pattern = None
        self._longest = max(self._longest, len(candidate))
        return candidate

    def restore(self, text: str) -> str:
        """Issued placeholders in ``text`` replaced by their originals."""
        if not self._by_placeholder or "<" not in text:
            return text
        if self._pattern is None:
            alternatives = sorted(self._by_placeholder, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(p) for p in alternatives))
        return self._pattern.sub(lambda m: self._by_placeholder[m.group()], text)

    def pending(self, text: str) -> int:
        """How many characters at the end of ``text`` could begin an issued placeholder."""
        if not self._by_placeholder:
            return 0
        start = text.rfind("<", max(0, len(text) - self._longest))
        if start < 0:
            return 0
        tail = text[start:]
        if any(p.startswith(tail) for p in self._by_placeholder):
            return len(tail)
        return 0
