"""Both bundled Envoy configs treat long streams and upgrades alike: no total
route deadline but an idle timeout, and Envoy's own refusals (a WebSocket
upgrade, an idle upstream) in the OpenAI-style error shape. The behaviour
itself is tested with the real Envoy in tests/e2e/test_envoy_limits.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.deploy.manifests import ENVOY_DIR, HCM, Doc, walk

CONFIGS = [ENVOY_DIR / "envoy.yaml", ENVOY_DIR / "front-proxy.yaml"]


def connection_managers(path: Path) -> list[Doc]:
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [n["typed_config"] for n in walk(config) if isinstance(n, dict) and n.get("name") == HCM]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_routes_have_an_idle_timeout_and_no_total_deadline(path: Path) -> None:
    (hcm,) = connection_managers(path)
    for host in hcm["route_config"]["virtual_hosts"]:
        for route in host["routes"]:
            assert route["route"]["timeout"] == "0s", "a total deadline cuts long streams"
            assert route["route"]["idle_timeout"] == "300s"
    assert "stream_idle_timeout" not in hcm, "the route's idle_timeout is the one that counts"


def test_both_configs_answer_refusals_alike() -> None:
    (local, front) = (connection_managers(p)[0]["local_reply_config"] for p in CONFIGS)
    assert local == front
    upgrade, idle = local["mappers"]
    assert upgrade["filter"]["and_filter"]["filters"][1]["header_filter"]["header"]["name"] == (
        "upgrade"
    )
    assert upgrade["body_format_override"]["json_format"]["error"]["code"] == (
        "websocket_not_supported"
    )
    assert idle["filter"] == {"response_flag_filter": {"flags": ["SI"]}}
    for mapper in (upgrade, idle):
        assert mapper["body_format_override"]["content_type"] == "application/json"
