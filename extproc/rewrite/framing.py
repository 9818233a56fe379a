"""What every framing of a streamed answer (SSE, JSON streams, AWS event
streams) shares: bytes that may leave now, how a block is said, the text
stream of a body that is not its format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from extproc.rewrite.fields import FieldStreams, WholeScan
from extproc.rewrite.holdback import Holdback, Released
from extproc.rewrite.text import to_bytes, to_text
from extproc.rewrite.textfield import Field


@dataclass(frozen=True, slots=True)
class Out:
    data: bytes
    blocked: bool = False


# (dialect) -> (event name or None, JSON value): the error as the stream's last event.
ErrorOf = Callable[[str], tuple[str | None, Any]]


class TextRest:
    """What is left of a body that turned out not to be its format (a bad
    frame, text that is not JSON): one text stream, scanned as it flows; on a
    block, ``stop`` says the error in the framing's shape."""

    def __init__(self, holdback: Holdback, stop: Callable[[], str | bytes]) -> None:
        self._holdback = holdback
        self._stop = stop

    def feed(self, data: bytes | str, final: bool = False) -> Out:
        text = data if isinstance(data, str) else to_text(data)
        released = self._holdback.feed(text) if text else Released("")
        if final and not released.blocked:
            last = self._holdback.finish()
            released = Released(released.text + last.text, last.blocked)
        if released.blocked:
            said = self._stop()
            return Out(said if isinstance(said, bytes) else to_bytes(said), True)
        return Out(to_bytes(released.text))


class Framing:
    """What every framing's rewriter holds: the answer's text streams, how a
    block is said, and the text stream of a body that is not its format."""

    def __init__(
        self,
        new_holdback: Callable[[], Holdback],
        whole: WholeScan,
        error: ErrorOf,
        mirror: Callable[[], Holdback] | None = None,
    ) -> None:
        self._fields = FieldStreams(new_holdback, whole, mirror)
        self._new_holdback = new_holdback
        self._error = error
        self._raw: TextRest | None = None  # not the format after all: scanned as text

    @property
    def blocked(self) -> bool:
        return self._fields.blocked

    def observe(self, seen: Callable[[Field, str], None]) -> None:
        """Show ``seen`` every piece of text fed to a field (answer checks)."""
        self._fields.observe = seen
