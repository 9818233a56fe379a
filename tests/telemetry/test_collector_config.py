"""The bundled collector config: OTLP in, Prometheus and debug out, all wired."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CONFIG = Path(__file__).parents[2] / "observability" / "otel-collector.yaml"


def test_collector_receives_otlp_and_exports_prometheus_and_debug() -> None:
    config: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317")
    assert protocols["http"]["endpoint"].endswith(":4318")
    assert set(config["exporters"]) == {"prometheus", "debug"}
    pipelines = config["service"]["pipelines"]
    assert pipelines["metrics"]["exporters"] == ["prometheus", "debug"]
    assert pipelines["traces"]["exporters"] == ["debug"]
    for pipeline in pipelines.values():  # every component a pipeline names is defined
        for kind in ("receivers", "processors", "exporters"):
            assert set(pipeline[kind]) <= set(config[kind])
