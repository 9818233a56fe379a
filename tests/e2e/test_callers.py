"""Only the proxies may talk to the filter, through real processes: the server
serves ext_proc over mTLS with ``--allowed-clients``; two real Envoys hold
certificates from the same CA, one naming an allowed proxy and one not. The
allowed proxy is served; the other is refused (PERMISSION_DENIED, counted,
logged with its certificate's names) before any message is read, so Envoy
fails closed; and a caller that is not allowed cannot spend a client's budget."""

from __future__ import annotations

import json
import queue
import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from extproc.demo.upstream import DemoUpstream
from extproc.wire.inprocess import body_message, headers_message
from extproc.wire.pb import external_processor_pb2 as pb
from extproc.wire.pb import external_processor_pb2_grpc
from harness.pki import SERVER_EXT, envoy_tls_socket, issue, make_ca
from harness.stack import (
    Process,
    free_port,
    render_envoy_config,
    start_envoy,
    start_server,
    wait_for,
)
from tests.e2e.conftest import chat
from tests.govern.test_guard import card
from tests.values import GITHUB_TOKEN

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl CLI")

PROXY = "spiffe://cluster.local/ns/edge/sa/envoy"
OTHER = "spiffe://cluster.local/ns/apps/sa/batch"
ALLOWED = "spiffe://cluster.local/ns/*/sa/envoy,gateway.proxies.test"
VICTIM_KEY = "Bearer victim-" + "key-0001"
BUDGET = 2
MARKER = "forged-prompt-marker"  # request content that must never reach a log line

POLICY = f"""\
version: 1
name: default
attribution:
  sources: [api_key, address]
  api_key_headers: [authorization]
rules:
  - detectors: ["secret/*"]
    request: block
    response: redact
  - detectors: ["pii/credit_card"]
    request: redact
    response: redact
budgets:
  - id: cards
    detectors: ["pii/credit_card"]
    max_values: {BUDGET}
    window: 1h
    direction: request
"""


# -- certificates --------------------------------------------------------------


def make_pki(d: Path) -> Path:
    """One CA; a server certificate; two client certificates it signed, the
    same in every respect but the names they carry."""
    make_ca(d, "ca")
    issue(d, "server", "ca", "extproc", SERVER_EXT)
    for name, uri in (("proxy", PROXY), ("other", OTHER)):
        issue(d, name, "ca", name, f"subjectAltName=URI:{uri}\nextendedKeyUsage=clientAuth\n")
    return d


def tls_socket(pki: Path, client: str) -> dict[str, Any]:
    return envoy_tls_socket(pki / "ca.pem", pki / f"{client}.pem", pki / f"{client}.key", None)


# -- the stack -------------------------------------------------------------------


@dataclass
class Stack:
    pki: Path
    server: Process
    port: int
    metrics: int
    upstream: DemoUpstream
    urls: dict[str, str]  # client certificate -> the URL of the Envoy that holds it


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("callers")
    pki = make_pki(workdir)
    (workdir / "policy.yaml").write_text(POLICY)
    upstream = DemoUpstream()
    upstream.start()
    envoys: list[Process] = []
    server: Process | None = None
    try:
        port, metrics = free_port(), free_port()
        args = ["--workers", "1", "--prometheus-listen", f"127.0.0.1:{metrics}"]
        args += ["--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server.key")]
        args += ["--tls-client-ca", str(pki / "ca.pem"), "--allowed-clients", ALLOWED]
        server = start_server(workdir, port, workdir / "policy.yaml", args)
        urls = {}
        for client in ("proxy", "other"):
            listen, admin = free_port(), free_port()
            config = render_envoy_config(
                listen=listen, admin=admin, extproc=port, upstream=upstream.port
            )
            for cluster in config["static_resources"]["clusters"]:
                if cluster["name"] == "extproc":
                    cluster["transport_socket"] = tls_socket(pki, client)
            envoys.append(start_envoy(workdir, config, admin, name=f"envoy-{client}"))
            urls[client] = f"http://127.0.0.1:{listen}/v1/chat/completions"
        yield Stack(pki, server, port, metrics, upstream, urls)
    finally:
        for proc in (*envoys, server):
            if proc is not None:
                proc.stop()
        upstream.stop()


