"""The Kubernetes manifests under istio/: they parse, hang together, and carry what a
production deployment of the server needs (probes, limits, hardening, hot reload)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from extproc.policy.store import PolicyStore
from tests.deploy.manifests import (
    ISTIO_DIR,
    ROOT,
    load_docs,
    manifest_files,
    manifests,
    one,
    walk,
)

# Every kustomize directory under istio/.
DIRECTORIES = sorted(p.parent for p in ISTIO_DIR.rglob("kustomization.yaml"))
DOCS = manifests()
DEPLOYMENT = one(DOCS, "Deployment", "extproc-dlp")
POD = DEPLOYMENT["spec"]["template"]
(CONTAINER,) = POD["spec"]["containers"]
ENV = {e["name"]: e["value"] for e in CONTAINER["env"]}
CONFIGMAP = one(DOCS, "ConfigMap", "extproc-dlp-policies")
SERVICE = one(DOCS, "Service", "extproc-dlp")
CLUSTER_SCOPED = {"Namespace"}


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_kustomize_directories_found() -> None:
    assert {d.name for d in DIRECTORIES} == {"istio", "egress-openai"}


@pytest.mark.parametrize("directory", DIRECTORIES, ids=lambda p: p.name)
def test_kustomization_lists_every_manifest(directory: Path) -> None:
    (kustomization,) = load_docs(directory / "kustomization.yaml")
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == sorted(p.name for p in manifest_files(directory))
    # A kustomize `namespace:` would move the EnvoyFilters out of Istio's root namespace.
    assert "namespace" not in kustomization


@pytest.mark.parametrize("directory", DIRECTORIES, ids=lambda p: p.name)
def test_manifests_parse_and_are_complete(directory: Path) -> None:
    for path in manifest_files(directory):
        docs = load_docs(path)
        assert docs, f"{path.name}: empty"
        for doc in docs:
            meta = doc["metadata"]
            assert doc["apiVersion"] and doc["kind"] and meta["name"], path.name
            if doc["kind"] not in CLUSTER_SCOPED:
                assert meta.get("namespace"), f"{path.name}: name the namespace explicitly"
            # The API server refuses non-string label and annotation values.
            for field in ("labels", "annotations"):
                for value in (meta.get(field) or {}).values():
                    assert isinstance(value, str), f"{path.name}: {field} value {value!r}"


def test_server_resources_live_in_the_server_namespace() -> None:
    namespace = one(DOCS, "Namespace")["metadata"]["name"]
    for doc in DOCS:
        if doc["kind"] not in CLUSTER_SCOPED | {"EnvoyFilter"}:
            assert doc["metadata"]["namespace"] == namespace, doc["metadata"]["name"]
    # The EnvoyFilters select workloads outside it: Istio's root namespace.
    for doc in DOCS:
        if doc["kind"] == "EnvoyFilter":
            assert doc["metadata"]["namespace"] == "istio-system"


def test_container_is_hardened() -> None:
    pod_security = POD["spec"]["securityContext"]
    security = CONTAINER["securityContext"]
    assert pod_security["runAsNonRoot"] is True and security["runAsNonRoot"] is True
    assert pod_security["runAsUser"] > 0
    assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert POD["spec"]["automountServiceAccountToken"] is False


def test_probes_ask_the_grpc_health_service() -> None:
    port = CONTAINER["ports"][0]["containerPort"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert set(CONTAINER[probe]) - {"grpc"} <= {
            "periodSeconds",
            "timeoutSeconds",
            "failureThreshold",
            "initialDelaySeconds",
            "successThreshold",
        }, probe
        assert CONTAINER[probe]["grpc"]["port"] == port, probe
    service = CONTAINER["readinessProbe"]["grpc"].get("service", "")
    assert service in ("", "envoy.service.ext_proc.v3.ExternalProcessor")


def test_resources_are_set() -> None:
    resources = CONTAINER["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert "memory" in resources["limits"]


def test_every_env_value_is_a_string() -> None:
    for entry in CONTAINER["env"]:
        assert isinstance(entry["value"], str), entry


def test_listens_where_the_service_points() -> None:
    (port,) = CONTAINER["ports"]
    assert port["name"] == "grpc" and port["containerPort"] == 50051
    host, _, listen_port = ENV["EXTPROC_LISTEN"].rpartition(":")
    assert host in ("0.0.0.0", "[::]"), "the sidecar forwards to the pod IP, not loopback"
    assert int(listen_port) == port["containerPort"]
    (service_port,) = SERVICE["spec"]["ports"]
    assert service_port["port"] == 50051 and service_port["targetPort"] == port["name"]
    # Both make Istio treat the port as HTTP/2 gRPC.
    assert service_port["name"] == "grpc" and service_port["appProtocol"] == "grpc"
    assert matches(SERVICE["spec"]["selector"], POD["metadata"]["labels"])


def test_policies_configmap_is_mounted_where_extproc_policy_points() -> None:
    (volume,) = [v for v in POD["spec"]["volumes"] if "configMap" in v]
    assert volume["configMap"]["name"] == CONFIGMAP["metadata"]["name"]
    (mount,) = [m for m in CONTAINER["volumeMounts"] if m["name"] == volume["name"]]
    assert mount["mountPath"] == ENV["EXTPROC_POLICY"]
    # A subPath mount is never updated by the kubelet: no hot reload.
    assert "subPath" not in mount and "items" not in volume["configMap"]
    assert mount.get("readOnly") is True
    assert float(ENV["EXTPROC_RELOAD_INTERVAL"]) > 0


def test_termination_outlasts_the_drain() -> None:
    grace = float(ENV["EXTPROC_GRACE_PERIOD"])
    pre_stop = CONTAINER["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert POD["spec"]["terminationGracePeriodSeconds"] > grace + float(pre_stop[1])


def test_pdb_and_hpa_fit_the_deployment() -> None:
    pdb, hpa = one(DOCS, "PodDisruptionBudget"), one(DOCS, "HorizontalPodAutoscaler")
    assert pdb["apiVersion"] == "policy/v1"
    assert matches(pdb["spec"]["selector"]["matchLabels"], POD["metadata"]["labels"])
    assert DEPLOYMENT["spec"]["selector"]["matchLabels"] == pdb["spec"]["selector"]["matchLabels"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", DEPLOYMENT["metadata"]["name"])
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"
    # A node drain must be able to evict one replica at the minimum scale.
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]
    # The autoscaler owns the count; a `replicas:` would reset it on every apply.
    assert "replicas" not in DEPLOYMENT["spec"]
    assert DEPLOYMENT["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_configmap_holds_the_shipped_default_policy() -> None:
    shipped = (ROOT / "policies" / "default.yaml").read_text(encoding="utf-8")
    assert CONFIGMAP["data"]["default.yaml"] == shipped, (
        "istio/configmap-policies.yaml is out of date with policies/default.yaml: "
        "copy the file into its data (see the comment at its top)"
    )


def test_configmap_policies_pass_policy_check(tmp_path: Path) -> None:
    for name, text in CONFIGMAP["data"].items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "extproc.cli", "policy", "check", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _configmap_volume(directory: Path, version: str, files: dict[str, str]) -> None:
    """Lay out ``files`` as the kubelet lays out a ConfigMap volume (atomic ``..data`` swap)."""
    timestamped = directory / f"..{version}"
    timestamped.mkdir()
    for name, text in files.items():
        (timestamped / name).write_text(text, encoding="utf-8")
    swap = directory / "..data_tmp"
    swap.symlink_to(timestamped.name)
    os.replace(swap, directory / "..data")
    for name in files:
        link = directory / name
        if not link.is_symlink():
            link.symlink_to(f"..data/{name}")


def test_configmap_update_hot_reloads(tmp_path: Path) -> None:
    policy = CONFIGMAP["data"]["default.yaml"]
    _configmap_volume(tmp_path, "2026_01_01_00_00_00.1", {"default.yaml": policy})
    store = PolicyStore(str(tmp_path))
    first = store.current()
    assert first.default.name == "default"

    edited = policy.replace("\ndescription:", "\ndescription: edited.", 1)
    assert edited != policy
    _configmap_volume(tmp_path, "2026_01_01_00_01_00.2", {"default.yaml": edited})
    result = store.reload_if_changed()
    assert result is not None and result.ok, result
    second = store.current()
    assert second is not first

    _configmap_volume(tmp_path, "2026_01_01_00_02_00.3", {"default.yaml": "rules: [oops\n"})
    result = store.reload_if_changed()
    assert result is not None and not result.ok
    assert store.current() is second, "a broken policy must leave the last good one serving"


def test_egress_routing_fits_the_egress_envoyfilter() -> None:
    egress = manifests(ISTIO_DIR / "egress-openai")
    gateway = one(egress, "Gateway")
    envoyfilter = one(DOCS, "EnvoyFilter", "extproc-dlp-egress")
    assert gateway["spec"]["selector"] == envoyfilter["spec"]["workloadSelector"]["labels"]
    virtual_service = one(egress, "VirtualService")
    assert set(virtual_service["spec"]["gateways"]) == {gateway["metadata"]["name"], "mesh"}
    hosts = {h for doc in egress for h in doc["spec"].get("hosts", ())}
    hosts |= {h for s in gateway["spec"]["servers"] for h in s["hosts"]}
    assert hosts == {"api.openai.com"}
    subsets = {
        s["name"]
        for doc in egress
        if doc["kind"] == "DestinationRule"
        for s in doc["spec"].get("subsets", ())
    }
    used = {
        r["destination"]["subset"]
        for rule in virtual_service["spec"]["http"]
        for r in rule["route"]
        if "subset" in r["destination"]
    }
    assert used and used <= subsets
    snis = {n["sni"] for n in walk(egress) if isinstance(n, dict) and "sni" in n}
    assert snis == {"api.openai.com"}
