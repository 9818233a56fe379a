"""Shared helpers for the deployment tests: paths, YAML, Envoy validation, Istio's schemas."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ENVOY_DIR = ROOT / "envoy"
ISTIO_DIR = ROOT / "istio"
# Istio's CRDs, vendored (schemas/README.md says from where, under which licence).
SCHEMAS = Path(__file__).resolve().parent / "schemas"
ENVOYFILTER_CRD = SCHEMAS / "envoyfilter-crd.yaml"
AUTHORIZATIONPOLICY_CRD = SCHEMAS / "authorizationpolicy-crd.yaml"
ENVOY = Path(sys.executable).parent / "envoy"

EXT_PROC = "envoy.filters.http.ext_proc"
HCM = "envoy.filters.network.http_connection_manager"
ROUTER = "envoy.filters.http.router"
Doc = dict[str, Any]


def load_docs(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def manifest_files(directory: Path) -> list[Path]:
    """The Kubernetes manifests of a kustomize directory (not the kustomization itself)."""
    return sorted(p for p in directory.glob("*.yaml") if p.name != "kustomization.yaml")


def manifests(directory: Path = ISTIO_DIR) -> list[Doc]:
    return [d for p in manifest_files(directory) for d in load_docs(p)]


def one(docs: list[Doc], kind: str, name: str | None = None) -> Doc:
    found = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def walk(node: Any) -> Iterator[Any]:
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from walk(child)


def ext_proc_configs(config: Any) -> list[Doc]:
    """Every ext_proc filter's typed_config found anywhere in ``config``."""
    return [
        n["typed_config"]
        for n in walk(config)
        if isinstance(n, dict) and n.get("name") == EXT_PROC and "typed_config" in n
    ]


def reference_ext_proc() -> Doc:
    """The ext_proc filter settings of envoy/envoy.yaml, the reference for every other config."""
    (config,) = ext_proc_configs(load_docs(ENVOY_DIR / "envoy.yaml"))
    return config


# The settings every shipped ext_proc filter shares with envoy/envoy.yaml.
SHARED_EXT_PROC = (
    "processing_mode",
    "allow_mode_override",
    "message_timeout",
    "metadata_options",
)


# --- Envoy ------------------------------------------------------------------


VALIDATE_FLAGS = ("--use-dynamic-base-id", "--log-level", "warn")


