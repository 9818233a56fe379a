"""``extproc serve --passthrough``: the no-op processor, and it says so.

It inspects nothing and lets everything through (the benchmarks' baseline),
answering every message as ``exchange.PassInspector`` does. So that nobody
mistakes it for a filter, every exchange is labelled: Envoy's dynamic
metadata carries ``policy: passthrough`` and ``decision: passthrough`` (the
access log shows it), ``dlp.requests`` counts it with
``decision="passthrough"``, and its span has ``dlp.policy: passthrough``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from extproc.policy.model import Direction
from extproc.recording import Recorder
from extproc.verdicts import BodyMode, BodyStream, Headers, PassInspector, Verdict

PASSTHROUGH = "passthrough"
REQUEST = Direction.REQUEST


@dataclass(frozen=True, slots=True)
class Unscanned:
    """What a direction found when nothing looked (a ``recording.DirectionSummary``)."""

    counts: Mapping[str, int] = field(default_factory=dict)
    actions: Mapping[str, str] = field(default_factory=dict)
    scanned_bytes: int = 0
    scan_seconds: float = 0.0
    outcome: str = PASSTHROUGH


UNSCANNED = Unscanned()
METADATA: dict[str, object] = {"policy": PASSTHROUGH, "decision": PASSTHROUGH}
_LABELLED = Verdict(metadata=METADATA)
_CONTINUE = Verdict()


class PassThroughInspector:
    """One per exchange: passes everything, remembers only which directions it saw."""

    __slots__ = ("_pass", "_recorder", "_seen", "_traceparent")

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self._pass = PassInspector()
        self._seen: list[str] = []
        self._traceparent = ""

    def headers(
        self, direction: Direction, headers: Headers, end_of_stream: bool, mode: BodyMode
    ) -> Verdict:
        self._seen.append(direction.value)
        if direction is not REQUEST:
            return _CONTINUE
        self._traceparent = headers.get("traceparent", "")
        # Once per exchange: Envoy keeps the metadata for the access log.
        return _LABELLED

    def body(self, direction: Direction, body: bytes, complete: bool) -> Verdict:
        return self._pass.body(direction, body, complete)

    def stream(self, direction: Direction) -> BodyStream:
        return self._pass.stream(direction)

    def close(self) -> dict[str, object]:
        seen = {direction: UNSCANNED for direction in self._seen}
        self._recorder.exchange_done(PASSTHROUGH, "", seen, self._traceparent)
        return dict.fromkeys(self._seen, PASSTHROUGH)
