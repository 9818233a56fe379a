# ruff: noqa: E501
"""`make run`: the demo LLM upstream, the DLP server and a real Envoy, on loopback.

Ports are the bundled config's: Envoy 127.0.0.1:10000 (admin 9901), the server
127.0.0.1:50051, the upstream 127.0.0.1:8000; ``--ports`` picks others (Envoy
then runs envoy/envoy.yaml with only its ports swapped). Every port is checked
before anything starts; "the stack is up" is said once all three answer.
Ctrl-C, SIGTERM and SIGHUP stop all three.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.stack import render_envoy_config  # noqa: E402

BIN = Path(sys.executable).parent
POLICY = os.environ.get("EXTPROC_POLICY", str(ROOT / "policies" / "default.yaml"))
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0

TRY = """
The stack is up. Try it (Envoy on 127.0.0.1:{listen}):

  # a clean prompt passes unchanged
  curl -s localhost:{listen}/v1/chat/completions -H 'content-type: application/json' \\
    -d '{{"model":"demo","messages":[{{"role":"user","content":"Hello there"}}]}}'

  # a card number reaches the model redacted (the demo model echoes what it got)
  curl -si localhost:{listen}/v1/chat/completions -H 'content-type: application/json' \\
    -d '{{"model":"demo","messages":[{{"role":"user","content":"charge 4111 1111 1111 1111"}}]}}'

  # a GitHub token is blocked with a 403 before it reaches the model
  curl -si localhost:{listen}/v1/chat/completions -H 'content-type: application/json' \\
    -d '{{"model":"demo","messages":[{{"role":"user","content":"token ghp_1234567890abcdefghijABCDEFGHIJ123456"}}]}}'

  # an answer redacted as it streams: the demo model reads back a customer record
  # (email, phone, card), each value split over several events
  curl -sN localhost:{listen}/v1/chat/completions -H 'content-type: application/json' \\
    -d '{{"model":"demo","stream":true,"messages":[{{"role":"user","content":"show me the customer record"}}]}}'

Envoy admin (stats, config): http://127.0.0.1:{admin}/   e.g. curl -s localhost:{admin}/stats | grep ext_proc
{metrics}Policy: {policy} (edit it: the server reloads it within seconds)
Ctrl-C (or SIGTERM, SIGHUP) stops everything.
"""


@dataclass(frozen=True)
class Ports:
    listen: int = 10000
    admin: int = 9901
    server: int = 50051
    upstream: int = 8000

    def named(self) -> list[tuple[str, int]]:
        return [
            ("Envoy", self.listen),
            ("Envoy's admin", self.admin),
            ("the DLP server", self.server),
            ("the demo upstream", self.upstream),
        ]


class Stop(Exception):
    """A signal asked everything to stop."""


def taken(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def metrics_endpoints() -> str:
    """The Prometheus endpoints, when EXTPROC_PROMETHEUS_LISTEN turns them on
    (one per worker: port, port + 1, ...)."""
    listen = os.environ.get("EXTPROC_PROMETHEUS_LISTEN")
    if not listen:
        return ""
    host, _, port = listen.rpartition(":")
    workers = int(os.environ.get("EXTPROC_WORKERS", "1"))
    urls = [f"http://{host}:{int(port) + i}/metrics" for i in range(workers)]
    return f"Metrics (Prometheus): {'  '.join(urls)}\n"


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def server_answers(port: int) -> bool:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=1
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


class Stack:
    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.procs.append((name, subprocess.Popen(argv, cwd=ROOT, env=env)))

    def wait_until(self, name: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self.check_alive()
            if ready():
                return
            time.sleep(0.2)
        raise SystemExit(f"make run: {name} did not answer within {START_TIMEOUT:.0f} s")

    def check_alive(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                raise SystemExit(f"make run: {name} exited with status {proc.returncode}")

    def stop(self) -> None:
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for _, proc in reversed(self.procs):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run(ports: Ports, workdir: Path) -> int:
    for name, port in ports.named():
        if taken(port):
            print(
                f"make run: port {port} ({name}) is taken: stop what listens there, "
                "or choose other ports: .venv/bin/python tools/run_local.py --ports "
                "LISTEN,ADMIN,SERVER,UPSTREAM",
                file=sys.stderr,
            )
            return 1
    config = render_envoy_config(
        listen=ports.listen, admin=ports.admin, extproc=ports.server, upstream=ports.upstream
    )
    (workdir / "envoy.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    env = dict(os.environ)
    env.setdefault("EXTPROC_WORKERS", "1")  # one process: a demo needs no more
    python = [sys.executable, "-m"]
    upstream = [*python, "extproc.demo.upstream", "--quiet", "--listen"]
    server = [*python, "extproc.cli", "serve", "--policy", POLICY, "--log-format", "text"]
    envoy = [str(BIN / "envoy"), "-c", str(workdir / "envoy.yaml"), "-l", "warning"]
    stack = Stack()
    try:
        stack.start("the demo upstream", [*upstream, f"127.0.0.1:{ports.upstream}"])
        stack.start("the DLP server", [*server, "--listen", f"127.0.0.1:{ports.server}"], env)
        stack.start("Envoy", [*envoy, "--concurrency", "2", "--use-dynamic-base-id"])
        stack.wait_until(
            "the demo upstream", lambda: answers(f"http://127.0.0.1:{ports.upstream}/healthz")
        )
        stack.wait_until("the DLP server", lambda: server_answers(ports.server))
        stack.wait_until("Envoy", lambda: answers(f"http://127.0.0.1:{ports.admin}/ready"))
        banner = TRY.format(
            listen=ports.listen, admin=ports.admin, metrics=metrics_endpoints(), policy=POLICY
        )
        print(banner, flush=True)
        while True:
            stack.check_alive()
            time.sleep(0.5)
    except Stop:
        return 0
    except SystemExit as failed:
        print(failed, file=sys.stderr)
        return 1
    finally:
        stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--ports",
        metavar="LISTEN,ADMIN,SERVER,UPSTREAM",
        help="loopback ports (default: the bundled config's, 10000,9901,50051,8000)",
    )
    args = parser.parse_args(argv)
    ports = Ports(*(int(p) for p in args.ports.split(","))) if args.ports else Ports()

    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:  # once: a second signal must not cut the shutdown short
            stopping = True
            raise Stop

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    with tempfile.TemporaryDirectory(prefix="extproc-run-") as tmp:
        return run(ports, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
