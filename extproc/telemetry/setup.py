"""Telemetry set up once per process, from the standard ``OTEL_*``
environment (endpoint, protocol, export interval, resource) and two settings
(``prometheus_listen``, ``traces``). With nothing configured: the no-op
recorder, no SDK objects, no threads, no exports.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from extproc.recording import NOOP, Recorder
from extproc.telemetry.recorder import OtelRecorder

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricExporter, MetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer
    from opentelemetry.util.types import AttributeValue

    from extproc.settings import Settings

log = logging.getLogger("extproc.telemetry")

DEFAULT_SERVICE_NAME = "extproc-dlp"
SCOPE = "extproc"
PROTOCOLS = ("grpc", "http/protobuf")
SHUTDOWN_MILLIS = 5_000


class TelemetryError(ValueError):
    """The telemetry configuration cannot work (said before serving starts)."""


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
