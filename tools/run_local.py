# ruff: noqa: E501
"""`make run`: the demo LLM upstream, the DLP server and a real Envoy, on loopback.

Ports are the bundled config's: Envoy 127.0.0.1:10000 (admin 9901), the server
127.0.0.1:50051, the upstream 127.0.0.1:8000. Ctrl-C stops all three.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POLICY = os.environ.get("EXTPROC_POLICY", str(ROOT / "policies" / "default.yaml"))

TRY = """
The stack is up. Try it (Envoy on 127.0.0.1:10000):

  # a clean prompt passes unchanged
  curl -s localhost:10000/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"demo","messages":[{"role":"user","content":"Hello there"}]}'

  # a card number reaches the model redacted (the demo model echoes what it got)
  curl -si localhost:10000/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"demo","messages":[{"role":"user","content":"charge 4111 1111 1111 1111"}]}'

  # a GitHub token is blocked with a 403 before it reaches the model
  curl -si localhost:10000/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"demo","messages":[{"role":"user","content":"token ghp_1234567890abcdefghijABCDEFGHIJ123456"}]}'

  # a streamed (SSE) answer
  curl -sN localhost:10000/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"demo","stream":true,"messages":[{"role":"user","content":"mail me at jane.doe@example.org"}]}'

Policy: {policy} (edit it: the server reloads it within seconds)
Ctrl-C stops everything.
"""


def wait_port(port: int, proc: subprocess.Popen[bytes], name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"{name} did not open port {port} within {timeout}s")


def main() -> int:
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(name: str, argv: list[str], port: int) -> None:
        proc = subprocess.Popen(argv, cwd=ROOT)
        procs.append((name, proc))
        wait_port(port, proc, name)

    try:
        start(
            "upstream",
            [sys.executable, "-m", "extproc.demo.upstream", "--listen", "127.0.0.1:8000"],
            8000,
        )
        start(
            "server",
            [
                sys.executable,
                "-m",
                "extproc.cli",
                "serve",
                "--policy",
                POLICY,
                "--log-format",
                "text",
            ],
            50051,
        )
        envoy = str(BIN / "envoy")
        start(
            envoy, [envoy, "-c", "envoy/envoy.yaml", "-l", "warning", "--concurrency", "2"], 10000
        )
        print(TRY.replace("{policy}", POLICY), flush=True)
        while all(p.poll() is None for _, p in procs):
            time.sleep(0.5)
        for name, p in procs:
            if p.poll() is not None:
                print(f"{name} exited with {p.returncode}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for _, p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for _, p in reversed(procs):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main())
