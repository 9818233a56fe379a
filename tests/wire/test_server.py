"""The server process: TLS and mTLS (certificates reloaded on change), drain
on SIGTERM, and ``--workers`` (start, restart, stop). Each test starts the
real ``extproc serve`` on loopback and talks to it with a grpc client."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from extproc.wire.pb import external_processor_pb2 as pb
from extproc.wire.pb import external_processor_pb2_grpc
from harness.pki import CLIENT_EXT, SERVER_EXT, envoy_tls_socket, issue, make_ca

ROOT = Path(__file__).resolve().parents[2]
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
DEFAULT = str(ROOT / "policies" / "default.yaml")

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl CLI")


# -- processes -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(check: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout}s")


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise


def start(tmp: Path, *args: str, wait: bool = True) -> Server:
    port = free_port()
    log = tmp / f"server-{port}.log"
    argv = [sys.executable, "-m", "extproc.cli", "serve", "--listen", f"127.0.0.1:{port}"]
    if "--policy" not in args:
        argv.append("--passthrough")
    with log.open("wb") as out:
        proc = subprocess.Popen([*argv, *args], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    server = Server(proc, port, log)
    if wait:

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{server.output()}")
            return port_open(port)

        wait_for(ready, "server", timeout=30)
    return server


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait(5)
    # Killing a supervisor kills its workers too (PR_SET_PDEATHSIG).


def spawned_workers(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == pid and b"spawn_main" in cmd:
            out.append(int(entry.name))
    return sorted(out)


def health(channel: grpc.Channel, timeout: float = 5) -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    status: int = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout).status
    return status


def plain_health(server: Server) -> int:
    with grpc.insecure_channel(server.target) as channel:
        return health(channel)


# -- certificates ----------------------------------------------------------


@dataclass
class Pki:
    dir: Path

    def path(self, name: str) -> Path:
        return self.dir / name

    def read(self, name: str) -> bytes:
        return self.path(name).read_bytes()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throwaway CA, two server certificates, a client certificate it
    signed, and a client certificate from another CA."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl CLI")
    d = tmp_path_factory.mktemp("pki")
    make_ca(d, "ca")
    make_ca(d, "rogue-ca")
    issue(d, "server", "ca", "extproc-1", SERVER_EXT)
    issue(d, "server2", "ca", "extproc-2", SERVER_EXT)
    issue(d, "client", "ca", "envoy", CLIENT_EXT)
    issue(d, "rogue", "rogue-ca", "envoy", CLIENT_EXT)
    return Pki(d)


def tls_channel(server: Server, pki: Pki, client: str | None = None) -> grpc.Channel:
    creds = grpc.ssl_channel_credentials(
        root_certificates=pki.read("ca.pem"),
        private_key=pki.read(f"{client}.key") if client else None,
        certificate_chain=pki.read(f"{client}.pem") if client else None,
    )
    # A channel of its own (no shared subchannel): each test is a new connection.
    return grpc.secure_channel(
        server.target, creds, options=[("grpc.use_local_subchannel_pool", 1)]
    )


def served_certificate(server: Server, pki: Pki, client: str | None = None) -> bytes:
    """The DER certificate the server presents on a new TLS connection."""
    ctx = ssl.create_default_context(cafile=str(pki.path("ca.pem")))
    ctx.set_alpn_protocols(["h2"])
    if client:
        ctx.load_cert_chain(str(pki.path(f"{client}.pem")), str(pki.path(f"{client}.key")))
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return der


def der_of(pki: Pki, name: str) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pki.read(f"{name}.pem").decode())


def tls_args(d: Path, client_ca: Pki | None = None) -> list[str]:
    args = ["--tls-cert", str(d / "server.pem"), "--tls-key", str(d / "server.key")]
    if client_ca is not None:
        args += ["--tls-client-ca", str(client_ca.path("ca.pem"))]
    return args


def _copy_server_cert(pki: Pki, dest: Path, name: str = "server") -> None:
    for ext in ("pem", "key"):
        # Write then rename: what a secret mount or a cert manager does.
        tmp = dest / f".{name}.{ext}.tmp"
        tmp.write_bytes(pki.read(f"{name}.{ext}"))
        os.replace(tmp, dest / f"server.{ext}")


# -- TLS -------------------------------------------------------------------


@needs_openssl
def test_tls_serves_health_and_refuses_plaintext(
    tmp_path: Path, pki: Pki, servers: list[Server]
) -> None:
    _copy_server_cert(pki, tmp_path)
    server = start(tmp_path, "--workers", "1", *tls_args(tmp_path))
    servers.append(server)
    with tls_channel(server, pki) as channel:
        assert health(channel) == SERVING
    with pytest.raises(grpc.RpcError):
        plain_health(server)


@needs_openssl
def test_mtls_requires_a_client_certificate_from_the_ca(
    tmp_path: Path, pki: Pki, servers: list[Server]
) -> None:
    _copy_server_cert(pki, tmp_path)
    server = start(tmp_path, "--workers", "1", *tls_args(tmp_path, client_ca=pki))
    servers.append(server)
    with tls_channel(server, pki, "client") as channel:
        assert health(channel) == SERVING
    for refused in (None, "rogue"):
        with tls_channel(server, pki, refused) as channel, pytest.raises(grpc.RpcError):
            health(channel, timeout=3)
    with pytest.raises(grpc.RpcError):
        plain_health(server)


@needs_openssl
def test_replaced_certificate_is_served_without_restart(
    tmp_path: Path, pki: Pki, servers: list[Server]
) -> None:
    _copy_server_cert(pki, tmp_path)
    server = start(tmp_path, "--workers", "1", *tls_args(tmp_path, client_ca=pki))
    servers.append(server)
    assert served_certificate(server, pki, "client") == der_of(pki, "server")
    _copy_server_cert(pki, tmp_path, "server2")
    assert served_certificate(server, pki, "client") == der_of(pki, "server2")
    with tls_channel(server, pki, "client") as channel:
        assert health(channel) == SERVING
    # A broken file keeps the last good certificate serving.
    (tmp_path / "server.pem").write_text("not a certificate")
    assert served_certificate(server, pki, "client") == der_of(pki, "server2")
    assert server.proc.poll() is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tls-cert", "server.pem"], "--tls-cert and --tls-key go together"),
        (["--tls-client-ca", "ca.pem"], "--tls-client-ca needs --tls-cert"),
        (["--tls-cert", "missing.pem", "--tls-key", "x"], "no such file"),
    ],
)
def test_incomplete_tls_settings_refused(tmp_path: Path, args: list[str], message: str) -> None:
    for name in ("server.pem", "ca.pem", "x"):
        (tmp_path / name).write_text("")
    argv = [sys.executable, "-m", "extproc.cli", "serve", "--listen", "127.0.0.1:0", *args]
    argv.append("--passthrough")
    out = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert message in out.stderr


# -- drain -----------------------------------------------------------------


def _messages(q: queue.Queue[pb.ProcessingRequest | None]) -> Iterator[pb.ProcessingRequest]:
    while True:
        item = q.get(timeout=10)
        if item is None:
            return
        yield item


def test_sigterm_drains_an_open_stream_and_turns_health_not_serving(
    tmp_path: Path, servers: list[Server]
) -> None:
    server = start(tmp_path, "--workers", "1", "--grace-period", "10")
    servers.append(server)
    channel = grpc.insecure_channel(server.target)
    watched: list[int] = []
    watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""))

    def follow() -> None:
        try:
            for answer in watch:
                watched.append(answer.status)
        except grpc.RpcError:
            pass

    threading.Thread(target=follow, daemon=True).start()
    wait_for(lambda: SERVING in watched, "health watch", 5)

    requests: queue.Queue[pb.ProcessingRequest | None] = queue.Queue()
    stub = external_processor_pb2_grpc.ExternalProcessorStub(channel)  # type: ignore[no-untyped-call]
    answers = stub.Process(_messages(requests))
    first = pb.ProcessingRequest()
    first.request_headers.headers.headers.add(key=":path", raw_value=b"/v1/chat/completions")
    requests.put(first)
    assert next(answers).HasField("request_headers")

    server.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: NOT_SERVING in watched, "NOT_SERVING", 5)
    watch.cancel()  # an open watch would hold the drain for the whole grace period
    time.sleep(0.3)  # the open stream keeps working during the grace period
    body = pb.ProcessingRequest()
    body.request_body.body = b'{"messages": []}'
    body.request_body.end_of_stream = True
    requests.put(body)
    assert next(answers).HasField("request_body")
    requests.put(None)
    assert list(answers) == []
    assert server.proc.wait(5) == 0  # done when the stream is, not after the grace period
    channel.close()
    assert '"draining"' in server.output()


# -- workers ---------------------------------------------------------------


def test_workers_start_serve_restart_and_stop(tmp_path: Path, servers: list[Server]) -> None:
    server = start(tmp_path, "--workers", "2", "--policy", DEFAULT)
    servers.append(server)
    workers = spawned_workers(server.proc.pid)
    assert len(workers) == 2
    for _ in range(4):  # new connections land on either worker: all serve
        assert plain_health(server) == SERVING

    os.kill(workers[0], signal.SIGKILL)
    wait_for(lambda: len(spawned_workers(server.proc.pid)) == 2, "restarted worker", 15)
    assert workers[0] not in spawned_workers(server.proc.pid)
    assert plain_health(server) == SERVING
    assert "worker died; restarting" in server.output()

    assert server.stop() == 0
    assert not port_open(server.port)
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)


def test_workers_over_the_memory_limit_are_replaced_one_at_a_time(
    tmp_path: Path, servers: list[Server]
) -> None:
    server = start(tmp_path, "--workers", "2", "--max-worker-rss", "1")  # 1 MiB: always over
    servers.append(server)
    # Under load a first recycling can come before this line: wait for one more.
    recycled = server.output().count("worker recycled")
    first = spawned_workers(server.proc.pid)
    wait_for(lambda: server.output().count("worker recycled") > recycled, "a recycled worker", 20)
    wait_for(lambda: len(spawned_workers(server.proc.pid)) == 2, "its replacement", 10)
    assert set(spawned_workers(server.proc.pid)) != set(first)
    assert plain_health(server) == SERVING
    assert server.stop() == 0


def test_killed_supervisor_takes_its_workers_along(tmp_path: Path, servers: list[Server]) -> None:
    server = start(tmp_path, "--workers", "2")
    servers.append(server)
    workers = spawned_workers(server.proc.pid)
    assert len(workers) == 2
    server.stop(signal.SIGKILL)
    wait_for(lambda: not port_open(server.port), "port closed", 5)
    wait_for(lambda: all(not Path(f"/proc/{p}").exists() for p in workers), "workers gone", 5)


def test_workers_refuse_a_bad_policy_at_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\nrules: [{detectors: ['nope/*'], request: explode}]\n")
    port = free_port()
    argv = [sys.executable, "-m", "extproc.cli", "serve", "--listen", f"127.0.0.1:{port}"]
    out = subprocess.run(
        [*argv, "--workers", "2", "--policy", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2, out.stderr
    assert not port_open(port)


def test_workers_refuse_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = [sys.executable, "-m", "extproc.cli", "serve", "--listen", f"127.0.0.1:{port}"]
        out = subprocess.run(
            [*argv, "--workers", "2", "--passthrough"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 1
    assert "cannot listen" in out.stderr


# -- Envoy as an mTLS client -------------------------------------------------


def extproc_tls_socket(pki: Pki) -> dict[str, object]:
    """The ext_proc cluster's transport socket, as in docs/tls.md."""
    return envoy_tls_socket(
        pki.path("ca.pem"), pki.path("client.pem"), pki.path("client.key"), "localhost"
    )


