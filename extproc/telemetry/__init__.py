"""Logs, metrics and traces: log formatting (``logs``), the recorder behind
OpenTelemetry instruments (``recorder``), and the per-process setup from the
``OTEL_*`` environment and settings (``setup``). Matched values never reach
any of them: only ids, counts and durations.
"""

from extproc.telemetry.logs import JsonFormatter, TextFormatter, configure_logging
from extproc.telemetry.recorder import DURATION_BUCKETS, SPAN_NAME, OtelRecorder, span_attributes
from extproc.telemetry.setup import Telemetry, TelemetryError, otlp_protocol, setup_telemetry

__all__ = [
    "DURATION_BUCKETS",
    "SPAN_NAME",
    "JsonFormatter",
    "OtelRecorder",
    "Telemetry",
    "TelemetryError",
    "TextFormatter",
    "configure_logging",
    "otlp_protocol",
    "setup_telemetry",
    "span_attributes",
]
