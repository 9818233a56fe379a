"""``extproc serve --workers N``: N server processes on one port, supervised.

Each worker runs the target it is handed (``extproc.app.run_server``, as
uvicorn's supervisors are handed ``target=server.run``): a whole server with
its own ``grpc.aio`` server, policy, hot reload and health. They share the
listening port with ``SO_REUSEPORT``, so the kernel hands each new
*connection* to one of them; the caller holds the port's claim
(``extproc.wire.port``), so no other extproc server joins them. Envoy
multiplexes streams over few connections (one per Envoy worker thread and
endpoint), so how evenly work spreads depends on how many connections Envoy
opens (README, "Performance").

The supervisor never imports grpc, and workers are started with the
``spawn`` method (a fresh interpreter each, which imports the target's module
by name): grpc does not survive ``fork``. It

* opens the port for all workers at once: each worker loads its policy,
  reports ready, and binds only when every worker is ready, so the first
  accepted connection means every worker is serving;
* forwards SIGTERM/SIGINT (each worker drains for the grace period) and exits
  when they have all exited;
* restarts a worker that dies, with a backoff; a worker that fails before the
  first start makes the whole server fail (a bad policy stops them all);
* takes its workers with it if it is killed (``PR_SET_PDEATHSIG``);
* with ``--max-worker-rss``, drains and replaces a worker whose memory grew
  past the limit, one worker at a time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from extproc.settings import Settings

# What a worker runs: (settings, before_bind, worker index) -> exit status.
# ``before_bind`` must be called once the worker is ready to bind its port.
Target = Callable[["Settings", Callable[[], None], int], int]

log = logging.getLogger("extproc.workers")

READY = "ready"  # worker -> supervisor: policy loaded, about to bind
GO = "go"  # supervisor -> worker: bind now
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
STABLE_AFTER = 60.0  # a worker that ran this long starts its backoff anew
KILL_AFTER_GRACE = 5.0
RECYCLE_MIN_AGE = 5.0  # seconds a worker serves before it may be recycled
RSS_CHECK_EVERY = 2.0


# -- in the worker ---------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when the supervisor dies: a killed server
    must not leave workers serving on its port."""
    with contextlib.suppress(Exception):  # not Linux: no such call, carry on
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        sys.exit(1)  # it died before prctl took effect


def worker_main(
    target: Target, settings: Settings, index: int, conn: Connection, parent: int
) -> None:
    """A worker's whole life (runs in a spawned interpreter)."""
    _die_with_parent(parent)

    def before_bind() -> None:
        conn.send(READY)
        if conn.recv() != GO:
            raise SystemExit(1)

    code = target(settings, before_bind, index)
    conn.close()
    sys.exit(code)


def worker_settings(settings: Settings, index: int) -> Settings:
    """Per worker: its own Prometheus port (port + index). ``workers`` keeps
    its value: a worker knows it is one of several (budgets say so)."""
    prometheus = settings.prometheus_listen
    if prometheus is not None:
        host, _, port = prometheus.rpartition(":")
        if int(port) != 0:
            prometheus = f"{host}:{int(port) + index}"
    return dataclasses.replace(settings, prometheus_listen=prometheus)


# -- in the supervisor -----------------------------------------------------


