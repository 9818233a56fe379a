"""`make bench`: Envoy alone, Envoy + a no-op processor, Envoy + this server.

    .venv/bin/python -m bench.run [--duration 5] [--quick] [--out bench/results.md]

Everything runs on loopback, on free ports: a front Envoy per variant (the
bundled ``envoy/envoy.yaml``, identical for every processor run), the
processors (``extproc serve --passthrough``: the no-op processor; and
with ``policies/default.yaml``), an upstream Envoy that answers by itself, and
``wrk`` (8 connections, one thread) posting chat-completion bodies. The
variants are started once and measured back to back for each body, so the
ratios come from the same minutes of a shared machine. Not a test: it
asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import procs
from bench.engine import PII_VALUES, clean_text, dense_text
from bench.stacks import (
    Process,
    chat_answer,
    envoy_stats,
    free_port,
    front_config,
    start_envoy,
    start_server,
    upstream_config,
)
from harness.stack import AUDIT_POLICY, ROOT, port_open, start_process, wait_for

LUA = Path(__file__).with_name("post.lua")
DEFAULT_POLICY = "policies/default.yaml"
SIZES = {"200 B": 200, "2 KB": 2_000, "32 KB": 32_000, "1 MB": 1_000_000}
KINDS = ("clean", "pii-dense")
COMPARED = ("2 KB", "1 MB")  # the body sizes of the main table


# -- bodies ---------------------------------------------------------------


def chat_body(size: int, kind: str) -> bytes:
    """A chat-completion request of exactly ``size`` bytes."""

    def render(text: str) -> bytes:
        return json.dumps(
            {
                "model": "bench",
                "messages": [
                    {"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": text},
                ],
            }
        ).encode()

    room = size - len(render(""))
    text = clean_text(room) if kind == "clean" else dense_text(room, values=PII_VALUES)
    body = render(text)
    while len(body) > size:  # JSON escapes lengthen the text a little
        text = text[: len(text) - (len(body) - size)]
        body = render(text)
    return body


# -- load -----------------------------------------------------------------


@dataclass
class Result:
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0  # non-2xx answers and socket errors
    cpu_s: float = 0.0  # CPU time the processor (all its processes) used
    cpu_by_pid: dict[int, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_s / self.requests * 1e6 if self.requests else 0.0


def wrk(url: str, body: Path, case: str, seconds: float, connections: int = 8) -> dict[str, Any]:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s"]
    argv += ["--latency", "-s", str(LUA), url]
    env = {**os.environ, "BENCH_BODY": str(body), "BENCH_CASE": case}
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 30)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH "):
            parsed: dict[str, Any] = json.loads(line[6:])
            return parsed
    raise RuntimeError(f"wrk said:\n{out.stdout}\n{out.stderr}")


def measure(
    url: str, body: Path, case: str, seconds: float, pids: Sequence[int] = (), warmup: float = 1
) -> Result:
    if warmup:
        wrk(url, body, case, warmup)
    before = {p: procs.cpu_seconds(p) for p in pids}
    raw = wrk(url, body, case, seconds)
    by_pid = {p: procs.cpu_seconds(p) - before[p] for p in pids}
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Result(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1e3,
        p99_ms=raw["p99_us"] / 1e3,
        errors=errors,
        cpu_s=sum(by_pid.values()),
        cpu_by_pid=by_pid,
    )


def probe(url: str, body: bytes, case: str) -> tuple[int, str]:
    """One request: its status and the x-risk-categories answer header."""
    req = urllib.request.Request(
        url, data=body, headers={"content-type": "application/json", "x-bench-case": case}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()
            return r.status, r.headers.get("x-risk-categories", "")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


# -- the stack ------------------------------------------------------------


class Bench:
    """Owns every process it starts, and stops them all on exit."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.processes: list[Process] = []
        self.upstream_port = 0

    def add(self, proc: Process) -> Process:
        self.processes.append(proc)
        return proc

    def stop(self, proc: Process) -> None:
        proc.stop()
        self.processes.remove(proc)

    def close(self) -> None:
        for proc in reversed(self.processes):
            proc.stop()
        self.processes.clear()

    def start_upstream(self) -> None:
        self.upstream_port, admin = free_port(), free_port()
        answers = {
            "clean": chat_answer(clean_text(800)),
            "pii-dense": chat_answer(dense_text(800, values=PII_VALUES)),
        }
        config = upstream_config(self.upstream_port, admin, answers)
        self.add(start_envoy(self.workdir, "upstream", config, admin))

    def front(self, name: str, extproc: int = 0, concurrency: int = 1, **options: Any) -> Front:
        listen, admin = free_port(), free_port()
        config = front_config(
            listen=listen,
            admin=admin,
            extproc=extproc or free_port(),
            upstream=self.upstream_port,
            ext_proc=bool(extproc),
            **options,
        )
        proc = self.add(start_envoy(self.workdir, name, config, admin, concurrency))
        return Front(name, proc, listen, admin)

    def server(
        self, name: str, policy: str | None, workers: int = 1, extra: Sequence[str] = ()
    ) -> tuple[Process, int]:
        port = free_port()
        proc = start_server(self.workdir, name, port, policy, workers, list(extra))
        return self.add(proc), port


