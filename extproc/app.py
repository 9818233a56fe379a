"""Settings -> a running server: the one place where the server is assembled.

``serve`` claims the port (``extproc.wire.port``), then runs one server, or
hands ``run_server`` to the worker supervisor (as uvicorn hands
``target=server.run`` to its supervisors), which runs it in each spawned
worker. A server process builds, in order: logging, telemetry, the policy
store and its reload step, the governor (hash key, budget store), the
per-stream inspector factory; then ``extproc.wire.server`` serves it.

Server-wide notices (pass-through, budgets per worker) are logged once, by
the lone server or the supervisor, never once per worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import sys
from collections.abc import Callable, Mapping

from extproc.detect.recognizers import ModelPass, factories, load_recognizers
from extproc.dlp import DlpInspector
from extproc.govern.guard import Governor
from extproc.govern.keys import Hasher
from extproc.passthrough import PassThroughInspector
from extproc.policy.load import PolicyError
from extproc.policy.store import PolicyStore
from extproc.recording import NOOP, Recorder
from extproc.settings import Settings
from extproc.signals.judge import Judges
from extproc.telemetry import TelemetryError, configure_logging, otlp_protocol, setup_telemetry
from extproc.verdicts import Inspector
from extproc.wire import workers
from extproc.wire.port import PortTaken, claim

log = logging.getLogger("extproc.app")

POLICY_METADATA = "x-dlp-policy"

Factory = Callable[[Mapping[str, str], Mapping[str, object]], Inspector]


def governor(settings: Settings, recorder: Recorder = NOOP) -> Governor:
    """The hash key and the budget store: Redis when a URL is set, else memory."""
    store = None
    if settings.redis_url:
        # Imported here: redis takes a quarter of a second to import, paid only
        # by servers that share budgets.
        from extproc.govern.redis_store import RedisBudgets

        store = RedisBudgets.from_url(settings.redis_url, settings.redis_timeout)
        store.check()  # logs a warning if Redis is not there yet; budgets then fail per policy
    key = settings.hash_key.encode() if settings.hash_key else None
    return Governor(Hasher(key), store, recorder)


def policy_inspectors(
    path: str, recorder: Recorder, shared: Governor, model: ModelPass | None = None
) -> tuple[Callable[[Mapping[str, str], Mapping[str, object]], DlpInspector], Callable[[], None]]:
    """A per-stream inspector factory over the policies at ``path``, and the
    reload step the server runs periodically. Each stream takes one snapshot
    of the policy set when it starts; a reload swaps the reference for new ones.

    A route can name its policy: Envoy's ``ExtProcPerRoute`` adds gRPC initial
    metadata ``x-dlp-policy: NAME`` to the streams of that route. An unknown
    name fails the stream, so Envoy applies the operator's failure mode.

    ``shared`` holds the hash key and the budget store of every stream;
    ``attributes`` are Envoy's request attributes of the stream, for attribution."""
    store = PolicyStore(path, model=model)
    # One set of judges per process: connections and verdict cache are shared.
    judges = Judges(shared.hasher, recorder)

    def new_inspector(
        stream_metadata: Mapping[str, str], attributes: Mapping[str, object] | None = None
    ) -> DlpInspector:
        snapshot = store.current()
        name = stream_metadata.get(POLICY_METADATA) or None
        if name is not None:
            chosen = snapshot.select("", "", name)  # raises UnknownPolicyError
            return DlpInspector(
                lambda _h, _p, _n: chosen,
                recorder,
                governor=shared,
                attributes=attributes,
                judges=judges,
            )
        return DlpInspector(
            snapshot.select, recorder, governor=shared, attributes=attributes, judges=judges
        )

    def reload() -> None:
        result = store.reload_if_changed()
        if result is None:
            return
        recorder.policy_reload(result.ok)
        if result.ok:
            log.info("policy reloaded", extra={"path": path})
        else:
            log.error("policy reload refused", extra={"path": path, "errors": list(result.errors)})

    return new_inspector, reload


def model_pass(settings: Settings) -> ModelPass | None:
    """The deployment's model-based recognisers (``--recognizers``), loaded
    once per process; ``ValueError`` names an entry that cannot be used."""
    if not settings.recognizers:
        return None
    return ModelPass(load_recognizers(settings.recognizers), settings.recognizer_budget)


def inspector_factory(
    settings: Settings, recorder: Recorder = NOOP, model: ModelPass | None = None
) -> tuple[Factory, Callable[[], None] | None]:
    """The per-stream inspector source, and the periodic reload step (if any).
    Raises ``PolicyError`` when the policy cannot be loaded."""
    if settings.policy is None:
        return lambda _metadata, _attributes: PassThroughInspector(recorder), None
    return policy_inspectors(settings.policy, recorder, governor(settings, recorder), model)