def resident_kib(pid: int) -> int:
    """VmRSS of a process (Linux); 0 when unknown."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


@dataclass
class Worker:
    index: int
    process: BaseProcess | None = None
    conn: Connection | None = None
    started: float = 0.0
    asked: bool = False  # said READY: policy loaded, waiting to bind
    serving: bool = False  # told to bind
    failures: int = 0
    restart_at: float | None = None
    recycling: bool = False  # drained for its memory: start a new one at once


class Supervisor:
    def __init__(self, settings: Settings, target: Target) -> None:
        self.settings = settings
        self.target = target
        self.ctx = multiprocessing.get_context("spawn")
        self.workers = [Worker(i) for i in range(settings.workers)]
        self.started = False  # every worker has been told to bind once
        self.stopping = False
        self.kill_at: float | None = None
        self.exit_code = 0
        self.next_rss_check = 0.0

    def start(self, w: Worker) -> None:
        ours, theirs = self.ctx.Pipe()
        settings = worker_settings(self.settings, w.index)
        args = (self.target, settings, w.index, theirs, os.getpid())
        process = self.ctx.Process(target=worker_main, args=args, name=f"extproc-worker-{w.index}")
        process.start()
        theirs.close()
        w.process, w.conn, w.started = process, ours, time.monotonic()
        w.asked = w.serving = False
        w.restart_at = None

    def stop(self) -> None:
        if not self.stopping:
            log.info("stopping workers", extra={"grace_period": self.settings.grace_period})
            self.stopping = True
            self.kill_at = time.monotonic() + self.settings.grace_period + KILL_AFTER_GRACE
        for w in self.workers:
            w.restart_at = None
            if w.process is not None and w.process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(w.process.pid, signal.SIGTERM)

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())
        for w in self.workers:
            self.start(w)
        while True:
            live = [w for w in self.workers if w.process is not None]
            pending = [w for w in self.workers if w.restart_at is not None]
            if not live and not pending:
                if self.started:
                    log.info("stopped", extra={"code": self.exit_code})
                return self.exit_code
            if self.kill_at is not None and time.monotonic() > self.kill_at:
                for w in live:
                    assert w.process is not None
                    w.process.kill()
            handles: list[Any] = [w.process.sentinel for w in live if w.process is not None]
            handles += [w.conn for w in live if w.conn is not None and not w.asked]
            for handle in wait(handles, timeout=0.2):
                self._event(handle)
            if self.stopping:
                continue
            if not self.started and self.exit_code:
                self.stop()  # one worker could not start: neither can the server
            elif not self.started and all(w.asked for w in self.workers):
                # All policies loaded: now all bind, within a moment of each other.
                self.started = True
                for w in self.workers:
                    self._go(w)
                extra = {"workers": len(self.workers), "listen": self.settings.listen}
                log.info("serving", extra=extra)
            now = time.monotonic()
            for w in pending:
                if w.restart_at is not None and now >= w.restart_at:
                    self.start(w)
            if self.started and self.settings.max_worker_rss and now >= self.next_rss_check:
                self.next_rss_check = now + RSS_CHECK_EVERY
                self._recycle_one()

    def _recycle_one(self) -> None:
        """Drain the worker most over ``max_worker_rss`` (one at a time, so the
        others keep the port served); its replacement starts when it exits.
        grpc's native memory grows with every stream Envoy resets (see
        the README, "Performance"): this bounds it."""
        if any(w.recycling for w in self.workers):
            return
        limit_kib = self.settings.max_worker_rss * 1024
        over = [
            (rss, w)
            for w in self.workers
            if w.process is not None
            and w.process.pid is not None
            and w.serving
            and time.monotonic() - w.started >= RECYCLE_MIN_AGE
            and (rss := resident_kib(w.process.pid)) > limit_kib
        ]
        if not over:
            return
        rss, w = max(over, key=lambda pair: pair[0])
        assert w.process is not None and w.process.pid is not None
        log.info("recycling worker", extra={"worker": w.index, "rss_mib": rss // 1024})
        w.recycling = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(w.process.pid, signal.SIGTERM)

    def _go(self, w: Worker) -> None:
        if w.conn is not None and not w.serving:
            with contextlib.suppress(OSError):
                w.conn.send(GO)
            w.serving = True

    def _event(self, handle: Any) -> None:
        for w in self.workers:
            if w.process is None:
                continue
            if handle is w.conn:
                try:
                    said = w.conn.recv()
                except (EOFError, OSError):
                    said = None  # it is exiting: its sentinel tells the rest
                if said == READY:
                    w.asked = True
                    if self.started and not self.stopping:
                        self._go(w)  # a restart: the others already serve
                return
            if handle == w.process.sentinel:
                self._exited(w)
                return

    def _exited(self, w: Worker) -> None:
        assert w.process is not None
        w.process.join()
        code = w.process.exitcode or 0
        lived = time.monotonic() - w.started
        if w.conn is not None:
            w.conn.close()
        w.process, w.conn = None, None
        w.asked = w.serving = False
        if w.recycling and not self.stopping:
            w.recycling = False
            log.info("worker recycled", extra={"worker": w.index, "code": code})
            self.start(w)
            return
        if self.stopping or code == 0:
            level = logging.DEBUG if self.stopping and code == 0 else logging.INFO
            log.log(level, "worker exited", extra={"worker": w.index, "code": code})
            return
        if not self.started:
            # Failed before the server ever started: a bad policy, a taken port.
            log.error("worker failed to start", extra={"worker": w.index, "code": code})
            self.exit_code = code if code > 0 else 1
            return
        w.failures = 1 if lived > STABLE_AFTER else w.failures + 1
        delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (w.failures - 1))
        w.restart_at = time.monotonic() + delay
        log.error("worker died; restarting", extra={"worker": w.index, "code": code, "in_s": delay})


def supervise(settings: Settings, target: Target) -> int:
    """Run ``target`` in ``settings.workers`` processes until SIGTERM/SIGINT:
    the exit status. The caller has claimed the port (``extproc.wire.port``),
    resolved port 0 in ``settings.listen``, and set up logging."""
    log.debug("supervising", extra={"workers": settings.workers, "listen": settings.listen})
    return Supervisor(settings, target).run()
