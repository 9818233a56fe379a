"""The Grafana dashboard asks only for metrics and labels the server exports.

The exported names are not listed by hand: the real ``OtelRecorder`` records
one of everything into a Prometheus registry (the reader behind
``--prometheus-listen``; the collector's Prometheus exporter names them the
same way: dots become underscores, counters get ``_total``, histograms
``_bucket``/``_sum``/``_count``, units such as ``_seconds`` are appended).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from extproc.recording import Recorder

DASHBOARD = Path(__file__).parents[2] / "observability" / "grafana-dashboard.json"
METRIC = re.compile(r"\b(dlp_[a-z0-9_]+)\b")
SELECTOR = re.compile(r"\b(dlp_[a-z0-9_]+)\{([^}]*)\}")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=lambda: {"pii/email": 1})
    actions: dict[str, str] = field(default_factory=lambda: {"pii/email": "redact"})
    scanned_bytes: int = 10
    scan_seconds: float = 0.001
    outcome: str = "redacted"


@pytest.fixture(scope="module")
def exported() -> dict[str, set[str]]:
    """Prometheus sample name -> its label names, from the real recorder."""
    pytest.importorskip("opentelemetry.exporter.prometheus")
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import CollectorRegistry

    from extproc.telemetry import OtelRecorder

    registry = CollectorRegistry()
    provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=registry)])
    recorder = OtelRecorder(provider.get_meter("test"))
    calls = {
        "stream_started": (),
        "message_handled": ("request", 0.001),
        "exchange_done": ("default", "", {"request": Summary()}),
        "stream_failed": ("response",),
        "policy_reload": (True,),
        "budget_exceeded": ("pii/email", "other", "block", "window"),
        "budget_error": ("open",),
        "caller_refused": (),
        "judge_call": ("guard", "timeout"),
        "stream_ended": (),
    }
    # A new Recorder method must be exercised here too, or its metric goes unchecked.
    assert set(calls) == {m for m in vars(Recorder) if not m.startswith("_")}
    for name, args in calls.items():
        getattr(recorder, name)(*args)
    out: dict[str, set[str]] = {}
    for family in registry.collect():
        for sample in family.samples:
            out.setdefault(sample.name, set()).update(sample.labels)
    provider.shutdown()
    return out


def targets(node: Any) -> list[tuple[str, str]]:
    """(panel title, expression) of every query, rows included."""
    out = []
    for panel in node.get("panels", []):
        for target in panel.get("targets", []):
            out.append((panel["title"], target["expr"]))
        out.extend(targets(panel))
    return out


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def test_every_query_names_an_exported_metric(exported: dict[str, set[str]]) -> None:
    queries = targets(dashboard())
    assert len(queries) >= 15
    for title, expr in queries:
        names = set(METRIC.findall(expr))
        assert names, f"{title}: no dlp_ metric in {expr!r}"
        unknown = names - set(exported)
        assert not unknown, f"{title}: not exported: {sorted(unknown)}"


def test_every_label_used_is_exported(exported: dict[str, set[str]]) -> None:
    for title, expr in targets(dashboard()):
        for metric, matchers in SELECTOR.findall(expr):
            for label in MATCHER.findall(matchers):
                assert label in exported[metric], f"{title}: {metric} has no label {label}"
        labels = set().union(*(exported[m] for m in METRIC.findall(expr)))
        for group in GROUPING.findall(expr):
            for label in (g.strip() for g in group.split(",") if g.strip()):
                assert label in labels, f"{title}: no metric in {expr!r} has label {label}"


def test_the_dashboard_covers_the_issue() -> None:
    exprs = " ".join(expr for _, expr in targets(dashboard()))
    for needed in (
        "dlp_detections_total",  # detections by detector and direction
        'decision=~"blocked.*"',  # blocked rate
        'decision="redacted"',  # redacted rate
        "dlp_budget_exceeded_total",  # budget breaches by client class
        "dlp_budget_errors_total",
        "histogram_quantile(0.99, sum by (le) (rate(dlp_processing_duration_seconds_bucket",
        "dlp_scan_duration_seconds_bucket",
    ):
        assert needed in exprs
    assert "client_class" in exprs


def test_panels_are_well_formed() -> None:
    data = dashboard()
    ids = [p["id"] for p in data["panels"]]
    assert len(ids) == len(set(ids))
    (variable,) = data["templating"]["list"]
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
    for panel in data["panels"]:
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"])
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            refs = [t["refId"] for t in panel["targets"]]
            assert len(refs) == len(set(refs))
