"""Every Envoy bootstrap under envoy/ loads in the real Envoy, and the front proxy
is what its comments promise: the local ext_proc settings, TLS to the provider."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.deploy.manifests import (
    ENVOY_DIR,
    SHARED_EXT_PROC,
    Doc,
    envoy_validate,
    ext_proc_configs,
    reference_ext_proc,
    walk,
)

CONFIGS = sorted(ENVOY_DIR.glob("*.yaml"))
FRONT_PROXY = ENVOY_DIR / "front-proxy.yaml"


def load(path: Path) -> Doc:
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(config, dict)
    return config


def test_configs_found() -> None:
    assert {p.name for p in CONFIGS} >= {"envoy.yaml", "front-proxy.yaml"}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_envoy_accepts(config: Path) -> None:
    envoy_validate(config)


def test_front_proxy_ext_proc_matches_local_config() -> None:
    reference = reference_ext_proc()
    (front,) = ext_proc_configs(load(FRONT_PROXY))
    for key in (*SHARED_EXT_PROC, "failure_mode_allow"):
        assert front.get(key) == reference.get(key), key
    assert front["grpc_service"]["timeout"] == reference["grpc_service"]["timeout"]
    assert front["processing_mode"] == reference["processing_mode"]
    assert front["allow_mode_override"] is True


def test_front_proxy_listens_on_loopback_and_processor_is_local() -> None:
    config = load(FRONT_PROXY)
    resources = config["static_resources"]
    (listener,) = resources["listeners"]
    assert listener["address"]["socket_address"] == {"address": "127.0.0.1", "port_value": 10000}
    (ext_proc,) = ext_proc_configs(config)
    name = ext_proc["grpc_service"]["envoy_grpc"]["cluster_name"]
    (cluster,) = [c for c in resources["clusters"] if c["name"] == name]
    addresses = [
        n["socket_address"] for n in walk(cluster) if isinstance(n, dict) and "socket_address" in n
    ]
    assert addresses == [{"address": "127.0.0.1", "port_value": 50051}]
    assert "http2_protocol_options" in str(cluster), "gRPC needs HTTP/2 to the processor"


def test_front_proxy_upstream_is_tls_with_sni_and_verified() -> None:
    config = load(FRONT_PROXY)
    routes = [
        n["route"] for n in walk(config) if isinstance(n, dict) and "route" in n and "match" in n
    ]
    (route,) = routes
    (cluster,) = [
        c for c in config["static_resources"]["clusters"] if c["name"] == route["cluster"]
    ]
    host = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
    assert host["socket_address"] == {"address": "api.openai.com", "port_value": 443}
    # The provider routes on Host: the client's Host must not reach it.
    assert route.get("host_rewrite_literal") == "api.openai.com" or route.get("auto_host_rewrite")
    tls = cluster["transport_socket"]["typed_config"]
    assert tls["@type"].endswith("UpstreamTlsContext")
    assert tls["sni"] == "api.openai.com"
    validation = tls["common_tls_context"]["validation_context"]
    assert validation["trusted_ca"]["filename"].startswith("/etc/")
    assert validation["match_typed_subject_alt_names"] == [
        {"san_type": "DNS", "matcher": {"exact": "api.openai.com"}}
    ]
