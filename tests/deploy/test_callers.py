"""Who may call the server in the mesh: the AuthorizationPolicy and the
NetworkPolicy under istio/ pass their schemas (Istio's CRD; Kubernetes' own
schema, strict) and agree with the other manifests: the workloads whose
proxies run the filter are exactly the ones let in."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest

from tests.deploy.manifests import (
    AUTHORIZATIONPOLICY_CRD,
    ISTIO_DIR,
    ROOT,
    Doc,
    crd_spec_schema,
    manifests,
    one,
    spec_errors,
)

DOCS = manifests()
EGRESS = manifests(ISTIO_DIR / "egress-openai")
POLICY = one(DOCS, "AuthorizationPolicy", "extproc-dlp-callers")
NETWORK = one(DOCS, "NetworkPolicy", "extproc-dlp-callers")
DEPLOYMENT = one(DOCS, "Deployment", "extproc-dlp")
POD_LABELS = DEPLOYMENT["spec"]["template"]["metadata"]["labels"]
(CONTAINER,) = DEPLOYMENT["spec"]["template"]["spec"]["containers"]
GRPC_PORT = CONTAINER["ports"][0]["containerPort"]
INBOUND = one(DOCS, "EnvoyFilter", "extproc-dlp-inbound")
EGRESS_FILTER = one(DOCS, "EnvoyFilter", "extproc-dlp-egress")
KUBERNETES = "1.30.0"  # the oldest Kubernetes the manifests are checked against
TRUST_DOMAIN = "cluster.local"


def ap_errors(spec: Doc) -> list[str]:
    return spec_errors(crd_spec_schema(AUTHORIZATIONPOLICY_CRD, "v1"), spec)


def k8s_errors(doc: Doc) -> list[str]:
    try:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [str(exc)]
    return []


def principals() -> list[str]:
    return [
        p
        for rule in POLICY["spec"]["rules"]
        for f in rule["from"]
        for p in f["source"]["principals"]
    ]


def principal(namespace: str, account: str) -> str:
    return f"{TRUST_DOMAIN}/ns/{namespace}/sa/{account}"


# -- schemas ------------------------------------------------------------------


def test_authorization_policy_passes_istio_schema() -> None:
    assert POLICY["apiVersion"] == "security.istio.io/v1"
    assert ap_errors(POLICY["spec"]) == []


def _set(spec: Doc, path: tuple[Any, ...], value: object) -> Doc:
    edited = copy.deepcopy(spec)
    node = edited
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return edited


BROKEN_AP: dict[str, tuple[tuple[Any, ...], object, str]] = {
    "unknown action": (("action",), "PERMIT", "is not one of"),
    "misspelled selector (pruned: would apply to every workload)": (
        ("selectr",),
        {"matchLabels": {"a": "b"}},
        "Additional properties are not allowed",
    ),
    "wildcard label (CEL rule)": (
        ("selector", "matchLabels"),
        {"app": "*"},
        "wildcard not allowed in label value match",
    ),
    "serviceAccounts with principals (CEL rule)": (
        ("rules", 0, "from", 0, "source", "serviceAccounts"),
        ["ns/sa"],
        "Cannot set serviceAccounts with namespaces or principals",
    ),
    "selector and targetRefs (CEL rule)": (
        ("targetRefs",),
        [{"kind": "Service", "name": "x"}],
        "only one of targetRefs or selector can be set",
    ),
}


@pytest.mark.parametrize("case", BROKEN_AP, ids=list(BROKEN_AP))
def test_istio_schema_rejects_a_broken_authorization_policy(case: str) -> None:
    path, value, expected = BROKEN_AP[case]
    errors = ap_errors(_set(POLICY["spec"], path, value))
    assert any(expected in e for e in errors), errors


def test_network_policy_passes_kubernetes_schema() -> None:
    assert k8s_errors(NETWORK) == []
    broken = copy.deepcopy(NETWORK)
    broken["spec"]["ingress"][0]["form"] = broken["spec"]["ingress"][0].pop("from")
    assert k8s_errors(broken), "a misspelled field must fail the strict schema"


# Kubernetes' own API groups ("v1" is the core group); the rest are Istio's CRDs.
CORE = {"v1", "apps", "policy", "autoscaling", "networking.k8s.io"}
CORE_DOCS = [d for d in DOCS if d["apiVersion"].split("/")[0] in CORE]


@pytest.mark.parametrize("doc", CORE_DOCS, ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_kubernetes_kinds_pass_the_strict_schema(doc: Doc) -> None:
    assert k8s_errors(doc) == []


# -- cross-references -----------------------------------------------------------


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def test_authorization_policy_guards_the_server_only() -> None:
    spec = POLICY["spec"]
    assert POLICY["metadata"]["namespace"] == DEPLOYMENT["metadata"]["namespace"]
    assert _matches(spec["selector"]["matchLabels"], POD_LABELS)
    # ALLOW with rules: Istio denies every request that matches none of them.
    assert spec["action"] == "ALLOW" and spec["rules"]
    for rule in spec["rules"]:
        assert rule["from"], "a rule without `from` would let any caller in"
        assert [op["operation"]["ports"] for op in rule["to"]] == [[str(GRPC_PORT)]]
    server = principal(DEPLOYMENT["metadata"]["namespace"], "extproc-dlp")
    assert server not in principals(), "the server never calls itself"


def egress_gateway() -> tuple[str, str]:
    """(Service, namespace) of the egress gateway that istio/egress-openai routes to."""
    (host,) = {
        r["destination"]["host"]
        for doc in EGRESS
        if doc["kind"] == "VirtualService"
        for http in doc["spec"]["http"]
        for r in http["route"]
        if "egressgateway" in r["destination"]["host"]
    }
    service, namespace = host.split(".")[:2]
    return service, namespace


def test_the_egress_gateway_is_allowed_under_istios_account_name() -> None:
    """The gateway the egress EnvoyFilter runs on (selected by label) is the
    Service the egress routing sends to; Istio's installer names its service
    account after it (``<gateway>-service-account``)."""
    service, namespace = egress_gateway()
    gateway = one(EGRESS, "Gateway")
    assert gateway["spec"]["selector"] == EGRESS_FILTER["spec"]["workloadSelector"]["labels"]
    assert principal(namespace, f"{service}-service-account") in principals()


def test_every_other_allowed_identity_is_a_documented_placeholder() -> None:
    """Protected workloads are the user's: the manifests cannot name them, so
    each one allowed here is a placeholder that the README's Deploy section
    tells how to replace, next to the label that puts the filter in front of it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    deploy = readme[readme.index("## Deploy") :]
    deploy = deploy[: deploy.index("\n## ", 1)]
    accounts = {d["metadata"]["name"] for d in DOCS if d["kind"] == "ServiceAccount"}
    service, gateway_namespace = egress_gateway()
    gateway = principal(gateway_namespace, f"{service}-service-account")
    for allowed in principals():
        _, ns, namespace, sa, account = allowed.split("/")
        assert (ns, sa) == ("ns", "sa"), allowed
        if allowed == gateway or account in accounts:
            continue
        assert allowed in deploy, (
            f"{allowed}: not in the manifests, not documented as a placeholder"
        )
        assert f"kubectl -n {namespace} patch deployment {account}" in deploy
    label = INBOUND["spec"]["workloadSelector"]["labels"]
    assert all(f"{k}" in deploy for k in label)


def test_network_policy_lets_in_the_proxies_that_run_the_filter() -> None:
    spec = NETWORK["spec"]
    assert NETWORK["metadata"]["namespace"] == DEPLOYMENT["metadata"]["namespace"]
    assert _matches(spec["podSelector"]["matchLabels"], POD_LABELS)
    assert spec["policyTypes"] == ["Ingress"]
    grpc = [rule for rule in spec["ingress"] if any(p["port"] == GRPC_PORT for p in rule["ports"])]
    (rule,) = grpc
    peers = [(p.get("namespaceSelector"), p["podSelector"]["matchLabels"]) for p in rule["from"]]
    _, egress_namespace = egress_gateway()
    assert peers == [
        ({"matchLabels": {"kubernetes.io/metadata.name": egress_namespace}},
         EGRESS_FILTER["spec"]["workloadSelector"]["labels"]),
        ({}, INBOUND["spec"]["workloadSelector"]["labels"]),
    ]  # fmt: skip
    # Every other rule opens only Istio's agent port (the kubelet's rewritten probes).
    for other in spec["ingress"]:
        if other is not rule:
            assert "from" not in other and [p["port"] for p in other["ports"]] == [15020]
