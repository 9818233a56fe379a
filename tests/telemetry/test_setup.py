"""setup_telemetry from the standard OTEL_* environment, to a real OTLP receiver."""

from __future__ import annotations

import sys
import urllib.request
from collections.abc import Iterator

import pytest

from extproc import cli
from extproc import telemetry as telemetry_mod
from extproc.recording import NOOP
from extproc.settings import Settings, SettingsError, resolve
from extproc.telemetry import DURATION_BUCKETS, Telemetry, TelemetryError, setup_telemetry
from tests.telemetry.receiver import OtlpReceiver
from tests.telemetry.test_recorder import CLEAN_PROMPT, SSN_ANSWER, TRACEPARENT

OTEL_VARS = (
    "OTEL_SDK_DISABLED",
    "OTEL_METRICS_EXPORTER",
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_METRIC_EXPORT_INTERVAL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTEL_VARS:
        monkeypatch.delenv(name, raising=False)
    # Long enough that only the shutdown flush can deliver what a test checks.
    monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "60000")


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as r:
        yield r


@pytest.fixture
def fresh(receiver: OtlpReceiver) -> OtlpReceiver:
    receiver.metrics.clear()
    receiver.traces.clear()
    return receiver


def exercise(t: Telemetry) -> None:
    r = t.recorder
    r.stream_started()
    r.message_handled("response", 0.001)
    r.exchange_done("default", "", {"request": CLEAN_PROMPT, "response": SSN_ANSWER}, TRACEPARENT)
    r.stream_ended()
    r.policy_reload(True)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"OTEL_SERVICE_NAME": "dlp"},  # naming the service configures no exporter
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_SDK_DISABLED": "true"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_METRICS_EXPORTER": "none"},
    ],
)
def test_nothing_configured_is_the_noop_recorder(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    t = setup_telemetry(Settings())
    assert t.recorder is NOOP
    assert t.closers == []


def test_unknown_protocol_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
    with pytest.raises(TelemetryError, match=r"OTEL_EXPORTER_OTLP_PROTOCOL: expected one of"):
        setup_telemetry(Settings())


def test_grpc_export_flushes_on_shutdown(
    monkeypatch: pytest.MonkeyPatch, fresh: OtlpReceiver
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", fresh.grpc_endpoint)
    t = setup_telemetry(Settings())
    exercise(t)
    assert fresh.points() == []  # the interval has not passed
    t.shutdown()
    (ssn,) = fresh.points("dlp.detections")
    assert ssn.attributes == {
        "detector": "pii/us_ssn",
        "direction": "response",
        "action": "redact",
        "policy": "default",
    }
    assert ssn.value == 2
    resource = dict(ssn.resource)
    assert resource["service.name"] == "extproc-dlp"
    assert resource["service.version"]
    names = {p.metric for p in fresh.points()}
    assert names == {
        "dlp.detections",
        "dlp.requests",
        "dlp.scan.duration",
        "dlp.processing.duration",
        "dlp.scanned.bytes",
        "dlp.streams.active",
        "dlp.policy.reloads",
    }
    (processing,) = fresh.points("dlp.processing.duration")
    assert processing.unit == "s" and processing.bounds == DURATION_BUCKETS
    assert fresh.spans() == []  # traces are off unless asked for


def test_http_protobuf_with_per_signal_endpoint_and_resource(
    monkeypatch: pytest.MonkeyPatch, fresh: OtlpReceiver
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", f"{fresh.http_endpoint}/v1/metrics")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "dlp-edge")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test")
    t = setup_telemetry(Settings())
    exercise(t)
    t.shutdown()
    (ssn,) = fresh.points("dlp.detections")
    resource = dict(ssn.resource)
    assert resource["service.name"] == "dlp-edge"
    assert resource["deployment.environment"] == "test"


def test_periodic_export_follows_the_interval(
    monkeypatch: pytest.MonkeyPatch, fresh: OtlpReceiver
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", fresh.grpc_endpoint)
    monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "100")
    t = setup_telemetry(Settings())
    try:
        exercise(t)
        fresh.wait(lambda: bool(fresh.points("dlp.detections")), "a periodic export", 5)
    finally:
        t.shutdown()


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_traces_when_enabled(
    monkeypatch: pytest.MonkeyPatch, fresh: OtlpReceiver, protocol: str
) -> None:
    endpoint = fresh.grpc_endpoint if protocol == "grpc" else fresh.http_endpoint
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", protocol)
    if protocol != "grpc":
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{endpoint}/v1/traces")
    t = setup_telemetry(Settings(traces=True))
    exercise(t)
    t.shutdown()
    ((resource, span),) = fresh.spans()
    assert resource["service.name"] == "extproc-dlp"
    assert span.trace_id.hex() == TRACEPARENT.split("-")[1]
    assert span.parent_span_id.hex() == TRACEPARENT.split("-")[2]
    assert fresh.points() == []  # no metrics endpoint configured


def test_prometheus_scrape_endpoint() -> None:
    pytest.importorskip("opentelemetry.exporter.prometheus")
    t = setup_telemetry(Settings(prometheus_listen="127.0.0.1:0"))
    try:
        assert t.prometheus_port
        exercise(t)
        url = f"http://127.0.0.1:{t.prometheus_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as r:
            text = r.read().decode()
    finally:
        t.shutdown()
    lines = [line for line in text.splitlines() if line.startswith("dlp_detections")]
    assert any('detector="pii/us_ssn"' in line and 'direction="response"' in line for line in lines)
    assert "dlp_processing_duration_seconds_bucket" in text
    assert "dlp_requests_total{" in text


def test_prometheus_without_its_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.prometheus", None)
    with pytest.raises(TelemetryError, match="opentelemetry-exporter-prometheus"):
        setup_telemetry(Settings(prometheus_listen="127.0.0.1:0"))


def test_serve_refuses_a_bad_telemetry_config(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(telemetry_mod, "configure_logging", lambda *_: None)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "thrift")
    assert cli.main(["serve", "--passthrough", "--listen", "127.0.0.1:0"]) == 2
    assert "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "env", "expected"),
    [
        ({}, {}, (None, False)),
        ({"traces": "on"}, {}, (None, True)),
        (
            {},
            {"EXTPROC_TRACES": "false", "EXTPROC_PROMETHEUS_LISTEN": "0.0.0.0:9464"},
            ("0.0.0.0:9464", False),
        ),
        ({"traces": "off"}, {"EXTPROC_TRACES": "on"}, (None, False)),
    ],
)
def test_settings(flags: dict[str, str], env: dict[str, str], expected: tuple[object, ...]) -> None:
    s = resolve({"passthrough": "on", **flags}, env)
    assert (s.prometheus_listen, s.traces) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EXTPROC_TRACES": "maybe"}, "EXTPROC_TRACES: expected on or off, got 'maybe'"),
        ({"EXTPROC_PROMETHEUS_LISTEN": "9464"}, "EXTPROC_PROMETHEUS_LISTEN: expected HOST:PORT"),
    ],
)
def test_settings_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        resolve({}, env)
