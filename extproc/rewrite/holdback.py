"""Incremental scanning of one text stream: hold back only what could still
become (or extend) a match, release everything else at once.

A value split over chunks is found when its last piece arrives, because the
held tail is scanned again together with the next chunk; nothing of it has
left before then. The tail is at most ``hold`` characters: a match that
starts earlier than that ends inside the buffer (no detector matches more
than ``hold`` characters), so it is already decided.

``inspect(text) -> Inspected`` does the scanning and deciding (policy); this
module only cuts and splices. ``hold`` is either that bound or a function
giving, for the current text, the tail that could still become a match
(``extproc.detect.tail``), which is usually only the last word. Already
released text is kept as context, never re-emitted: as far back as the
scanner looks for context (a field name such as ``secret_key =``, a word
such as "SSN", an AWS key id 256 characters before the secret key that has
no name), so a value is judged in a stream as it would be in one piece.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from extproc.detect.finding import Finding
from extproc.detect.scanner import CONTEXT_REACH
from extproc.policy.model import Action

CONTEXT_KEEP = CONTEXT_REACH


@dataclass(frozen=True, slots=True)
class Inspected:
    acted: Sequence[tuple[Finding, Action]]  # sorted, non-overlapping
    blocked: bool = False


@dataclass(frozen=True, slots=True)
class Released:
    text: str
    blocked: bool = False
    source: int = 0  # how many characters of the original text this release stands for


Inspect = Callable[[str], Inspected]
Rewrite = Callable[[str, Sequence[tuple[Finding, Action]], int], str]
Tail = Callable[[str], int]  # text -> how many characters at its end may still grow


def _fixed(n: int) -> Tail:
    def tail(_text: str) -> int:
        return max(0, n)

    return tail


class Holdback:
    def __init__(self, inspect: Inspect, rewrite: Rewrite, hold: int | Tail) -> None:
        self._inspect = inspect
        self._rewrite = rewrite
        self._tail: Tail = hold if callable(hold) else _fixed(hold)
        self._context = ""  # released original text, for context only
        self._pending = ""  # not yet released
        self.blocked = False

    def feed(self, text: str) -> Released:
        if self.blocked:
            return Released("", True)
        self._pending += text
        return self._release(final=False)

    def finish(self) -> Released:
        if self.blocked:
            return Released("", True)
        return self._release(final=True)

    def _release(self, final: bool) -> Released:
        ctx = self._context
        buffer = ctx + self._pending
        if not self._pending:
            return Released("")
        inspected = self._inspect(buffer)
        if inspected.blocked:
            self.blocked = True
            self._pending = ""
            return Released("", True)
        cut = len(buffer) if final else max(len(ctx), len(buffer) - self._tail(buffer))
        acted: list[tuple[Finding, Action]] = []
        for finding, action in inspected.acted:
            if finding.start < len(ctx):
                continue  # decided when it was released
            if finding.start < cut < finding.end:
                cut = finding.start  # never release part of a value
            if finding.end <= cut:
                acted.append((finding, action))
        released = buffer[len(ctx) : cut]
        self._pending = buffer[cut:]
        self._context = (ctx + released)[-CONTEXT_KEEP:]
        if not released:
            return Released("")
        return Released(self._rewrite(released, acted, len(ctx)), source=len(released))