def envoy_validate(config: Path) -> None:
    """``envoy --mode validate``: the config must load as a real Envoy would load it."""
    assert ENVOY.exists(), f"no Envoy at {ENVOY}: `make install` puts it in the virtualenv"
    done = subprocess.run(
        [str(ENVOY), "--mode", "validate", "-c", str(config), *VALIDATE_FLAGS],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"envoy rejected {config}:\n{done.stdout}\n{done.stderr}"


_CLUSTER = """
name: NAME
type: STATIC
connect_timeout: 1s
load_assignment:
  cluster_name: NAME
  endpoints:
    - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: 127.0.0.1, port_value: PORT }
"""

_HTTP2 = """
envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
  "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
  explicit_http_config: { http2_protocol_options: {} }
"""

_HCM_TYPE = (
    "type.googleapis.com/envoy.extensions.filters.network"
    ".http_connection_manager.v3.HttpConnectionManager"
)
# A listener shaped like those istiod generates: an HTTP connection manager
# whose last HTTP filter is the router.
_ISTIO_LIKE = """
static_resources:
  listeners:
    - name: istio_like
      address:
        socket_address: { address: 127.0.0.1, port_value: 15006 }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": HCM_TYPE
                stat_prefix: istio_like
                route_config:
                  name: istio_like
                  virtual_hosts:
                    - name: all
                      domains: ["*"]
                      routes:
                        - match: { prefix: "/" }
                          route: { cluster: "ROUTE_CLUSTER" }
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters: []
"""


def static_cluster(name: str, port: int, http2: bool = False) -> Doc:
    """A cluster of one endpoint at 127.0.0.1:``port`` (HTTP/2 for gRPC)."""
    cluster: Doc = yaml.safe_load(_CLUSTER.replace("NAME", f"'{name}'").replace("PORT", str(port)))
    if http2:
        cluster["typed_extension_protocol_options"] = yaml.safe_load(_HTTP2)
    return cluster


def istio_like_bootstrap(route_cluster: str) -> Doc:
    """A bootstrap with one Istio-like listener routing everything to ``route_cluster``."""
    text = _ISTIO_LIKE.replace("ROUTE_CLUSTER", route_cluster).replace("HCM_TYPE", _HCM_TYPE)
    bootstrap: Doc = yaml.safe_load(text)
    bootstrap["static_resources"]["clusters"].append(static_cluster(route_cluster, 8000))
    return bootstrap


def _http_filter_lists(bootstrap: Doc, network_filter: str) -> list[list[Doc]]:
    return [
        f["typed_config"]["http_filters"]
        for listener in bootstrap["static_resources"]["listeners"]
        for chain in listener["filter_chains"]
        for f in chain["filters"]
        if f["name"] == network_filter
    ]


def apply_patches(bootstrap: Doc, spec: Doc) -> Doc:
    """Apply an EnvoyFilter's patches to ``bootstrap`` the way istiod applies them.

    Covers what this project's EnvoyFilters use (HTTP_FILTER inserts, CLUSTER
    adds). A patch that matches nothing fails the test: istiod would skip it
    silently, and the workload would run unprotected.
    """
    result = copy.deepcopy(bootstrap)
    for patch in spec["configPatches"]:
        operation, value = patch["patch"]["operation"], patch["patch"].get("value")
        if patch["applyTo"] == "CLUSTER" and operation == "ADD":
            result["static_resources"]["clusters"].append(copy.deepcopy(value))
            continue
        if patch["applyTo"] != "HTTP_FILTER":
            pytest.fail(f"applyTo {patch['applyTo']} is not simulated yet: extend apply_patches")
        chain_filter = patch["match"]["listener"]["filterChain"]["filter"]
        anchor = chain_filter.get("subFilter", {}).get("name")
        applied = 0
        for filters in _http_filter_lists(result, chain_filter["name"]):
            names = [f["name"] for f in filters]
            if operation == "INSERT_FIRST":
                index = 0
            elif operation in ("INSERT_BEFORE", "INSERT_AFTER") and anchor in names:
                index = names.index(anchor) + (operation == "INSERT_AFTER")
            elif operation in ("INSERT_BEFORE", "INSERT_AFTER"):
                continue
            else:
                pytest.fail(f"HTTP_FILTER {operation} is not simulated yet: extend apply_patches")
            filters.insert(index, copy.deepcopy(value))
            applied += 1
        assert applied, f"patch {patch['match']} matched no HTTP connection manager"
    return result


def define_grpc_clusters(bootstrap: Doc, port: int = 50051) -> list[str]:
    """Define every ``envoy_grpc`` cluster the config names but lacks, as Istio would generate it
    (HTTP/2, here at 127.0.0.1). Returns the names it defined."""
    clusters = bootstrap["static_resources"]["clusters"]
    defined = {c["name"] for c in clusters}
    added = []
    for node in walk(bootstrap):
        if isinstance(node, dict) and "envoy_grpc" in node:
            name = node["envoy_grpc"]["cluster_name"]
            if name not in defined:
                clusters.append(static_cluster(name, port, http2=True))
                defined.add(name)
                added.append(name)
    return added


# --- Istio's schemas ----------------------------------------------------------


def crd_spec_schema(crd_file: Path, version: str) -> Doc:
    """``openAPIV3Schema.properties.spec`` of one version of a CRD."""
    crd = yaml.safe_load(crd_file.read_text(encoding="utf-8"))
    (found,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema: Doc = found["schema"]["openAPIV3Schema"]["properties"]["spec"]
    return schema


def envoyfilter_spec_schema() -> Doc:
    """``openAPIV3Schema.properties.spec`` of Istio's EnvoyFilter CRD."""
    return crd_spec_schema(ENVOYFILTER_CRD, "v1alpha3")


def pruning_as_error(schema: Any) -> Any:
    """The schema with unknown fields rejected.

    The API server does not reject a field the structural schema lacks: it
    prunes it, silently. A misspelled `workloadSelector` would then apply the
    filter to every proxy, a misspelled match field would widen the match.
    So a field the schema does not know is an error here.
    """
    if isinstance(schema, list):
        return [pruning_as_error(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {k: pruning_as_error(v) for k, v in schema.items()}
    if (
        "properties" in strict
        and "additionalProperties" not in strict
        and not strict.get("x-kubernetes-preserve-unknown-fields")
    ):
        strict["additionalProperties"] = False
    return strict


def _space(rule: str) -> str:
    return re.sub(r"\s+", " ", rule).strip()


# The CRD's CEL rules (x-kubernetes-validations), which jsonschema cannot run,
# written out in Python. A rule that is not here fails the test: mirror it.
CEL_RULES: dict[str, Callable[[Any], bool]] = {
    _space("0 < self && self <= 65535"): lambda v: 0 < v <= 65535,
    _space(
        'has(self.context) ? ((self.context == "WAYPOINT") ? has(self.waypoint) : '
        "!has(self.waypoint)) : !has(self.waypoint)"
    ): lambda m: ("waypoint" in m) == (m.get("context") == "WAYPOINT"),
    _space("self.size() == 0"): lambda v: len(v) == 0,
    _space('!self.contains("*")'): lambda v: "*" not in v,
    _space(
        "(has(self.workloadSelector) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1"
    ): lambda s: ("workloadSelector" in s) + ("targetRefs" in s) <= 1,
    # AuthorizationPolicy's
    _space('self.all(key, !key.contains("*"))'): lambda m: all("*" not in k for k in m),
    _space("self.all(key, key.size() != 0)"): lambda m: all(k != "" for k in m),
    _space(
        "(has(self.serviceAccounts) || has(self.notServiceAccounts)) ? (!has(self.principals) "
        "&& !has(self.notPrincipals) && !has(self.namespaces) && !has(self.notNamespaces)) : true"
    ): lambda s: (
        not ({"serviceAccounts", "notServiceAccounts"} & set(s))
        or not ({"principals", "notPrincipals", "namespaces", "notNamespaces"} & set(s))
    ),
    _space(
        "(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) "
        "+ (has(self.targetRefs) ? 1 : 0) <= 1"
    ): lambda s: ("selector" in s) + ("targetRef" in s) + ("targetRefs" in s) <= 1,
}


def cel_errors(schema: Any, value: Any, path: str = "spec") -> list[str]:
    errors = []
    if not isinstance(schema, dict):
        return errors
    for validation in schema.get("x-kubernetes-validations", ()):
        check = CEL_RULES.get(_space(validation["rule"]))
        if check is None:
            errors.append(f"{path}: CEL rule not mirrored in CEL_RULES: {validation['rule']}")
        elif not check(value):
            errors.append(f"{path}: {validation['message']}")
    if isinstance(value, dict):
        for key, child in value.items():
            if key in schema.get("properties", {}):
                errors += cel_errors(schema["properties"][key], child, f"{path}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += cel_errors(schema["additionalProperties"], child, f"{path}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for i, child in enumerate(value):
            errors += cel_errors(schema["items"], child, f"{path}[{i}]")
    return errors


def envoyfilter_errors(spec: Doc) -> list[str]:
    """Every reason Kubernetes (plus pruning, see ``pruning_as_error``) would refuse ``spec``."""
    return spec_errors(envoyfilter_spec_schema(), spec)


def spec_errors(schema: Doc, spec: Doc) -> list[str]:
    """``spec`` checked against a CRD's spec schema: structure (unknown fields
    rejected, see ``pruning_as_error``) and its CEL rules."""
    validator = jsonschema.Draft7Validator(pruning_as_error(schema))
    errors = [
        f"spec.{'.'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(spec)
    ]
    return errors + cel_errors(schema, spec)
