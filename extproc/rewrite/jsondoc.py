"""The sinks of one JSON document streamed through ``rewrite.jsonscan``:
every string through one text stream, or none (strings copied as they are).
"""

from __future__ import annotations

from extproc.rewrite.jsonsink import Frame, HoldbackSink, Path, Sink
from extproc.rewrite.leaves import Role, role_at


class DocumentSinks(HoldbackSink):
    """A document's strings: one text stream (context carries over), ended
    with each string; media copied as is."""

    def __call__(self, path: Path, logical: Path, frames: list[Frame]) -> Sink | None:
        return None if role_at(path, None) is Role.MEDIA else self


def copy_strings(_path: Path, _logical: Path, _frames: list[Frame]) -> Sink | None:
    return None  # strings copied: the rewriter only finds where the value ends