@dataclass
class Front:
    name: str
    proc: Process
    listen: int
    admin: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listen}/v1/chat/completions"


@contextmanager
def bench_dir(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="extproc-bench-"))
    try:
        yield path
    finally:
        if keep:
            print(f"logs kept in {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


# -- the report -----------------------------------------------------------


def machine() -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    envoy = subprocess.run(
        [str(Path(sys.executable).parent / "envoy"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    found = re.search(r"/(\d+\.\d+\.\d+)/", envoy)
    envoy_version = found.group(1) if found else envoy
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    import grpc

    return [
        f"- CPU: {model}, `nproc` = {os.cpu_count()}",
        f"- Linux {platform.release()}, Python {platform.python_version()}, "
        f"grpcio {grpc.__version__}, Envoy {envoy_version}, "
        f"{wrk_version.split(' [')[0].strip() or 'wrk'}",
        "- load: wrk, 1 thread, 8 connections, POST; "
        + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    ]


def ms(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


# -- sections -------------------------------------------------------------


Runs = dict[str, Result]


def median_result(results: list[Result]) -> Result:
    """The run with the median throughput (keeps its own latencies)."""
    ordered = sorted(results, key=lambda r: r.rps)
    return ordered[len(ordered) // 2]


# The four-message config: both headers and both bodies, buffered (what the
# issue's first table measured); the bundled one is envoy/envoy.yaml as it is.
FOUR_MESSAGES = {
    "request_header_mode": "SEND",
    "response_header_mode": "SEND",
    "request_body_mode": "BUFFERED",
    "response_body_mode": "BUFFERED",
}
CONFIGS = {"four-message": FOUR_MESSAGES, "bundled": None}


@dataclass
class Variant:
    """One front Envoy and the processor behind it (none: plain Envoy)."""

    config: str
    processor: str
    front: Front
    pids: list[int]


def go_noop(b: Bench) -> tuple[Process | None, str]:
    """The compiled yardstick, built from Debian's packages (bench.gonoop);
    None and the reason when it cannot be built here."""
    from bench import gonoop

    lacking = gonoop.missing()
    if lacking and not gonoop.BINARY.exists():
        return None, f"not built: missing {', '.join(lacking)} (apt-get install {gonoop.PACKAGES})"
    try:
        binary = gonoop.build()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        return None, f"not built: {exc}"
    port = free_port()
    proc = start_process("go-noop", [str(binary), "-listen", f"127.0.0.1:{port}"], b.workdir)
    wait_for(lambda: port_open(port), "go no-op", 20)
    b.add(proc)
    return proc, str(port)


def section_compare(
    b: Bench, bodies: dict[tuple[str, str], Path], seconds: float, repeat: int
) -> list[str]:
    """The issue's table: plain Envoy, the Go no-op, the project's no-op and
    the default policy, behind the four-message config and the bundled one,
    every variant measured in each round (order alternating), ratios per round."""
    noop, noop_port = b.server("server-noop", None)
    dlp, dlp_port = b.server("server-default", DEFAULT_POLICY)
    go, go_port = go_noop(b)
    processors: dict[str, tuple[int, list[int]]] = {
        "project no-op": (noop_port, procs.tree(noop.proc.pid)),
        "default policy": (dlp_port, procs.tree(dlp.proc.pid)),
    }
    if go is not None:
        processors = {"Go no-op": (int(go_port), [go.proc.pid]), **processors}
    variants = [Variant("-", "plain Envoy", b.front("envoy-plain"), [])]
    for config, mode in CONFIGS.items():
        for name, (port, pids) in processors.items():
            front = b.front(f"envoy-{config}-{name.split()[0]}", port, processing_mode=mode)
            variants.append(Variant(config, name, front, pids))
    statuses: list[str] = []
    cells: dict[tuple[str, str], dict[tuple[str, str], str]] = {}
    messages: dict[tuple[str, str], float] = {}
    for (label, kind), path in bodies.items():
        for v in variants:
            status, risk = probe(v.front.url, path.read_bytes(), kind)
            if status != 200:
                statuses.append(f"{label} {kind} via {v.config} {v.processor}: HTTP {status}")
            elif v.processor == "default policy" and kind == "pii-dense" and not risk:
                statuses.append(f"{label} {kind}: no x-risk-categories (nothing found?)")
        runs: dict[int, list[Result]] = {i: [] for i in range(len(variants))}
        order = list(enumerate(variants))
        for round_ in range(repeat):
            # Alternate the order, so that drift on a shared machine does not
            # always favour the same variant.
            for i, v in order if round_ % 2 == 0 else reversed(order):
                if round_ == 0:
                    wrk(v.front.url, path, kind, 1)  # warm-up
                before = envoy_stats(v.front.admin, "ext_proc") if v.pids else {}
                r = measure(v.front.url, path, kind, seconds, v.pids, warmup=0)
                runs[i].append(r)
                if v.pids and label == "2 KB":
                    sent = envoy_stats(v.front.admin, "ext_proc")
                    count = sum(
                        sent[k] - before.get(k, 0)
                        for k in sent
                        if k.endswith("ext_proc.stream_msgs_sent")
                    )
                    messages[(v.config, kind)] = count / r.requests if r.requests else 0.0
        plain = runs[0]
        noop_runs = {
            v.config: runs[i] for i, v in enumerate(variants) if v.processor == "project no-op"
        }
        for i, v in enumerate(variants):
            share = sorted(x.rps / p.rps for x, p in zip(runs[i], plain, strict=True) if p.rps)
            median = median_result(runs[i])
            cell = f"{median.rps:,.0f}, **{share[len(share) // 2]:.2f}**"
            if v.pids:
                cell += f", {median.cpu_us_per_request:,.0f} µs"
            if v.processor == "default policy":
                base = noop_runs[v.config]
                vs = sorted(x.rps / n.rps for x, n in zip(runs[i], base, strict=True) if n.rps)
                cell += f" (÷ no-op **{vs[len(vs) // 2]:.2f}**)"
            errors = sum(x.errors for x in runs[i])
            if errors:
                cell += f", {errors} errors"
            cells.setdefault((v.config, v.processor), {})[(label, kind)] = cell
        print(f"{label} {kind}: done", flush=True)
    columns = list(bodies)
    lines = [
        "| config | processor | " + " | ".join(f"{label} {kind}" for label, kind in columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for v in variants:
        row = cells[(v.config, v.processor)]
        lines.append(
            f"| {v.config} | {v.processor} | " + " | ".join(row.get(c, "") for c in columns) + " |"
        )
    lines.append("")
    lines.append(
        "Each cell: requests/s (median round), **share of plain Envoy** (median of the "
        "same-round ratios), processor CPU per exchange (all its processes); for the default "
        "policy also **÷ no-op**: its same-round ratio to the project's no-op behind the same "
        "config."
    )
    if go is None:
        lines.append(f"- Go no-op: {go_port}")
    if messages:
        lines.append(
            "- ext_proc messages per exchange (Envoy's `stream_msgs_sent`, 2 KB): "
            + "; ".join(f"{c} {k}: {m:.2f}" for (c, k), m in sorted(messages.items()))
        )
    peak = max(procs.memory_kb(p).get("VmHWM", 0) for p in processors["default policy"][1])
    lines.append(f"- peak RSS of the default-policy server after these runs: {peak / 1024:.0f} MiB")
    for s in statuses:
        lines.append(f"- probe: {s}")
    for v in variants:
        b.stop(v.front.proc)
    for proc in (noop, dlp, go):
        if proc is not None:
            b.stop(proc)
    return lines


def section_upstream(b: Bench, body: Path, seconds: float) -> list[str]:
    """Is the upstream the bottleneck? Envoy alone in front of each upstream."""
    from extproc.demo.upstream import DemoUpstream

    demo = DemoUpstream()
    demo.start()
    try:
        direct = b.front("envoy-alone-direct")
        saved, b.upstream_port = b.upstream_port, demo.port
        python = b.front("envoy-alone-demo")
        b.upstream_port = saved
        r_direct = measure(direct.url, body, "clean", seconds)
        r_demo = measure(python.url, body, "clean", seconds)
    finally:
        demo.stop()
    b.stop(direct.proc)
    b.stop(python.proc)
    return [
        "| upstream (Envoy alone in front, 2 KB clean) | rps | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
        f"| Envoy `direct_response` (used below) | {r_direct.rps:,.0f} "
        f"| {ms(r_direct.p50_ms)} | {ms(r_direct.p99_ms)} |",
        f"| `extproc.demo.upstream` (Python) | {r_demo.rps:,.0f} "
        f"| {ms(r_demo.p50_ms)} | {ms(r_demo.p99_ms)} |",
    ]


def workers_of(pid: int) -> list[int]:
    """The serving processes: the server itself, or its spawned workers."""
    spawned = [p for p in procs.children(pid) if "spawn_main" in procs.cmdline(p)]
    return spawned or [pid]


def section_workers(b: Bench, body: Path, seconds: float) -> list[str]:
    lines = [
        "| Envoy | extproc cluster | workers | rps | p50 ms | p99 ms | ext_proc connections "
        "| connections per worker | CPU share per worker | errors |",
        "|---|---|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    # Envoy opens one connection per worker thread, more when a connection is
    # full (max_concurrent_streams); the kernel spreads connections, not streams.
    variants: list[tuple[int, int | None]] = [(1, None), (2, None), (2, 4), (2, 1)]
    for concurrency, mcs in variants:
        for workers in (1, 2):
            server, port = b.server(f"server-w{workers}", DEFAULT_POLICY, workers)
            front = b.front(f"envoy-c{concurrency}", port, concurrency, max_concurrent_streams=mcs)
            pids = procs.tree(server.proc.pid)
            r = measure(front.url, body, "clean", seconds, pids)
            stats = envoy_stats(front.admin, "cluster.extproc.upstream_cx_total")
            cx = stats.get("cluster.extproc.upstream_cx_total", 0)
            worker_pids = workers_of(server.proc.pid)
            per = [procs.established(p, port) for p in worker_pids]
            cpu = [r.cpu_by_pid.get(p, 0.0) for p in worker_pids]
            total = sum(cpu) or 1.0
            share = " / ".join(f"{c / total:.0%}" for c in cpu)
            lines.append(
                f"| `--concurrency {concurrency}` | "
                f"{'max_concurrent_streams ' + str(mcs) if mcs else 'default'} | {workers} "
                f"| {r.rps:,.0f} | {ms(r.p50_ms)} | {ms(r.p99_ms)} | {cx} "
                f"| {' / '.join(map(str, per))} | {share} | {r.errors} |"
            )
            print(lines[-1], flush=True)
            b.stop(front.proc)
            b.stop(server)
    return lines


PHASES: list[tuple[str, dict[str, str] | None, dict[str, Any]]] = [
    ("no ext_proc filter", None, {}),
    (
        "request headers only",
        {
            "response_header_mode": "SKIP",
            "request_body_mode": "NONE",
            "response_body_mode": "NONE",
        },
        {},
    ),
    (
        "+ request body (BUFFERED)",
        {"response_header_mode": "SKIP", "response_body_mode": "NONE"},
        {},
    ),
    ("+ response headers", {"response_body_mode": "NONE"}, {}),
    ("+ response body (BUFFERED) = bundled config", {}, {}),
    (
        "bundled + send_body_without_waiting_for_header_response",
        {},
        {"send_body_without_waiting_for_header_response": True},
    ),
]


def section_phases(b: Bench, body: Path, seconds: float) -> list[str]:
    server, port = b.server("server-phases", None)
    pids = procs.tree(server.proc.pid)
    lines = [
        "| no-op processor sees | ext_proc messages / request | rps | p50 ms | p99 ms "
        "| processor CPU µs/req | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    messages = [0, 1, 2, 3, 4, 4]
    for (label, mode, settings), count in zip(PHASES, messages, strict=True):
        if mode is None:
            front = b.front("envoy-phase", 0)
        else:
            front = b.front(
                "envoy-phase", port, processing_mode=mode, filter_settings=settings or None
            )
        r = measure(front.url, body, "clean", seconds, pids)
        lines.append(
            f"| {label} | {count} | {r.rps:,.0f} | {ms(r.p50_ms)} | {ms(r.p99_ms)} "
            f"| {r.cpu_us_per_request:,.0f} | {r.errors} |"
        )
        print(lines[-1], flush=True)
        b.stop(front.proc)
    # A route that turns the filter off (ExtProcPerRoute disabled: true).
    front = b.front("envoy-phase", port, disabled_prefix="/v1/models")
    url = f"http://127.0.0.1:{front.listen}/v1/models"
    r = measure(url, body, "clean", seconds, pids)
    lines.append(
        f"| bundled, on a route with `ExtProcPerRoute {{disabled: true}}` | 0 "
        f"| {r.rps:,.0f} | {ms(r.p50_ms)} | {ms(r.p99_ms)} | {r.cpu_us_per_request:,.0f} "
        f"| {r.errors} |"
    )
    print(lines[-1], flush=True)
    b.stop(front.proc)
    b.stop(server)
    return lines


def section_event_loop(
    b: Bench, bodies: dict[tuple[str, str], Path], seconds: float, repeat: int
) -> list[str]:
    """The default policy on uvloop and on asyncio's own loop, behind the
    bundled config: alternating rounds, CPU per exchange and the same-round ratio."""
    loops = ("uvloop", "asyncio")
    variants = []
    for loop in loops:
        server, port = b.server(f"server-{loop}", DEFAULT_POLICY, extra=["--event-loop", loop])
        variants.append((loop, server, b.front(f"envoy-{loop}", port)))
    lines = [
        "| body | uvloop: rps, CPU µs/exchange | asyncio: rps, CPU µs/exchange "
        "| uvloop CPU ÷ asyncio CPU |",
        "|---|---|---|---:|",
    ]
    for (label, kind), path in bodies.items():
        runs: dict[str, list[Result]] = {loop: [] for loop in loops}
        for round_ in range(repeat):
            order = variants if round_ % 2 == 0 else variants[::-1]
            for loop, server, front in order:
                if round_ == 0:
                    wrk(front.url, path, kind, 1)  # warm-up
                pids = procs.tree(server.proc.pid)
                runs[loop].append(measure(front.url, path, kind, seconds, pids, warmup=0))
        ratios = sorted(
            u.cpu_us_per_request / a.cpu_us_per_request
            for u, a in zip(runs["uvloop"], runs["asyncio"], strict=True)
            if a.cpu_us_per_request
        )
        cells = []
        for loop in loops:
            m = median_result(runs[loop])
            cells.append(f"{m.rps:,.0f}, {m.cpu_us_per_request:,.0f} µs")
        lines.append(f"| {label} {kind} | {' | '.join(cells)} | {ratios[len(ratios) // 2]:.2f} |")
        print(lines[-1], flush=True)
    for _, server, front in variants:
        b.stop(front.proc)
        b.stop(server)
    return lines


AUDIT_MODE = {
    "request_header_mode": "SEND",
    "response_header_mode": "SEND",
    "request_body_mode": "STREAMED",
    "response_body_mode": "STREAMED",
}


def _settled(pids: Sequence[int], limit: float = 30.0) -> float:
    """Seconds until the processor is idle (under 2 % of a core over 0.25 s):
    in observability mode Envoy does not wait, so the processor may still be
    reading what it was sent after the client is done. At most ``limit``."""
    started = time.monotonic()
    last = sum(procs.cpu_seconds(p) for p in pids)
    while time.monotonic() - started < limit:
        time.sleep(0.25)
        now = sum(procs.cpu_seconds(p) for p in pids)
        if now - last < 0.005:
            break
        last = now
    return time.monotonic() - started


def section_audit(b: Bench, bodies: dict[tuple[str, str], Path], seconds: float) -> list[str]:
    """A log-only policy behind the bundled config (Envoy waits for every
    answer) and behind the audit config's observability mode (it does not):
    the client's rate, and the processor's CPU until it has read everything
    Envoy sent (counted by its decision lines)."""
    policy = b.workdir / "audit.yaml"
    policy.write_text(AUDIT_POLICY)
    server, port = b.server("server-audit", str(policy))
    pids = procs.tree(server.proc.pid)
    plain = b.front("envoy-audit-plain")
    fronts = [
        ("bundled config", b.front("envoy-audit-bundled", port)),
        (
            "audit config (`observability_mode`)",
            b.front(
                "envoy-audit-observed",
                port,
                processing_mode=AUDIT_MODE,
                filter_settings={"observability_mode": True, "failure_mode_allow": True},
            ),
        ),
    ]
    lines = [
        "| log-only policy behind | body | rps | share of plain Envoy | p50 ms | p99 ms "
        "| processor CPU µs/exchange | processor idle after | exchanges logged | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (label, kind), path in bodies.items():
        base = measure(plain.url, path, kind, seconds)
        for name, front in fronts:
            wrk(front.url, path, kind, 1)  # warm-up, then let the processor catch up
            _settled(pids)
            logged = server.output().count('"message": "decision"')
            before = sum(procs.cpu_seconds(p) for p in pids)
            r = measure(front.url, path, kind, seconds, warmup=0)
            lag = _settled(pids)
            cpu = sum(procs.cpu_seconds(p) for p in pids) - before
            logged = server.output().count('"message": "decision"') - logged
            share = r.rps / base.rps if base.rps else 0.0
            per = cpu / r.requests * 1e6 if r.requests else 0.0
            lines.append(
                f"| {name} | {label} {kind} | {r.rps:,.0f} | {share:.2f} | {ms(r.p50_ms)} "
                f"| {ms(r.p99_ms)} | {per:,.0f} | {lag:.1f} s | {logged:,} of {r.requests:,} "
                f"| {r.errors} |"
            )
            print(lines[-1], flush=True)
    for _, front in fronts:
        b.stop(front.proc)
    b.stop(plain.proc)
    b.stop(server)
    return lines


def section_memory(b: Bench, body: Path, seconds: float, workers: int) -> list[str]:
    server, port = b.server("server-rss", DEFAULT_POLICY, workers)
    front = b.front("envoy-rss", port, concurrency=2, max_concurrent_streams=4)
    if workers == 1:
        pids, names = [server.proc.pid], ["server"]
    else:
        pids = [server.proc.pid, *workers_of(server.proc.pid)]
        names = ["supervisor", *(f"worker {i}" for i in range(len(pids) - 1))]
    samples: list[tuple[float, list[int]]] = []
    result: list[Result] = []
    runner = threading.Thread(
        target=lambda: result.append(measure(front.url, body, "pii-dense", seconds, warmup=0))
    )
    start = time.monotonic()
    runner.start()
    while runner.is_alive():
        samples.append(
            (time.monotonic() - start, [procs.memory_kb(p).get("VmRSS", 0) for p in pids])
        )
        runner.join(timeout=min(5.0, seconds / 12))
    peaks = [procs.memory_kb(p).get("VmHWM", 0) for p in pids]
    b.stop(front.proc)
    b.stop(server)
    lines = [
        f"2 KB PII-dense bodies (every one redacted), default policy, `--workers {workers}`, "
        f"Envoy `--concurrency 2`, {seconds:g} s, "
        f"{result[0].requests:,} requests ({result[0].rps:,.0f} rps, {result[0].errors} errors). "
        "RSS in MiB:",
        "",
        "| t (s) | " + " | ".join(names) + " |",
        "|---:|" + "---:|" * len(names),
    ]
    for t, rss in samples:
        lines.append(f"| {t:.0f} | " + " | ".join(f"{k / 1024:.1f}" for k in rss) + " |")
    lines.append("| peak | " + " | ".join(f"{k / 1024:.1f}" for k in peaks) + " |")
    firsts = [rss for t, rss in samples if t >= seconds / 6] or [samples[0][1]]
    growth = [(samples[-1][1][i] - firsts[0][i]) / 1024 for i in range(len(pids))]
    lines.append("")
    lines.append(
        "Growth from the first sample after warm-up to the last: "
        + ", ".join(f"{n} {g:+.1f} MiB" for n, g in zip(names, growth, strict=True))
        + "."
    )
    return lines


def section_engine(mb: float) -> list[str]:
    from bench.engine import best_of
    from extproc.detect.catalogue import BUILTIN
    from extproc.detect.scanner import build_scanner

    scanner = build_scanner(BUILTIN)
    size = int(mb * 1_000_000)
    lines = [
        "| what | clean MB/s | PII-dense MB/s |",
        "|---|---:|---:|",
    ]
    rates = []
    for text in (clean_text(size), dense_text(size, values=PII_VALUES)):
        seconds, _ = best_of(scanner, text)
        rates.append(len(text) / seconds / 1e6)
    lines.append(
        f"| scanner, all built-in detectors ({mb:g} MB of text, one core) "
        f"| {rates[0]:.1f} | {rates[1]:.1f} |"
    )
    body_rates = []
    for kind in KINDS:
        body = chat_body(32_000, kind)
        body_rates.append(_inspector_rate(body))
    lines.append(
        "| DlpInspector.body, default policy, 32 KB chat JSON (scan, decide, redact; one core) "
        f"| {body_rates[0]:.1f} | {body_rates[1]:.1f} |"
    )
    return lines


def _inspector_rate(body: bytes, rounds: int = 30) -> float:
    from extproc.app import inspector_factory
    from extproc.policy.model import Direction
    from extproc.settings import Settings
    from extproc.verdicts import BodyMode

    factory, _ = inspector_factory(Settings(policy=str(ROOT / DEFAULT_POLICY)))
    headers = {":path": "/v1/chat/completions", "content-type": "application/json"}
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(rounds):
            inspector = factory({}, {})
            inspector.headers(Direction.REQUEST, headers, False, BodyMode.BUFFERED)
            inspector.body(Direction.REQUEST, body, True)
        best = min(best, time.perf_counter() - start)
    return len(body) * rounds / best / 1e6


# -- main -----------------------------------------------------------------


def ensure_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: `apt-get install -y wrk` (make bench does it)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per cell (median kept)")
    parser.add_argument("--rss-seconds", type=float, default=60.0, help="memory run length")
    parser.add_argument("--quick", action="store_true", help="2 KB only, 2 s runs, no memory run")
    parser.add_argument(
        "--only",
        default="",
        help="comma list: compare,upstream,loop,audit,workers,phases,memory,engine",
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.md"))
    parser.add_argument("--keep", action="store_true", help="keep the logs directory")
    args = parser.parse_args(argv)
    ensure_wrk()
    seconds = 2.0 if args.quick else args.duration
    sizes = {"2 KB": 2_000} if args.quick else SIZES
    wanted = set(filter(None, args.only.split(","))) or {
        "compare",
        "upstream",
        "loop",
        "audit",
        "workers",
        "phases",
        "memory",
        "engine",
    }
    if args.quick:
        wanted.discard("memory")
    report = ["# Benchmark results", "", *machine(), ""]
    print("\n".join(report), flush=True)
    sections: list[tuple[str, str, Callable[[], list[str]]]] = []
    with bench_dir(args.keep) as workdir:
        bodies: dict[tuple[str, str], Path] = {}
        for label, size in sizes.items():
            for kind in KINDS:
                path = workdir / f"body-{size}-{kind}.json"
                path.write_bytes(chat_body(size, kind))
                bodies[(label, kind)] = path
        compared = {k: v for k, v in bodies.items() if k[0] in COMPARED}
        two_kb = bodies.get(("2 KB", "clean"), next(iter(bodies.values())))
        two_kb_dense = bodies.get(("2 KB", "pii-dense"), two_kb)
        b = Bench(workdir)
        sections = [
            (
                "compare",
                "Throughput through Envoy (`--concurrency 1`, one server process)",
                lambda: section_compare(b, compared, seconds, args.repeat),
            ),
            (
                "upstream",
                "Is the upstream the bottleneck?",
                lambda: section_upstream(b, two_kb, seconds),
            ),
            (
                "loop",
                "Event loop: uvloop against asyncio's own (default policy, bundled config)",
                lambda: section_event_loop(
                    b, {k: v for k, v in bodies.items() if k[0] == "2 KB"}, seconds, args.repeat
                ),
            ),
            (
                "audit",
                "Audit mode: a log-only policy, waited for or not",
                lambda: section_audit(
                    b, {k: v for k, v in bodies.items() if k[0] == "2 KB"}, seconds
                ),
            ),
            (
                "phases",
                "Cost of each ext_proc phase (no-op processor, 2 KB clean)",
                lambda: section_phases(b, two_kb, seconds),
            ),
            (
                "workers",
                "Workers and how Envoy spreads streams (default policy, 2 KB clean)",
                lambda: section_workers(b, two_kb, seconds),
            ),
            (
                "memory",
                "Memory over a longer run",
                lambda: section_memory(b, two_kb_dense, args.rss_seconds, 2),
            ),
        ]
        try:
            b.start_upstream()
            for key, title, run in sections:
                if key not in wanted:
                    continue
                print(f"\n## {title}\n", flush=True)
                lines = run()
                if key in ("compare", "upstream"):
                    print("\n".join(lines), flush=True)
                report += [f"## {title}", "", *lines, ""]
        finally:
            b.close()
    if "engine" in wanted:
        print("\n## Engine alone\n", flush=True)
        lines = section_engine(2.0)
        print("\n".join(lines), flush=True)
        report += ["## Engine alone", "", *lines, ""]
    Path(args.out).write_text("\n".join(report))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