def _envoy_config(pki: Pki, listen: int, admin: int, ports: dict[str, int]) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((ROOT / "envoy" / "envoy.yaml").read_text())
    config["admin"]["address"]["socket_address"]["port_value"] = admin
    config["static_resources"]["listeners"][0]["address"]["socket_address"]["port_value"] = listen
    for cluster in config["static_resources"]["clusters"]:
        if cluster["name"] not in ports:
            continue
        for group in cluster["load_assignment"]["endpoints"]:
            for endpoint in group["lb_endpoints"]:
                address = endpoint["endpoint"]["address"]["socket_address"]
                address["port_value"] = ports[cluster["name"]]
        if cluster["name"] == "extproc":
            cluster["transport_socket"] = extproc_tls_socket(pki)
    return config


def _post(url: str, content: str) -> int:
    body = json.dumps({"model": "demo", "messages": [{"role": "user", "content": content}]})
    req = urllib.request.Request(
        url, data=body.encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status: int = r.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.e2e
@needs_openssl
def test_envoy_reaches_the_server_over_mtls(
    tmp_path: Path, pki: Pki, servers: list[Server]
) -> None:
    from extproc.demo.upstream import DemoUpstream

    _copy_server_cert(pki, tmp_path)
    server = start(tmp_path, "--workers", "1", "--policy", DEFAULT, *tls_args(tmp_path, pki))
    servers.append(server)
    upstream = DemoUpstream()
    upstream.start()
    listen, admin = free_port(), free_port()
    config = _envoy_config(
        pki, listen, admin, {"extproc": server.port, "llm_upstream": upstream.port}
    )
    (tmp_path / "envoy.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    argv = [str(Path(sys.executable).parent / "envoy"), "-c", str(tmp_path / "envoy.yaml")]
    argv += ["--use-dynamic-base-id", "--concurrency", "1", "-l", "warning"]
    with (tmp_path / "envoy.log").open("wb") as log:
        envoy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log)
    try:

        def ready() -> bool:
            if envoy.poll() is not None:
                raise RuntimeError((tmp_path / "envoy.log").read_text())
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{admin}/ready", timeout=1) as r:
                    return bool(r.status == 200)
            except OSError:
                return False

        wait_for(ready, "envoy", 30)
        url = f"http://127.0.0.1:{listen}/v1/chat/completions"
        assert _post(url, "hello over mTLS") == 200
        token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" + "k1L2m3N4o5P6q7R8"
        assert _post(url, f"use {token}") == 403  # the DLP answered: it is in the path
    finally:
        envoy.terminate()
        envoy.wait(10)
        upstream.stop()
