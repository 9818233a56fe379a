"""Logs, metrics and traces: set up once per process.

Log records carry decisions and detector ids, never matched values: callers
pass structured ``extra`` fields, and this module only formats them.

Metrics and traces implement ``extproc.recording.Recorder`` with the
OpenTelemetry SDK. ``setup_telemetry`` reads the standard ``OTEL_*``
environment (endpoint, protocol, export interval, resource) and two settings
(``prometheus_listen``, ``traces``); with nothing configured it returns the
no-op recorder: no SDK objects, no threads, no exports. Instruments are
created once, in ``OtelRecorder``; every label value is an id from the code or
the policy (direction, decision, detector, action, policy), never a path,
host or matched value, so label sets stay bounded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from extproc.recording import NOOP, DirectionSummary, Recorder

if TYPE_CHECKING:
    from opentelemetry.metrics import Meter
    from opentelemetry.sdk.metrics.export import MetricExporter, MetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer
    from opentelemetry.util.types import AttributeValue

    from extproc.settings import Settings

log = logging.getLogger("extproc.telemetry")

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {
    "message",
    "asctime",
    "taskName",
}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """Time, level, logger, message, then the structured extras. Of an
    exception only its type: messages of third-party errors may quote input."""
    out: dict[str, Any] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        + f".{int(record.msecs):03d}Z",
        "level": record.levelname.lower(),
        "logger": record.name,
        "message": record.getMessage(),
    }
    for key, value in vars(record).items():
        if key not in _STANDARD and not key.startswith("_"):
            out[key] = value
    if record.exc_info and record.exc_info[0] is not None:
        out["error"] = record.exc_info[0].__name__
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time level logger message key=value ...`` for people at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        head = " ".join(str(fields.pop(k)) for k in ("time", "level", "logger", "message"))
        rest = " ".join(
            f"{k}={json.dumps(v, default=str, ensure_ascii=False, separators=(',', ':'))}"
            for k, v in fields.items()
        )
        return f"{head} {rest}" if rest else head


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


# -- metrics and traces ----------------------------------------------------

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
DEFAULT_SERVICE_NAME = "extproc-dlp"
SCOPE = "extproc"
SPAN_NAME = "envoy.service.ext_proc.v3.ExternalProcessor/Process"
PROTOCOLS = ("grpc", "http/protobuf")
SHUTDOWN_MILLIS = 5_000

_RPC_ATTRIBUTES: dict[str, AttributeValue] = {
    "rpc.system": "grpc",
    "rpc.service": "envoy.service.ext_proc.v3.ExternalProcessor",
    "rpc.method": "Process",
}


class TelemetryError(ValueError):
    """The telemetry configuration cannot work (said before serving starts)."""


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
    # An async generator finalised by the garbage collector runs its cleanup
    # in a task of its own, whose context may belong to another stream.
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


# -- setup -------------------------------------------------------------------


@dataclass(slots=True)
class Telemetry:
    """The process's recorder and what must be flushed and closed on exit."""

    recorder: Recorder = NOOP
    prometheus_port: int | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    def shutdown(self) -> None:
        """Export what is still buffered (spans, then a last metric collection)."""
        while self.closers:
            close = self.closers.pop(0)
            try:
                close()
            except Exception:  # one failed flush must not keep the others
                log.exception("telemetry shutdown step failed")


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def _disabled(signal: str) -> bool:
    return _env("OTEL_SDK_DISABLED").lower() == "true" or _env(f"OTEL_{signal}_EXPORTER") == "none"


def _has_endpoint(signal: str) -> bool:
    return bool(
        _env(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT") or _env("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def otlp_protocol(signal: str) -> str:
    """``grpc`` (the default, as in OpenTelemetry's Python distribution) or
    ``http/protobuf``, per signal (``METRICS``, ``TRACES``) or for all."""
    name = f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL"
    value = _env(name) or _env("OTEL_EXPORTER_OTLP_PROTOCOL") or "grpc"
    if value not in PROTOCOLS:
        source = name if _env(name) else "OTEL_EXPORTER_OTLP_PROTOCOL"
        raise TelemetryError(f"{source}: expected one of {', '.join(PROTOCOLS)}, got {value!r}")
    return value


def _metric_exporter(protocol: str) -> MetricExporter:
    # Both exporters read endpoint, headers, timeout, TLS and compression from
    # the OTEL_EXPORTER_OTLP_[METRICS_]* variables themselves.
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter()
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
        OTLPMetricExporter as HttpMetricExporter,
    )

    return HttpMetricExporter()


def _span_exporter(protocol: str) -> SpanExporter:
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HttpSpanExporter,
    )

    return HttpSpanExporter()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("extproc-dlp")
    except PackageNotFoundError:
        return "0"


