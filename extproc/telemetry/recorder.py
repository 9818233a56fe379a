"""``extproc.recording.Recorder`` behind OpenTelemetry instruments.

Instruments are created once, in ``OtelRecorder``; every label value is an id
from the code or the policy (direction, decision, detector, action, policy),
never a path, host or matched value, so label sets stay bounded. A stream's
span is emitted when the stream ends, with its decision as attributes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from extproc.recording import DirectionSummary, Recorder

if TYPE_CHECKING:
    from opentelemetry.metrics import Meter
    from opentelemetry.trace import Tracer
    from opentelemetry.util.types import AttributeValue

# Seconds: a regex pass over a small prompt takes tens of microseconds, a
# megabyte body tens of milliseconds, and Envoy's message_timeout is 1 s.
DURATION_BUCKETS: tuple[float, ...] = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)
SPAN_NAME = "envoy.service.ext_proc.v3.ExternalProcessor/Process"

_RPC_ATTRIBUTES: dict[str, AttributeValue] = {
    "rpc.system": "grpc",
    "rpc.service": "envoy.service.ext_proc.v3.ExternalProcessor",
    "rpc.method": "Process",
}


@dataclass(slots=True)
class _Stream:
    """One ext_proc stream, as far as its span needs it."""

    owner: object  # the asyncio task serving the stream
    start_ns: int
    failed: set[str] = field(default_factory=set)
    traceparent: str = ""
    attributes: dict[str, AttributeValue] = field(default_factory=dict)


# grpc.aio serves each stream in its own task, so a context variable set when
# the stream starts is that stream's alone.
_CURRENT: ContextVar[_Stream | None] = ContextVar("extproc_stream", default=None)


def _task() -> object:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no event loop: tests and threads
        return None


def _stream() -> _Stream | None:
    state = _CURRENT.get()
    # Code run in another task (a cleanup, a callback) inherits a copy of the
    # context, so the state found may belong to a stream served elsewhere.
    if state is None or state.owner is not _task():
        return None
    return state


class OtelRecorder(Recorder):
    """The recorder behind real instruments; ``tracer`` None: no spans."""

    def __init__(self, meter: Meter, tracer: Tracer | None = None) -> None:
        self._tracer = tracer
        self._detections = meter.create_counter(
            "dlp.detections",
            unit="{detection}",
            description="Findings acted on, by detector, direction, action and policy",
        )
        self._requests = meter.create_counter(
            "dlp.requests",
            unit="{request}",
            description="Exchange directions by decision: pass, redacted, blocked, oversize, error",
        )
        self._scan = meter.create_histogram(
            "dlp.scan.duration",
            unit="s",
            description="Time spent scanning one direction of one exchange",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self._processing = meter.create_histogram(
            "dlp.processing.duration",
            unit="s",
            description="Time to answer one ext_proc message",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self._scanned = meter.create_counter(
            "dlp.scanned.bytes", unit="By", description="Body bytes scanned"
        )
        self._active = meter.create_up_down_counter(
            "dlp.streams.active", unit="{stream}", description="Open ext_proc streams"
        )
        self._reloads = meter.create_counter(
            "dlp.policy.reloads",
            unit="{reload}",
            description="Policy reloads by result: ok, or failed (the last good policy stays)",
        )
        self._budget_exceeded = meter.create_counter(
            "dlp.budget.exceeded",
            unit="{event}",
            description="Volume limits crossed, by detector, client class, action and scope "
            "(exchange: a rule's max_values; window: a per-client budget)",
        )
        self._budget_errors = meter.create_counter(
            "dlp.budget.errors",
            unit="{error}",
            description="Budget checks the store could not answer in time, by fail mode",
        )
        self._judge_calls = meter.create_counter(
            "dlp.judge.calls",
            unit="{call}",
            description="Judges asked, by judge and outcome: ok, cached, timeout, error, busy",
        )
        self._callers_refused = meter.create_counter(
            "dlp.callers.refused",
            unit="{call}",
            description="Calls refused because the client certificate names no allowed client",
        )

    def stream_started(self) -> None:
        self._active.add(1)
        _CURRENT.set(_Stream(_task(), time.time_ns() if self._tracer is not None else 0))

    def stream_ended(self) -> None:
        self._active.add(-1)
        state = _stream()
        if state is None:
            return
        _CURRENT.set(None)
        if self._tracer is not None:
            self._emit_span(state)

    def message_handled(self, direction: str, seconds: float) -> None:
        self._processing.record(seconds, {"direction": direction})

    def stream_failed(self, direction: str) -> None:
        self._requests.add(1, {"direction": direction, "decision": "error"})
        state = _stream()
        if state is not None:
            state.failed.add(direction)

    def exchange_done(
        self,
        policy: str,
        route_class: str,
        directions: Mapping[str, DirectionSummary],
        traceparent: str = "",
    ) -> None:
        state = _stream()
        failed = state.failed if state is not None else set()
        for direction, seen in directions.items():
            where = {"direction": direction}
            if direction not in failed:  # already counted as decision=error
                self._requests.add(1, {**where, "decision": seen.outcome})
            labels = {**where, "policy": policy}
            if route_class:
                labels["route_class"] = route_class
            for detector, count in seen.counts.items():
                action = seen.actions.get(detector, "")
                self._detections.add(count, {**labels, "detector": detector, "action": action})
            if seen.scanned_bytes:
                self._scanned.add(seen.scanned_bytes, where)
            if seen.scan_seconds > 0:
                self._scan.record(seen.scan_seconds, where)
        if state is not None and self._tracer is not None:
            state.traceparent = traceparent
            state.attributes.update(span_attributes(policy, route_class, directions))

    def policy_reload(self, ok: bool) -> None:
        self._reloads.add(1, {"result": "ok" if ok else "failed"})

    def budget_exceeded(self, detector: str, client_class: str, action: str, scope: str) -> None:
        labels = {"detector": detector, "client_class": client_class, "action": action}
        self._budget_exceeded.add(1, {**labels, "scope": scope})

    def budget_error(self, fail_mode: str) -> None:
        self._budget_errors.add(1, {"fail_mode": fail_mode})

    def judge_call(self, judge: str, outcome: str) -> None:
        self._judge_calls.add(1, {"judge": judge, "outcome": outcome})

    def caller_refused(self) -> None:
        self._callers_refused.add(1)

    def _emit_span(self, state: _Stream) -> None:
        from opentelemetry.context import Context
        from opentelemetry.trace import SpanKind, Status, StatusCode
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        assert self._tracer is not None
        parent = Context()  # a root span, not whatever context happens to be current
        if state.traceparent:
            carrier = {"traceparent": state.traceparent}
            parent = TraceContextTextMapPropagator().extract(carrier, parent)
        attributes = {**_RPC_ATTRIBUTES, **state.attributes}
        if state.failed:
            attributes["error.type"] = "processing_failed"
            attributes["dlp.failed_direction"] = sorted(state.failed)
        span = self._tracer.start_span(
            SPAN_NAME,
            context=parent,
            kind=SpanKind.SERVER,
            attributes=attributes,
            start_time=state.start_ns,
        )
        if state.failed:
            span.set_status(Status(StatusCode.ERROR))
        span.end()


def span_attributes(
    policy: str, route_class: str, directions: Mapping[str, DirectionSummary]
) -> dict[str, AttributeValue]:
    """The decision attributes of a stream's span: ids and counts only."""
    out: dict[str, AttributeValue] = {"dlp.policy": policy}
    if route_class:
        out["dlp.route_class"] = route_class
    for direction, seen in directions.items():
        out[f"dlp.{direction}.decision"] = seen.outcome
        out[f"dlp.{direction}.findings"] = sum(seen.counts.values())
        out[f"dlp.{direction}.scanned_bytes"] = seen.scanned_bytes
        if seen.counts:
            out[f"dlp.{direction}.detectors"] = sorted(seen.counts)
    return out
