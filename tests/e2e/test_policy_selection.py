"""Choosing the policy per request through the real Envoy: by host (`match`),
by route (ExtProcPerRoute's gRPC initial metadata `x-dlp-policy`), and routes
where processing is disabled."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.stack import (
    Stack,
    envoy_stat,
    free_port,
    render_envoy_config,
    start_envoy,
    start_server,
)
from tests.e2e.conftest import chat
from tests.values import GITHUB_TOKEN as TOKEN

PER_ROUTE = "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute"


def routes(config: dict[str, Any]) -> list[dict[str, Any]]:
    listener = config["static_resources"]["listeners"][0]
    hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
    result: list[dict[str, Any]] = hcm["route_config"]["virtual_hosts"][0]["routes"]
    return result


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from extproc.demo.upstream import DemoUpstream

    workdir = tmp_path_factory.mktemp("select")
    policies = workdir / "policies"
    policies.mkdir()
    shutil.copy("policies/default.yaml", policies / "default.yaml")
    shutil.copy("policies/examples/audit.yaml", policies / "audit.yaml")
    upstream = DemoUpstream()
    upstream.start()
    s = Stack(workdir, free_port(), free_port(), free_port(), upstream)
    config = render_envoy_config(
        listen=s.listen, admin=s.admin, extproc=s.extproc, upstream=upstream.port
    )
    fallback = routes(config)[-1]
    audit_route = {
        "match": {"prefix": "/audit/"},
        "route": fallback["route"],
        "typed_per_filter_config": {
            "envoy.filters.http.ext_proc": {
                "@type": PER_ROUTE,
                "overrides": {"grpc_initial_metadata": [{"key": "x-dlp-policy", "value": "audit"}]},
            }
        },
    }
    unknown_route = {
        "match": {"prefix": "/misconfigured/"},
        "route": fallback["route"],
        "typed_per_filter_config": {
            "envoy.filters.http.ext_proc": {
                "@type": PER_ROUTE,
                "overrides": {"grpc_initial_metadata": [{"key": "x-dlp-policy", "value": "nope"}]},
            }
        },
    }
    open_route = {
        "match": {"prefix": "/healthz"},
        "route": fallback["route"],
        "typed_per_filter_config": {
            "envoy.filters.http.ext_proc": {"@type": PER_ROUTE, "disabled": True}
        },
    }
    routes(config)[:0] = [audit_route, unknown_route, open_route]
    s.server = start_server(workdir, s.extproc, policies)
    s.envoy = start_envoy(workdir, config, s.admin)
    try:
        yield s
    finally:
        s.envoy.stop()
        s.server.stop()
        upstream.stop()


def ask(stack: Stack, path: str, host: str = "llm.local") -> httpx.Response:
    body = chat(f"use {TOKEN}")
    return httpx.post(f"{stack.url}{path}", json=body, headers={"host": host}, timeout=10)


def test_default_policy(stack: Stack) -> None:
    assert ask(stack, "/v1/chat/completions").status_code == 403


def test_policy_by_host_match(stack: Stack) -> None:
    # audit.yaml matches *.internal.example.com: log only, the request passes.
    r = ask(stack, "/v1/chat/completions", host="llm.internal.example.com")
    assert r.status_code == 200, stack.logs()
    assert r.headers["x-risk-blocked"] == "false"
    assert r.headers["x-risk-categories"] == "secret/github_token"


def test_policy_by_route_metadata(stack: Stack) -> None:
    r = ask(stack, "/audit/v1/chat/completions")
    assert r.status_code != 403, stack.logs()
    assert r.headers["x-risk-categories"] == "secret/github_token"


def test_unknown_route_policy_fails_closed(stack: Stack) -> None:
    before = len(stack.upstream.received)
    r = ask(stack, "/misconfigured/v1/chat/completions")
    assert r.status_code >= 500
    assert len(stack.upstream.received) == before


def test_disabled_route_is_not_processed(stack: Stack) -> None:
    started = envoy_stat(stack.admin, "http.llm.ext_proc.streams_started")
    r = httpx.get(f"{stack.url}/healthz", timeout=10)
    assert r.status_code == 200
    assert envoy_stat(stack.admin, "http.llm.ext_proc.streams_started") == started
    httpx.get(f"{stack.url}/v1/models", timeout=10)
    assert envoy_stat(stack.admin, "http.llm.ext_proc.streams_started") == started + 1