def _announce(settings: Settings) -> None:
    """What an operator must know about the whole server, said once."""
    if settings.passthrough:
        log.warning(
            "passthrough: no policy, nothing is inspected; every request and answer "
            "passes unscanned (labelled decision=passthrough)",
            extra={"listen": settings.listen},
        )
    if settings.workers > 1 and not settings.redis_url:
        log.info(
            "budgets, if a policy sets any, are counted per worker process; "
            "set EXTPROC_REDIS_URL to share them",
            extra={"workers": settings.workers},
        )


def _print_policy_errors(exc: PolicyError) -> None:
    # A server must not start on a policy it cannot enforce.
    for line in exc.errors:
        print(line, file=sys.stderr)


def _tag_log_records(worker: int) -> None:
    """Every log line of a worker says which one (``"worker": N``)."""

    def tag(record: logging.LogRecord) -> bool:
        record.worker = worker
        return True

    for handler in logging.getLogger().handlers:
        handler.addFilter(tag)


def serve(settings: Settings) -> int:
    """``extproc serve``: the exit status once the server has stopped."""
    if settings.workers > 1:
        problem = _telemetry_problem(settings)
        if problem is not None:  # said once here, not once per worker
            print(f"extproc serve: {problem}", file=sys.stderr)
            return 2
    # The port first: a second server on it fails before it loads anything.
    try:
        port = claim(settings.listen)
    except PortTaken as exc:
        print(f"extproc serve: {exc}", file=sys.stderr)
        return 1
    try:
        settings = dataclasses.replace(settings, listen=port.listen)
        configure_logging(settings.log_level, settings.log_format)
        if settings.workers == 1:
            _announce(settings)
            return _run(settings, None, worker=None)
        if settings.policy is not None:
            try:  # said once here, rather than by every worker
                PolicyStore(settings.policy)
                if settings.recognizers:
                    factories(settings.recognizers)  # imported, not called: no model here
            except PolicyError as exc:
                _print_policy_errors(exc)
                return 2
            except ValueError as exc:
                print(f"extproc serve: {exc}", file=sys.stderr)
                return 2
        _announce(settings)
        return workers.supervise(settings, run_server)
    finally:
        port.close()


def _telemetry_problem(settings: Settings) -> str | None:
    """A telemetry setting every worker would refuse (no exporter is loaded for it)."""
    try:
        if any(os.environ.get(f"OTEL_EXPORTER_OTLP{s}_ENDPOINT") for s in ("", "_METRICS")):
            otlp_protocol("METRICS")
        if settings.traces:
            otlp_protocol("TRACES")
    except TelemetryError as exc:
        return str(exc)
    return None


def run_server(settings: Settings, before_bind: Callable[[], None], worker: int) -> int:
    """Worker ``worker`` of a supervised server (``workers.Target``): its exit
    status. ``before_bind`` runs once the policy is loaded, before the port is
    bound (workers wait there for each other, so the port opens for all at once)."""
    configure_logging(settings.log_level, settings.log_format)
    _tag_log_records(worker)
    return _run(settings, before_bind, worker)


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop to serve on: uvloop costs less CPU per gRPC message
    (``bench/results.md``); ``auto`` falls back to asyncio's where it is not
    installed (it is a dependency where it builds)."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def _run(settings: Settings, before_bind: Callable[[], None] | None, worker: int | None) -> int:
    """One server process, alone (``worker`` None) or one of several."""
    try:
        setup = setup_telemetry(settings)
    except TelemetryError as exc:
        print(f"extproc serve: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the Prometheus endpoint cannot listen
        print(f"extproc serve: {exc}", file=sys.stderr)
        return 1
    try:
        try:
            model = model_pass(settings)
            factory, reload_step = inspector_factory(settings, setup.recorder, model)
        except PolicyError as exc:
            _print_policy_errors(exc)
            return 2
        except ValueError as exc:  # a recogniser entry
            print(f"extproc serve: {exc}", file=sys.stderr)
            return 2
        if before_bind is not None:
            before_bind()
        # grpc is imported here, in the serving process only: the supervisor
        # that spawns workers never loads it.
        from extproc.wire.server import serve as serve_grpc

        several = worker is not None
        try:
            new_loop = loop_factory(settings.event_loop)
        except ImportError:
            print("extproc serve: --event-loop uvloop: uvloop is not installed", file=sys.stderr)
            return 2
        with asyncio.Runner(loop_factory=new_loop) as runner:
            runner.run(serve_grpc(settings, factory, reload_step, setup.recorder, worker=several))
    except OSError as exc:
        print(f"extproc serve: {exc}", file=sys.stderr)
        return 1
    finally:
        # After the drain, so the last exchanges' metrics and spans go out too.
        setup.shutdown()
    return 0