def refused_count(stack: Stack) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{stack.metrics}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("dlp_callers_refused_total"):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def refusals(stack: Stack) -> list[dict[str, Any]]:
    lines = [json.loads(x) for x in stack.server.output().splitlines() if x.startswith("{")]
    return [x for x in lines if x["message"] == "caller refused"]


# -- through the real Envoy -----------------------------------------------------------


def test_the_allowed_proxy_is_served(stack: Stack) -> None:
    url = stack.urls["proxy"]
    assert httpx.post(url, json=chat("hello"), timeout=10).status_code == 200
    blocked = httpx.post(url, json=chat(f"use {GITHUB_TOKEN}"), timeout=10)
    assert blocked.status_code == 403  # the DLP answered: it is in the path
    assert blocked.json()["error"]["detectors"] == ["secret/github_token"]


def test_another_certificate_is_refused_and_envoy_fails_closed(stack: Stack) -> None:
    before_count, before_sent = refused_count(stack), len(stack.upstream.received)
    r = httpx.post(stack.urls["other"], json=chat(f"{MARKER} hello"), timeout=10)
    assert r.status_code >= 500  # failure_mode_allow: false
    assert len(stack.upstream.received) == before_sent, "nothing may pass unscanned"
    wait_for(lambda: refused_count(stack) > before_count, "dlp.callers.refused", timeout=10)
    logged = refusals(stack)
    assert logged and logged[-1]["identities"] == [OTHER]
    assert logged[-1]["level"] == "warning"
    assert MARKER not in stack.server.output()


# -- a caller that is not a proxy, with a valid certificate of the same CA ---------------


def channel(stack: Stack, client: str) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=(stack.pki / "ca.pem").read_bytes(),
        private_key=(stack.pki / f"{client}.key").read_bytes(),
        certificate_chain=(stack.pki / f"{client}.pem").read_bytes(),
    )
    options = [
        ("grpc.use_local_subchannel_pool", 1),
        ("grpc.ssl_target_name_override", "localhost"),
    ]
    return grpc.secure_channel(f"127.0.0.1:{stack.port}", credentials, options=options)


def exchange(content: str) -> list[pb.ProcessingRequest]:
    """What Envoy sends for a chat request, with the victim's API key."""
    headers = {
        ":method": "POST",
        ":path": "/v1/chat/completions",
        "content-type": "application/json",
        "authorization": VICTIM_KEY,
    }
    body = json.dumps(chat(content)).encode()
    return [
        headers_message("request_headers", headers),
        body_message("request_body", body, eos=True),
    ]


def test_refused_before_any_message_is_read(stack: Stack) -> None:
    """The call fails although the caller has not sent a single message."""
    silent: queue.Queue[pb.ProcessingRequest] = queue.Queue()  # never fed

    def nothing() -> Iterator[pb.ProcessingRequest]:
        yield silent.get(timeout=30)

    with channel(stack, "other") as ch:
        stub = external_processor_pb2_grpc.ExternalProcessorStub(ch)  # type: ignore[no-untyped-call]
        call = stub.Process(nothing(), timeout=10)
        with pytest.raises(grpc.RpcError) as refused:
            next(call)
    assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "not allowed" in (refused.value.details() or "")


def test_a_refused_caller_cannot_spend_a_clients_budget(stack: Stack) -> None:
    # A forger replays the victim's key with new card numbers, many times over.
    with channel(stack, "other") as ch:
        stub = external_processor_pb2_grpc.ExternalProcessorStub(ch)  # type: ignore[no-untyped-call]
        for i in range(3 * BUDGET):
            with pytest.raises(grpc.RpcError) as refused:
                list(stub.Process(iter(exchange(f"{MARKER} pay {card(100 + i)}")), timeout=10))
            assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
    # The victim, through its proxy, still has its whole budget...
    headers = {"authorization": VICTIM_KEY}
    for i in range(BUDGET):
        r = httpx.post(
            stack.urls["proxy"], json=chat(f"pay {card(i)}"), headers=headers, timeout=10
        )
        assert r.status_code == 200, r.text
        assert card(i) not in stack.upstream.received[-1].body.decode()
    # ...and the budget is real: one more distinct card is over it.
    over = httpx.post(
        stack.urls["proxy"], json=chat(f"pay {card(BUDGET)}"), headers=headers, timeout=10
    )
    assert over.status_code == 403 and over.json()["error"]["code"] == "budget_exceeded", over.text
    assert MARKER not in stack.server.output()