def _resource() -> Resource:
    """OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, with our name as default."""
    from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource

    resource = Resource.create()
    extra: dict[str, AttributeValue] = {}
    name = resource.attributes.get(SERVICE_NAME)
    if not isinstance(name, str) or name.startswith("unknown_service"):
        extra[SERVICE_NAME] = DEFAULT_SERVICE_NAME
    if SERVICE_VERSION not in resource.attributes:
        extra[SERVICE_VERSION] = _version()
    return resource.merge(Resource(extra))


def _prometheus(listen: str) -> tuple[MetricReader, int, Callable[[], None]]:
    try:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import CollectorRegistry, start_http_server
    except ImportError:
        raise TelemetryError(
            "--prometheus-listen needs the opentelemetry-exporter-prometheus package "
            "(pip install 'extproc-dlp[prometheus]')"
        ) from None
    registry = CollectorRegistry()  # ours alone: no process-global collectors
    reader = PrometheusMetricReader(registry=registry)
    host, _, port = listen.rpartition(":")
    server, thread = start_http_server(int(port), host.strip("[]"), registry=registry)

    def close() -> None:
        server.shutdown()
        server.server_close()
        thread.join(1.0)

    return reader, server.server_port, close


def setup_telemetry(settings: Settings) -> Telemetry:
    """The recorder for this process, from the OTEL_* environment and settings.

    Metrics go over OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or the
    ``..._METRICS_ENDPOINT``) is set, and to a Prometheus scrape endpoint when
    ``prometheus_listen`` is; spans go over OTLP when ``traces`` is on.
    Neither: the no-op recorder. Call ``shutdown`` once serving has stopped.
    """
    metrics_otlp = _has_endpoint("METRICS") and not _disabled("METRICS")
    traces = settings.traces and not _disabled("TRACES")
    prometheus = settings.prometheus_listen is not None and not _disabled("METRICS")
    if not (metrics_otlp or traces or prometheus):
        return Telemetry()
    metrics_protocol = otlp_protocol("METRICS") if metrics_otlp else ""
    traces_protocol = otlp_protocol("TRACES") if traces else ""

    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    telemetry = Telemetry()
    resource = _resource()
    readers: list[MetricReader] = []
    if metrics_otlp:
        # The interval comes from OTEL_METRIC_EXPORT_INTERVAL (ms, default 60000).
        readers.append(PeriodicExportingMetricReader(_metric_exporter(metrics_protocol)))
    if prometheus:
        assert settings.prometheus_listen is not None
        reader, port, close_endpoint = _prometheus(settings.prometheus_listen)
        readers.append(reader)
        telemetry.prometheus_port = port
    tracer: Tracer | None = None
    if traces:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
        tracer_provider.add_span_processor(BatchSpanProcessor(_span_exporter(traces_protocol)))
        tracer = tracer_provider.get_tracer(SCOPE, _version())
        telemetry.closers.append(tracer_provider.shutdown)
    meter_provider = MeterProvider(
        metric_readers=readers, resource=resource, shutdown_on_exit=False
    )
    telemetry.closers.append(lambda: meter_provider.shutdown(timeout_millis=SHUTDOWN_MILLIS))
    if prometheus:
        telemetry.closers.append(close_endpoint)
    telemetry.recorder = OtelRecorder(meter_provider.get_meter(SCOPE, _version()), tracer)
    log.info(
        "telemetry",
        extra={
            "metrics_otlp": metrics_protocol or "off",
            "traces_otlp": traces_protocol or "off",
            "prometheus_port": telemetry.prometheus_port,
        },
    )
    return telemetry
