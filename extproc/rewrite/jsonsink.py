"""What the streaming JSON rewriter (``rewrite.jsonscan``) and its sinks
share: a string's path, the open frames, the sink a path opens, the text a
sink still holds with its raw form, a sink through one hold-back, and JSON
string escaping.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from extproc.rewrite.holdback import Holdback, Released

Path = tuple[str | int, ...]


class Sink(Protocol):
    """A string's text stream: ``feed`` and ``end`` return (released text,
    how many original characters it stands for), or None when that blocks."""

    def feed(self, text: str) -> tuple[str, int] | None: ...

    def end(self) -> tuple[str, int] | None: ...


@dataclass(slots=True)
class Frame:
    """An open object or array."""

    kind: str  # "{" or "["
    path: Path
    logical: Path
    state: str  # what comes next: key, colon, value, comma
    key: str = ""
    count: int = 0  # array items so far
    scalars: dict[str, object] = field(default_factory=dict)  # small values seen so far


# (path, logical path, open frames) -> the string's sink, or None to copy it as is.
Opener = Callable[[Path, Path, list[Frame]], Sink | None]


class NotJson(ValueError):
    """The text stopped being JSON at this point."""


class Pending:
    """Decoded text handed to a sink but not yet released, with its raw form."""

    __slots__ = ("decoded", "runs")

    def __init__(self) -> None:
        self.runs: list[tuple[str, str]] = []  # (decoded, raw)
        self.decoded = 0

    def add(self, decoded: str, raw: str) -> None:
        self.runs.append((decoded, raw))
        self.decoded += len(decoded)

    def take(self, n: int) -> tuple[str, str]:
        """The first ``n`` decoded characters and their raw form, removed."""
        dec: list[str] = []
        raw: list[str] = []
        while n > 0 and self.runs:
            d, r = self.runs[0]
            if len(d) <= n:
                dec.append(d)
                raw.append(r)
                n -= len(d)
                self.runs.pop(0)
            else:  # only plain runs are longer than one character: raw == decoded
                dec.append(d[:n])
                raw.append(r[:n])
                self.runs[0] = (d[n:], r[n:])
                n = 0
        text = "".join(dec)
        self.decoded -= len(text)
        return text, "".join(raw)


def escape(text: str) -> str:
    """``text`` as the inside of a JSON string."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


class HoldbackSink:
    """A string's text through one hold-back, ended with the string;
    ``on_block`` is told when it blocks."""

    def __init__(self, holdback: Holdback, on_block: Callable[[], None]) -> None:
        self._holdback = holdback
        self._on_block = on_block

    def _pair(self, released: Released) -> tuple[str, int] | None:
        if released.blocked:
            self._on_block()
            return None
        return released.text, released.source

    def feed(self, text: str) -> tuple[str, int] | None:
        return self._pair(self._holdback.feed(text))

    def end(self) -> tuple[str, int] | None:
        return self._pair(self._holdback.finish())
