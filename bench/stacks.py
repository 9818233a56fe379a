"""The processes a bench run starts on loopback: Envoys, servers, upstreams.

The front Envoy's config is ``envoy/envoy.yaml`` rendered the way the
end-to-end tests render it (``harness.stack``): only ports, and per variant
the ext_proc filter (removed, or its settings changed), differ.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from extproc.demo.model import openai_json
from harness import stack
from harness.stack import (
    EXT_PROC_FILTER,
    ROOT,
    Process,
    envoy_stats,
    free_port,
    render_envoy_config,
)

_ROUTER = {
    "name": "envoy.filters.http.router",
    "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
}
_PER_ROUTE = "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute"


def upstream_config(listen: int, admin: int, answers: Mapping[str, bytes]) -> dict[str, Any]:
    """An Envoy that answers every POST itself (``direct_response``), picking
    the answer by the ``x-bench-case`` request header: the cheapest upstream
    there is, so the upstream is never what a bench run measures."""
    routes = [
        {
            "match": {
                "prefix": "/",
                "headers": [{"name": "x-bench-case", "string_match": {"exact": case}}],
            },
            "direct_response": {"status": 200, "body": {"inline_string": body.decode()}},
            "response_headers_to_add": [
                {"header": {"key": "content-type", "value": "application/json"}}
            ],
        }
        for case, body in answers.items()
    ]
    hcm = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager"
        ".v3.HttpConnectionManager",
        "stat_prefix": "upstream",
        "codec_type": "AUTO",
        "route_config": {
            "name": "answers",
            "virtual_hosts": [{"name": "answers", "domains": ["*"], "routes": routes}],
        },
        "http_filters": [_ROUTER],
    }
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin}}},
        "static_resources": {
            "listeners": [
                {
                    "name": "answers",
                    "address": {"socket_address": {"address": "127.0.0.1", "port_value": listen}},
                    "filter_chains": [
                        {
                            "filters": [
                                {
                                    "name": "envoy.filters.network.http_connection_manager",
                                    "typed_config": hcm,
                                }
                            ]
                        }
                    ],
                }
            ]
        },
    }


def chat_answer(text: str) -> bytes:
    return openai_json(text, model="bench")


def front_config(
    *,
    listen: int,
    admin: int,
    extproc: int,
    upstream: int,
    ext_proc: bool = True,
    filter_settings: Mapping[str, Any] | None = None,
    processing_mode: Mapping[str, str] | None = None,
    max_concurrent_streams: int | None = None,
    disabled_prefix: str | None = None,
) -> dict[str, Any]:
    """The bundled config on these ports; ``ext_proc=False`` removes the filter."""
    config = render_envoy_config(
        listen=listen,
        admin=admin,
        extproc=extproc,
        upstream=upstream,
        ext_proc=filter_settings,
        processing_mode=processing_mode,
    )
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    filters = hcm["typed_config"]["http_filters"]
    if not ext_proc:
        filters[:] = [f for f in filters if f["name"] != EXT_PROC_FILTER]
    if max_concurrent_streams is not None:
        for cluster in config["static_resources"]["clusters"]:
            if cluster["name"] == "extproc":
                options = cluster["typed_extension_protocol_options"]
                http = next(iter(options.values()))["explicit_http_config"]
                http["http2_protocol_options"] = {"max_concurrent_streams": max_concurrent_streams}
    if disabled_prefix is not None:
        vhost = hcm["typed_config"]["route_config"]["virtual_hosts"][0]
        route = copy.deepcopy(vhost["routes"][0])
        route["match"] = {"prefix": disabled_prefix}
        route["typed_per_filter_config"] = {
            EXT_PROC_FILTER: {"@type": _PER_ROUTE, "disabled": True}
        }
        vhost["routes"].insert(0, route)
    return config


def start_envoy(
    workdir: Path, name: str, config: dict[str, Any], admin: int, concurrency: int = 1
) -> Process:
    return stack.start_envoy(workdir, config, admin, name=name, concurrency=concurrency, timeout=30)


def start_server(
    workdir: Path,
    name: str,
    port: int,
    policy: str | None,
    workers: int = 1,
    extra: list[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Process:
    args = ["--workers", str(workers), *(extra or [])]
    path = ROOT / policy if policy is not None else None
    return stack.start_server(workdir, port, path, args, env, name=name, timeout=60)


__all__ = ["Process", "envoy_stats", "free_port", "front_config", "start_envoy", "start_server"]
