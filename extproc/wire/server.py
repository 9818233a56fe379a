"""The gRPC server: ext_proc service, health, policy reload, graceful drain, TLS.

One process, one ``grpc.aio`` server, handed its inspector factory and reload
step (``extproc.app`` builds them). ``extproc.wire.workers`` runs several of
these on one port; each is the same as a lone one.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio

from extproc.recording import NOOP, Recorder
from extproc.settings import Settings
from extproc.wire.callers import Allowed, CallerCheck
from extproc.wire.pb import external_processor_pb2_grpc
from extproc.wire.service import ExternalProcessor, InspectorFactory

log = logging.getLogger("extproc.server")

SERVICE_NAME = "envoy.service.ext_proc.v3.ExternalProcessor"


class CertificateFiles:
    """The TLS certificate, key and client CA as files, read again when they change.

    grpc asks ``fetch`` before every TLS handshake (that is, per new
    connection: Envoy keeps its connections, so this is rare). A change is
    seen by the files' size and modification time; a file that cannot be read
    or a pair grpc refuses keeps the previous certificate serving.
    """

    def __init__(self, cert: str, key: str, client_ca: str | None = None) -> None:
        self._paths = tuple(Path(p) for p in (cert, key, client_ca) if p is not None)
        self._cert, self._key, self._client_ca = Path(cert), Path(key), client_ca
        self._signature = self._stat()
        self.initial = self._load()  # errors here stop the server from starting
        self.reloads = 0

    def _stat(self) -> tuple[tuple[int, int], ...]:
        out = []
        for path in self._paths:
            st = path.stat()
            out.append((st.st_mtime_ns, st.st_size))
        return tuple(out)

    def _load(self) -> grpc.ServerCertificateConfiguration:
        ca = Path(self._client_ca).read_bytes() if self._client_ca else None
        pair = (self._key.read_bytes(), self._cert.read_bytes())
        return grpc.ssl_server_certificate_configuration([pair], root_certificates=ca)

    def fetch(self) -> grpc.ServerCertificateConfiguration | None:
        try:
            signature = self._stat()
            if signature == self._signature:
                return None
            config = self._load()
        except Exception:  # a half-written file: keep serving the last good one
            log.warning("TLS files changed but cannot be read; keeping the current ones")
            return None
        self._signature = signature
        self.reloads += 1
        log.info("TLS certificate reloaded", extra={"cert": str(self._cert)})
        return config

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(
            self.initial,
            self.fetch,
            require_client_authentication=self._client_ca is not None,
        )


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """TLS (and mTLS with a client CA) if certificate files are set, else None."""
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    return CertificateFiles(
        settings.tls_cert, settings.tls_key, settings.tls_client_ca
    ).credentials()


def build_server(
    settings: Settings,
    factory: InspectorFactory,
    recorder: Recorder = NOOP,
    reuse_port: bool = False,
) -> tuple[grpc.aio.Server, health_aio.HealthServicer, int]:
    """``reuse_port``: one worker of several on this port (see ``extproc.wire.port``)."""
    limit = settings.max_message_bytes
    interceptors = []
    if settings.allowed_clients:
        interceptors.append(CallerCheck(Allowed(settings.allowed_clients), recorder))
    server = grpc.aio.server(
        interceptors=interceptors,
        options=[
            ("grpc.max_receive_message_length", limit),
            ("grpc.max_send_message_length", limit),
            ("grpc.so_reuseport", 1 if reuse_port else 0),
            # Envoy keeps one HTTP/2 connection open and multiplexes streams on it.
            ("grpc.max_concurrent_streams", settings.max_streams),
        ],
        maximum_concurrent_rpcs=settings.max_streams,
    )
    # Threads are started on first use: a server without judges starts none.
    offload = ThreadPoolExecutor(settings.callout_threads, thread_name_prefix="callout")
    servicer = ExternalProcessor(factory, settings.metadata_namespace, recorder, offload)
    external_processor_pb2_grpc.add_ExternalProcessorServicer_to_server(  # type: ignore[no-untyped-call]
        servicer, server
    )
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    credentials = server_credentials(settings)
    if credentials is None:
        port = server.add_insecure_port(settings.listen)
    else:
        port = server.add_secure_port(settings.listen, credentials)
    if port == 0:
        raise OSError(f"cannot listen on {settings.listen}")
    return server, health, port


async def _set_health(health: health_aio.HealthServicer, status: int) -> None:
    for name in ("", SERVICE_NAME):
        await health.set(name, status)


async def _reload_loop(step: Callable[[], None], interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(step)
        except Exception:  # the loop must survive anything a reload throws
            log.exception("policy reload step failed")


async def _memory_report(interval: float) -> None:
    """``EXTPROC_DEBUG_MEMORY=SECONDS``: log where Python memory grew since the
    first snapshot, every SECONDS (tracemalloc; slows the server: debug only)."""
    import tracemalloc

    tracemalloc.start(8)
    first = tracemalloc.take_snapshot()
    while True:
        await asyncio.sleep(interval)
        now = tracemalloc.take_snapshot()
        top = now.compare_to(first, "traceback")[:10]
        for stat in top:
            where = [f"{f.filename}:{f.lineno}" for f in stat.traceback][-4:]
            log.info(
                "memory growth",
                extra={
                    "kib": round(stat.size_diff / 1024, 1),
                    "count": stat.count_diff,
                    "at": where,
                },
            )


async def serve(
    settings: Settings,
    factory: InspectorFactory,
    reload_step: Callable[[], None] | None = None,
    recorder: Recorder = NOOP,
    worker: bool = False,
) -> None:
    """Run until SIGTERM/SIGINT, then drain open streams for the grace period.
    ``reload_step`` (if any) runs every ``reload_interval`` seconds. A
    ``worker`` (one of several) shares the port and logs its serving,
    draining and stopping at debug level: its supervisor says each once."""
    lifecycle = logging.DEBUG if worker else logging.INFO
    server, health, port = build_server(settings, factory, recorder, reuse_port=worker)
    # What exists now (modules, compiled policies, automata) lives as long as
    # the process: keep it out of every garbage collection that follows.
    gc.freeze()
    # Signals are handled before the port is served: a SIGTERM that follows
    # readiness at once still drains instead of killing the process.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    await _set_health(health, health_pb2.HealthCheckResponse.SERVING)
    log.log(
        lifecycle,
        "serving",
        extra={
            "listen": settings.listen,
            "port": port,
            "tls": settings.tls_cert is not None,
            "mtls": settings.tls_client_ca is not None,
            "allowed_clients": list(settings.allowed_clients),
            "pid": os.getpid(),
        },
    )

    memory = None
    if os.environ.get("EXTPROC_DEBUG_MEMORY"):
        memory = asyncio.create_task(_memory_report(float(os.environ["EXTPROC_DEBUG_MEMORY"])))
    reloader = None
    if reload_step is not None and settings.reload_interval > 0:
        reloader = asyncio.create_task(_reload_loop(reload_step, settings.reload_interval))
    try:
        await stop.wait()
    finally:
        log.log(lifecycle, "draining", extra={"grace_period": settings.grace_period})
        await _set_health(health, health_pb2.HealthCheckResponse.NOT_SERVING)
        for task in (reloader, memory):
            if task is not None:
                task.cancel()
        await server.stop(settings.grace_period)
        log.log(lifecycle, "stopped")
