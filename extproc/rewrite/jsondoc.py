"""The sinks of one JSON document streamed through ``rewrite.jsonscan``:
every string through one text stream, or none (strings copied as they are).
"""

from __future__ import annotations

from collections.abc import Callable

from extproc.rewrite.holdback import Holdback, Released
from extproc.rewrite.jsonsink import Frame, Path, Sink
from extproc.rewrite.leaves import Role, role_at


class DocumentSinks:
    """A document's strings: one text stream (context carries over), ended
    with each string; media copied as is."""

    def __init__(self, holdback: Holdback, on_block: Callable[[], None]) -> None:
        self._holdback = holdback
        self._on_block = on_block

    def __call__(self, path: Path, logical: Path, frames: list[Frame]) -> Sink | None:
        return None if role_at(path, None) is Role.MEDIA else self

    def _pair(self, released: Released) -> tuple[str, int] | None:
        if released.blocked:
            self._on_block()
            return None
        return released.text, released.source

    def feed(self, text: str) -> tuple[str, int] | None:
        return self._pair(self._holdback.feed(text))

    def end(self) -> tuple[str, int] | None:
        return self._pair(self._holdback.finish())


def copy_strings(_path: Path, _logical: Path, _frames: list[Frame]) -> Sink | None:
    return None  # strings copied: the rewriter only finds where the value ends
