"""The processes a bench run starts on loopback: Envoys, servers, upstreams.

The front Envoy's config is ``envoy/envoy.yaml`` rendered the way the
end-to-end tests render it (``tests.e2e.stack``): only ports, and per variant
the ext_proc filter (removed, or its settings changed), differ.
"""

from __future__ import annotations

import copy
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from extproc.demo.upstream import openai_json
from tests.e2e.stack import (
    EXT_PROC_FILTER,
    ROOT,
    Process,
    envoy_binary,
    free_port,
    port_open,
    render_envoy_config,
    start_process,
    wait_for,
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
    path = workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    argv = [envoy_binary(), "-c", str(path), "--use-dynamic-base-id"]
    argv += ["--concurrency", str(concurrency), "-l", "warning", "--drain-time-s", "1"]
    proc = start_process(name, argv, workdir)

    def ready() -> bool:
        if proc.proc.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{proc.output()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{admin}/ready", timeout=0.5) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    wait_for(ready, name, timeout=30)
    return proc


def start_server(
    workdir: Path,
    name: str,
    port: int,
    policy: str | None,
    workers: int = 1,
    extra: list[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Process:
    argv = [sys.executable, "-m", "extproc.cli", "serve", "--listen", f"127.0.0.1:{port}"]
    argv += ["--workers", str(workers)]
    if policy is not None:
        argv += ["--policy", str(ROOT / policy)]
    proc = start_process(name, argv + (extra or []), workdir, env)

    def ready() -> bool:
        if proc.proc.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{proc.output()}")
        return port_open(port)

    wait_for(ready, name, timeout=60)
    return proc


def envoy_stats(admin: int, prefix: str) -> dict[str, int]:
    url = f"http://127.0.0.1:{admin}/stats?filter={prefix}"
    out: dict[str, int] = {}
    with urllib.request.urlopen(url, timeout=2) as r:
        for line in r.read().decode().splitlines():
            key, _, value = line.partition(": ")
            if value.isdigit():
                out[key] = int(value)
    return out


__all__ = ["Process", "free_port", "front_config", "start_envoy", "start_server"]
