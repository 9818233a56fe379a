"""What every framing of a streamed answer (SSE, JSON streams, AWS event
streams) hands back: bytes that may leave now, and how a block is said."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Out:
    data: bytes
    blocked: bool = False


# (dialect) -> (event name or None, JSON value): the error as the stream's last event.
ErrorOf = Callable[[str], tuple[str | None, Any]]
