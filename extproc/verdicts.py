"""What an inspector answers and the exchange replies: the plain data
between the ext_proc state machine (``extproc.exchange``) and the inspectors
that decide about content (``extproc.dlp``, ``extproc.passthrough``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

from extproc.policy.model import Direction


class BodyMode(IntEnum):
    """Envoy's ``ProcessingMode.BodySendMode``, as plain Python."""

    NONE = 0
    STREAMED = 1
    BUFFERED = 2
    BUFFERED_PARTIAL = 3
    FULL_DUPLEX_STREAMED = 4
    GRPC = 5

    @property
    def streaming(self) -> bool:
        return self in (BodyMode.STREAMED, BodyMode.FULL_DUPLEX_STREAMED, BodyMode.GRPC)


Headers = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Immediate:
    """An answer Envoy sends to the client instead of going on."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    details: str = ""


@dataclass(slots=True)
class Reply:
    """The answer to one phase. Empty means: continue unchanged."""

    set_headers: list[tuple[str, str]] = field(default_factory=list)
    remove_headers: list[str] = field(default_factory=list)
    body: bytes | None = None  # replaces what this message carried; None = unchanged
    # FULL_DUPLEX_STREAMED: ``body`` is sent as a streamed response, ending the
    # body when ``end_of_stream``. A streamed reply to trailers answers the body.
    streamed: bool = False
    end_of_stream: bool = False
    immediate: Immediate | None = None
    # mode_override (only honoured in answers to headers)
    request_body_mode: BodyMode | None = None
    response_body_mode: BodyMode | None = None
    metadata: dict[str, object] | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an inspector says about headers or a piece of body."""

    data: bytes | None = None  # bytes to send on (None: the input unchanged)
    set_headers: tuple[tuple[str, str], ...] = ()
    remove_headers: tuple[str, ...] = ()
    block: Immediate | None = None  # set: stop the exchange with this answer
    body_mode: BodyMode | None = None  # headers only: the body mode this direction needs
    metadata: dict[str, object] | None = None  # for Envoy's dynamic metadata (access logs)


class BodyStream(Protocol):
    """Incremental inspection of one body. ``feed`` may hold bytes back;
    ``finish`` returns what is still held. After a verdict with ``block``,
    its ``data`` is the in-stream end (for example an SSE error event)."""

    def feed(self, chunk: bytes) -> Verdict: ...

    def finish(self) -> Verdict: ...


class Inspector(Protocol):
    """The content side of one exchange (see ``extproc.dlp``).

    ``headers`` gets the body mode configured for that direction; its verdict
    may ask for another (``body_mode``)."""

    def headers(
        self, direction: Direction, headers: Headers, end_of_stream: bool, mode: BodyMode
    ) -> Verdict: ...

    def body(self, direction: Direction, body: bytes, complete: bool) -> Verdict: ...

    def stream(self, direction: Direction) -> BodyStream: ...

    def close(self) -> dict[str, object]: ...


class PassInspector:
    """Inspects nothing: the no-op processor (benchmarks, and ``--policy`` absent)."""

    def headers(
        self, direction: Direction, headers: Headers, end_of_stream: bool, mode: BodyMode
    ) -> Verdict:
        return _CONTINUE

    def body(self, direction: Direction, body: bytes, complete: bool) -> Verdict:
        return _CONTINUE

    def stream(self, direction: Direction) -> BodyStream:
        return _PassStream()

    def close(self) -> dict[str, object]:
        return {}


class _PassStream:
    def feed(self, chunk: bytes) -> Verdict:
        return _CONTINUE

    def finish(self) -> Verdict:
        return _CONTINUE


_CONTINUE = Verdict()
