"""The gRPC server: ext_proc service, health, policy reload, graceful drain."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Mapping

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio

from extproc.exchange import Inspector, PassInspector
from extproc.recording import NOOP, Recorder
from extproc.settings import Settings
from extproc.wire.pb import external_processor_pb2_grpc
from extproc.wire.service import ExternalProcessor, InspectorFactory

log = logging.getLogger("extproc.server")

SERVICE_NAME = "envoy.service.ext_proc.v3.ExternalProcessor"


def _pass_factory(_: Mapping[str, str]) -> Inspector:
    return PassInspector()


def inspector_factory(
    settings: Settings, recorder: Recorder = NOOP
) -> tuple[InspectorFactory, Callable[[], None] | None]:
    """The per-stream inspector source, and the periodic reload step (if any)."""
    if settings.policy is None:
        return _pass_factory, None
    from extproc.dlp import policy_inspectors

    return policy_inspectors(settings.policy, recorder)


def build_server(
    settings: Settings, factory: InspectorFactory, recorder: Recorder = NOOP
) -> tuple[grpc.aio.Server, health_aio.HealthServicer, int]:
    limit = settings.max_message_bytes
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", limit),
            ("grpc.max_send_message_length", limit),
            ("grpc.so_reuseport", 1),
            # Envoy keeps one HTTP/2 connection open and multiplexes streams on it.
            ("grpc.max_concurrent_streams", settings.max_streams),
        ],
        maximum_concurrent_rpcs=settings.max_streams,
    )
    servicer = ExternalProcessor(factory, settings.metadata_namespace, recorder)
    external_processor_pb2_grpc.add_ExternalProcessorServicer_to_server(  # type: ignore[no-untyped-call]
        servicer, server
    )
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port(settings.listen)
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


async def serve(
    settings: Settings,
    on_ready: Callable[[int], None] | None = None,
    recorder: Recorder = NOOP,
) -> None:
    """Run until SIGTERM/SIGINT, then drain open streams for the grace period."""
    factory, reload_step = inspector_factory(settings, recorder)
    server, health, port = build_server(settings, factory, recorder)
    await server.start()
    await _set_health(health, health_pb2.HealthCheckResponse.SERVING)
    log.info("serving", extra={"listen": settings.listen, "port": port})
    if on_ready is not None:
        on_ready(port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    reloader = None
    if reload_step is not None and settings.reload_interval > 0:
        reloader = asyncio.create_task(_reload_loop(reload_step, settings.reload_interval))
    try:
        await stop.wait()
    finally:
        log.info("draining", extra={"grace_period": settings.grace_period})
        await _set_health(health, health_pb2.HealthCheckResponse.NOT_SERVING)
        if reloader is not None:
            reloader.cancel()
        await server.stop(settings.grace_period)
        log.info("stopped")
