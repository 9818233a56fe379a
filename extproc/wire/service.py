"""The ext_proc servicer: ProcessingRequest -> Exchange call -> ProcessingResponse.

Nothing here decides anything: it translates protobuf into plain values for
``extproc.exchange`` and each ``Reply`` back into one protobuf answer, in
the order given (every rule of the protocol, such as which phase answers
what, is the exchange's).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import Executor
from time import perf_counter
from typing import Any

import grpc

from extproc.exchange import REQUEST, RESPONSE, Exchange
from extproc.recording import NOOP, Recorder
from extproc.verdicts import BodyMode, Inspector, Reply
from extproc.wire.pb import external_processor_pb2 as pb
from extproc.wire.pb import external_processor_pb2_grpc
from extproc.wire.translate import (
    Attributes,
    MetadataCache,
    fill_common,
    fill_mode_override,
    fill_mutation,
    headers_of,
    immediate_response,
)

log = logging.getLogger("extproc.wire")

# Stream metadata (gRPC initial metadata, e.g. a per-route ``x-dlp-policy``) and
# Envoy's request attributes (``attributes_of``) -> inspector.
InspectorFactory = Callable[[Mapping[str, str], Mapping[str, object]], Inspector]


def stream_metadata(context: grpc.aio.ServicerContext[Any, Any] | None) -> dict[str, str]:
    if context is None:
        return {}
    pairs = context.invocation_metadata() or ()
    return {k.lower(): v for k, v in pairs if isinstance(v, str)}


def _calls_out(exchange: Exchange, phase: str | None) -> bool:
    """A body or trailers message whose handling may wait on a judge."""
    if phase is None or phase.endswith("headers"):
        return False
    return exchange.calls_out(RESPONSE if phase.startswith("response") else REQUEST)


def _direction_of(phase: str | None) -> str:
    return "response" if phase and phase.startswith("response") else "request"


class ExternalProcessor(external_processor_pb2_grpc.ExternalProcessorServicer):
    """One ``Exchange`` per gRPC stream; the inspector comes from ``new_inspector``."""

    def __init__(
        self,
        new_inspector: InspectorFactory,
        metadata_namespace: str,
        recorder: Recorder = NOOP,
        offload: Executor | None = None,
    ) -> None:
        self._new_inspector = new_inspector
        # Messages whose handling may wait on a judge run here, so that the
        # event loop goes on serving every other stream meanwhile.
        self._offload = offload
        self._namespace = metadata_namespace
        self._recorder = recorder
        self._metadata = MetadataCache(metadata_namespace)

    async def Process(
        self,
        request_iterator: AsyncIterator[pb.ProcessingRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> None:
        # A coroutine that writes through the context, not an async generator
        # that yields: when Envoy resets the stream while an answer is being
        # sent, the cancellation lands here, so the ``finally`` below runs in
        # this stream's task. A generator abandoned at its ``yield`` would be
        # closed later by the garbage collector, in a task of its own, and the
        # stream's span and decision would be lost.
        exchange: Exchange | None = None
        recorder = self._recorder
        recorder.stream_started()
        phase: str | None = None
        try:
            async for request in request_iterator:
                started = perf_counter()
                phase = request.WhichOneof("request")
                if exchange is None:
                    inspector = self._new_inspector(stream_metadata(context), Attributes(request))
                    exchange = Exchange(inspector)
                    if request.HasField("protocol_config"):
                        cfg = request.protocol_config
                        exchange.configure(
                            BodyMode(cfg.request_body_mode), BodyMode(cfg.response_body_mode)
                        )
                    elif request.observability_mode:
                        # Envoy says no modes then; the only one it sends bodies in is STREAMED.
                        exchange.configure(BodyMode.STREAMED, BodyMode.STREAMED, observed=True)
                if self._offload is not None and _calls_out(exchange, phase):
                    loop = asyncio.get_running_loop()
                    responses = await loop.run_in_executor(
                        self._offload, self._handle, exchange, request, phase
                    )
                else:
                    responses = self._handle(exchange, request, phase)
                recorder.message_handled(_direction_of(phase), perf_counter() - started)
                if request.observability_mode:
                    # Envoy sent and went on; it would ignore an answer.
                    responses = []
                    if exchange.answered:
                        # Nothing is left to read. Envoy would hold the stream
                        # open for its deferred_close_timeout (5 s): at 1,000
                        # exchanges a second, 5,000 open streams, past
                        # --max-streams, each refused one an exchange unaudited.
                        return
                for response in responses:
                    try:
                        await context.write(response)
                    except grpc.aio.BaseError:
                        # The stream is gone (Envoy reset it): nobody is left to
                        # answer, and nothing failed on this side.
                        log.debug("ext_proc stream closed by the peer", extra={"phase": phase})
                        return
                if exchange.finished:
                    # An ImmediateResponse ends the exchange; Envoy closes its side.
                    return
        except Exception as exc:
            # Never end quietly: a stream closed with OK lets Envoy skip the
            # remaining phases unchecked. An error status makes Envoy apply
            # failure_mode_allow (fail closed by default). The exception's
            # text may quote the input, so only its type is logged.
            recorder.stream_failed(_direction_of(phase))
            log.error(
                "ext_proc stream failed",
                extra={"phase": phase, "error": type(exc).__name__},
            )
            await context.abort(grpc.StatusCode.INTERNAL, "the DLP processor failed")
        finally:
            if exchange is not None:
                self._emit_close(exchange)
            recorder.stream_ended()

    def _handle(
        self, ex: Exchange, request: pb.ProcessingRequest, phase: str | None
    ) -> list[pb.ProcessingResponse]:
        direction = RESPONSE if phase and phase.startswith("response") else REQUEST
        if phase == "request_headers" or phase == "response_headers":
            h = getattr(request, phase)
            reply = ex.on_headers(direction, headers_of(h.headers), h.end_of_stream)
            return [self._answer(reply, phase)]
        if phase == "request_body" or phase == "response_body":
            body = getattr(request, phase)
            return [self._answer(ex.on_body(direction, body.body, body.end_of_stream), phase)]
        if phase == "request_trailers" or phase == "response_trailers":
            trailers = headers_of(getattr(request, phase).trailers)
            body_phase = "request_body" if direction is REQUEST else "response_body"
            return [
                self._answer(reply, body_phase if reply.streamed else phase)
                for reply in ex.on_trailers(direction, trailers)
            ]
        # A phase this server does not know (a newer Envoy): failing the stream
        # makes Envoy apply failure_mode_allow, instead of a silent pass.
        raise ValueError(f"unsupported ext_proc message: {phase!r}")

    def _answer(self, reply: Reply, phase: str) -> pb.ProcessingResponse:
        """``reply`` as the answer to a ``phase`` message (or an immediate one)."""
        if reply.immediate is not None:
            return self._immediate(reply)
        resp = pb.ProcessingResponse()
        if phase.endswith("trailers"):
            mutation = getattr(resp, phase).header_mutation
            mutation.SetInParent()  # an answer that changes nothing still names its phase
            fill_mutation(mutation, reply.set_headers, reply.remove_headers)
        else:
            fill_common(getattr(resp, phase).response, reply)
            fill_mode_override(resp, reply)
        self._add_metadata(resp, reply)
        return resp

    def _immediate(self, reply: Reply) -> pb.ProcessingResponse:
        assert reply.immediate is not None
        resp = immediate_response(reply.immediate)
        self._add_metadata(resp, reply)
        return resp

    def _add_metadata(self, resp: pb.ProcessingResponse, reply: Reply) -> None:
        if reply.metadata:
            resp.dynamic_metadata.CopyFrom(self._metadata.struct(reply.metadata))

    def _emit_close(self, exchange: Exchange) -> None:
        try:
            exchange.close()
        except Exception:  # closing must never take the stream down with it
            log.exception("closing an exchange failed")
