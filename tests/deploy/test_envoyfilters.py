"""The EnvoyFilters under istio/: accepted by Istio's own schema, and their patches,
placed into an Envoy bootstrap as istiod places them, accepted by the real Envoy."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.manifests import (
    EXT_PROC,
    ISTIO_DIR,
    ROUTER,
    SHARED_EXT_PROC,
    Doc,
    apply_patches,
    define_grpc_clusters,
    envoy_validate,
    envoyfilter_errors,
    ext_proc_configs,
    istio_like_bootstrap,
    load_docs,
    manifests,
    one,
    reference_ext_proc,
)

FILTERS = [
    doc
    for path in sorted(ISTIO_DIR.rglob("*.yaml"))
    for doc in load_docs(path)
    if doc.get("kind") == "EnvoyFilter"
]
# Where each context sends the traffic it has let through, named as Istio names clusters.
ROUTE_CLUSTER = {"SIDECAR_INBOUND": "inbound|8000||", "GATEWAY": "outbound|443||api.openai.com"}
ATTRIBUTES = {"source.principal", "source.address", "request.path", "connection.mtls"}


def ids(doc: Doc) -> str:
    return str(doc["metadata"]["name"])


def test_both_envoyfilters_present() -> None:
    contexts = {p["match"]["context"] for f in FILTERS for p in f["spec"]["configPatches"]}
    assert contexts == {"SIDECAR_INBOUND", "GATEWAY"}
    for doc in FILTERS:
        assert doc["apiVersion"] == "networking.istio.io/v1alpha3"
        assert doc["spec"]["workloadSelector"]["labels"], "an unselected filter hits every proxy"


@pytest.mark.parametrize("envoyfilter", FILTERS, ids=ids)
def test_istio_schema_accepts(envoyfilter: Doc) -> None:
    assert envoyfilter_errors(envoyfilter["spec"]) == []


def _parent(spec: Doc, path: str) -> tuple[Any, str]:
    """The node holding the last key of a dotted ``path`` (digits index lists), and that key."""
    *parents, last = path.split(".")
    node: Any = spec
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    return node, last


def _set(path: str, value: object) -> Callable[[Doc], None]:
    def edit(spec: Doc) -> None:
        node, key = _parent(spec, path)
        node[key] = value

    return edit


def _rename(path: str, new: str) -> Callable[[Doc], None]:
    def edit(spec: Doc) -> None:
        node, key = _parent(spec, path)
        node[new] = node.pop(key)

    return edit


BROKEN: dict[str, tuple[Callable[[Doc], None], str]] = {
    "unknown context": (_set("configPatches.0.match.context", "SIDECAR_IN"), "is not one of"),
    "unknown operation": (_set("configPatches.0.patch.operation", "INSERT"), "is not one of"),
    "unknown applyTo": (_set("configPatches.0.applyTo", "FILTER"), "is not one of"),
    "misspelled selector (pruned: would select every proxy)": (
        _rename("workloadSelector", "workloadSelecter"),
        "Additional properties are not allowed",
    ),
    "misspelled match field": (
        _rename("configPatches.0.match.listener.filterChain", "filterchain"),
        "Additional properties are not allowed",
    ),
    "two match targets": (
        _set("configPatches.0.match.routeConfiguration", {"name": "x"}),
        "is valid under each of",
    ),
    "priority not an integer": (_set("priority", "high"), "is not of type 'integer'"),
    "wildcard selector (CEL rule)": (
        _set("workloadSelector.labels", {"app": "*"}),
        "wildcard is not supported in selector",
    ),
    "selector and targetRefs (CEL rule)": (
        _set("targetRefs", [{"kind": "Gateway", "name": "egress"}]),
        "only one of targetRefs or workloadSelector can be set",
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_istio_schema_rejects_broken_envoyfilter(case: str) -> None:
    edit, expected = BROKEN[case]
    spec = copy.deepcopy(one(FILTERS, "EnvoyFilter", "extproc-dlp-inbound")["spec"])
    edit(spec)
    errors = envoyfilter_errors(spec)
    assert errors, f"{case}: accepted"
    assert any(expected in e for e in errors), errors


def test_broken_file_is_rejected(tmp_path: Path) -> None:
    """The same check on a whole file, as a reader would write one by hand."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "apiVersion: networking.istio.io/v1alpha3\n"
        "kind: EnvoyFilter\n"
        "metadata: {name: broken}\n"
        "spec:\n"
        "  configPatches:\n"
        "    - applyTo: HTTP_FILTER\n"
        "      match: {context: SIDECAR_INBOUND, listener: {portNumber: -1}}\n"
        "      patch: {operation: INSERT_BEFORE, value: 42}\n"
    )
    errors = envoyfilter_errors(yaml.safe_load(broken.read_text())["spec"])
    assert any("minimum" in e for e in errors), errors
    assert any("is not of type 'object'" in e for e in errors), errors


@pytest.mark.parametrize("envoyfilter", FILTERS, ids=ids)
def test_patched_bootstrap_passes_envoy(envoyfilter: Doc, tmp_path: Path) -> None:
    spec = envoyfilter["spec"]
    (context,) = {p["match"]["context"] for p in spec["configPatches"]}
    bootstrap = apply_patches(istio_like_bootstrap(ROUTE_CLUSTER[context]), spec)
    hcm = bootstrap["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    names = [f["name"] for f in hcm["typed_config"]["http_filters"]]
    assert names == [EXT_PROC, ROUTER]
    defined = define_grpc_clusters(bootstrap)
    service = one(manifests(), "Service", "extproc-dlp")
    assert defined == [istio_cluster_name(service)]
    config = tmp_path / "bootstrap.yaml"
    config.write_text(yaml.safe_dump(bootstrap, sort_keys=False))
    envoy_validate(config)


def istio_cluster_name(service: Doc) -> str:
    meta = service["metadata"]
    port = service["spec"]["ports"][0]["port"]
    return f"outbound|{port}||{meta['name']}.{meta['namespace']}.svc.cluster.local"


@pytest.mark.parametrize("envoyfilter", FILTERS, ids=ids)
def test_ext_proc_settings(envoyfilter: Doc) -> None:
    (config,) = ext_proc_configs(envoyfilter)
    reference = reference_ext_proc()
    for key in SHARED_EXT_PROC:
        assert config.get(key) == reference.get(key), key
    assert config["grpc_service"]["timeout"] == reference["grpc_service"]["timeout"]
    assert isinstance(config["failure_mode_allow"], bool), "state the operator's choice"
    assert set(config["request_attributes"]) >= ATTRIBUTES
    service = one(manifests(), "Service", "extproc-dlp")
    assert config["grpc_service"]["envoy_grpc"]["cluster_name"] == istio_cluster_name(service)
