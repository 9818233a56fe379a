"""A real ``redis-server`` on a free loopback port, for budget tests.

The project's CI installs the Debian package when it is missing (``.ci/run``);
elsewhere the tests that need it skip, saying so.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.stack import free_port, port_open, wait_for

MISSING = "redis-server is not installed (CI installs it: apt-get install redis-server)"


def redis_binary() -> str | None:
    return shutil.which("redis-server")


def require_redis() -> None:
    """Skip where Redis is missing on a developer's machine; in CI, fail."""
    if redis_binary() is None:
        if os.environ.get("CI"):
            pytest.fail(MISSING)
        pytest.skip(MISSING)


@dataclass
class RedisServer:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def pause(self) -> None:
        """Stop answering, connections stay open: a hung or overloaded Redis."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@contextlib.contextmanager
def running_redis(workdir: Path) -> Iterator[RedisServer]:
    binary = redis_binary()
    if binary is None:
        raise RuntimeError(MISSING)
    port = free_port()
    log = workdir / f"redis-{port}.log"
    argv = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
        "--protected-mode",
        "yes",
    ]
    with log.open("wb") as handle:
        proc = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT)
    server = RedisServer(port, proc, log)
    try:

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited early:\n{log.read_text()}")
            return port_open(port)

        wait_for(ready, "redis-server", timeout=10)
        yield server
    finally:
        server.stop()
