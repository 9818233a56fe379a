"""The ext_proc servicer: ProcessingRequest -> Exchange call -> ProcessingResponse.

Nothing here decides anything: it translates protobuf into plain values for
``extproc.exchange`` and its ``Reply`` back into protobuf, one answer per
message, of the same phase.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import grpc
from google.protobuf import struct_pb2

from extproc.exchange import REQUEST, RESPONSE, BodyMode, Exchange, Immediate, Inspector, Reply
from extproc.recording import NOOP, Recorder
from extproc.wire.pb import base_pb2, external_processor_pb2_grpc, processing_mode_pb2
from extproc.wire.pb import external_processor_pb2 as pb

log = logging.getLogger("extproc.wire")

_OVERWRITE = base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD


def headers_of(header_map: base_pb2.HeaderMap) -> dict[str, str]:
    """Envoy sends values in ``raw_value``; ``value`` is empty (kept as fallback)."""
    out: dict[str, str] = {}
    for h in header_map.headers:
        raw = h.raw_value
        value = raw.decode("utf-8", "surrogateescape") if raw else h.value
        key = h.key
        out[key] = f"{out[key]},{value}" if key in out and not key.startswith(":") else value
    return out


def header_mutation(reply_set: list[tuple[str, str]], remove: list[str]) -> pb.HeaderMutation:
    mutation = pb.HeaderMutation(remove_headers=remove)
    for key, value in reply_set:
        option = mutation.set_headers.add()
        # A mutation that sets only `value` yields an empty header: use raw_value.
        option.header.key = key
        option.header.raw_value = value.encode("utf-8", "surrogateescape")
        option.append_action = _OVERWRITE
    return mutation


def immediate_response(answer: Immediate) -> pb.ProcessingResponse:
    """The ImmediateResponse message (dynamic metadata is added by the caller)."""
    imm = pb.ImmediateResponse(body=answer.body, details=answer.details)
    imm.status.code = answer.status  # type: ignore[assignment]
    if answer.headers:
        imm.headers.CopyFrom(header_mutation(list(answer.headers), []))
    return pb.ProcessingResponse(immediate_response=imm)


def _common(reply: Reply, full_duplex: bool, end_of_stream: bool) -> pb.CommonResponse:
    common = pb.CommonResponse()
    if reply.set_headers or reply.remove_headers:
        common.header_mutation.CopyFrom(header_mutation(reply.set_headers, reply.remove_headers))
    if full_duplex:
        streamed = common.body_mutation.streamed_response
        streamed.body = reply.body or b""
        streamed.end_of_stream = end_of_stream
    elif reply.body is not None:
        common.body_mutation.body = reply.body
    return common


def _struct(data: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(data)
    return s


def _mode_override(reply: Reply) -> processing_mode_pb2.ProcessingMode | None:
    if reply.request_body_mode is None and reply.response_body_mode is None:
        return None
    mode = processing_mode_pb2.ProcessingMode()
    if reply.request_body_mode is not None:
        mode.request_body_mode = int(reply.request_body_mode)  # type: ignore[assignment]
    if reply.response_body_mode is not None:
        mode.response_body_mode = int(reply.response_body_mode)  # type: ignore[assignment]
    return mode


# Stream metadata (gRPC initial metadata, e.g. a per-route ``x-dlp-policy``) -> inspector.
InspectorFactory = Callable[[Mapping[str, str]], Inspector]


def stream_metadata(context: grpc.aio.ServicerContext[Any, Any] | None) -> dict[str, str]:
    if context is None:
        return {}
    pairs = context.invocation_metadata() or ()
    return {k.lower(): v for k, v in pairs if isinstance(v, str)}


def _direction_of(phase: str | None) -> str:
    return "response" if phase and phase.startswith("response") else "request"


class ExternalProcessor(external_processor_pb2_grpc.ExternalProcessorServicer):
    """One ``Exchange`` per gRPC stream; the inspector comes from ``new_inspector``."""

    def __init__(
        self,
        new_inspector: InspectorFactory,
        metadata_namespace: str,
        recorder: Recorder = NOOP,
    ) -> None:
        self._new_inspector = new_inspector
        self._namespace = metadata_namespace
        self._recorder = recorder

    async def Process(
        self,
        request_iterator: AsyncIterator[pb.ProcessingRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[pb.ProcessingResponse]:
        exchange: Exchange | None = None
        recorder = self._recorder
        recorder.stream_started()
        phase: str | None = None
        try:
            async for request in request_iterator:
                started = time.perf_counter()
                phase = request.WhichOneof("request")
                if exchange is None:
                    exchange = Exchange(self._new_inspector(stream_metadata(context)))
                    if request.HasField("protocol_config"):
                        cfg = request.protocol_config
                        exchange.configure(
                            BodyMode(cfg.request_body_mode), BodyMode(cfg.response_body_mode)
                        )
                responses = self._handle(exchange, request)
                recorder.message_handled(_direction_of(phase), time.perf_counter() - started)
                for response in responses:
                    yield response
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

    def _handle(self, ex: Exchange, request: pb.ProcessingRequest) -> list[pb.ProcessingResponse]:
        phase = request.WhichOneof("request")
        if phase == "request_headers":
            h = request.request_headers
            reply = ex.on_headers(REQUEST, headers_of(h.headers), h.end_of_stream)
            return [self._headers_response(phase, reply)]
        if phase == "response_headers":
            h = request.response_headers
            reply = ex.on_headers(RESPONSE, headers_of(h.headers), h.end_of_stream)
            return [self._headers_response(phase, reply)]
        if phase == "request_body" or phase == "response_body":
            direction = REQUEST if phase == "request_body" else RESPONSE
            body = request.request_body if direction is REQUEST else request.response_body
            full_duplex = ex.mode(direction) is BodyMode.FULL_DUPLEX_STREAMED
            reply = ex.on_body(direction, body.body, body.end_of_stream)
            if reply.immediate is not None:
                return [self._immediate(reply)]
            if full_duplex and reply.body is None:
                reply.body = body.body
            common = _common(reply, full_duplex, body.end_of_stream)
            return [self._response(phase, pb.BodyResponse(response=common), reply)]
        if phase == "request_trailers" or phase == "response_trailers":
            direction = REQUEST if phase == "request_trailers" else RESPONSE
            trailers = (
                request.request_trailers if direction is REQUEST else request.response_trailers
            )
            out: list[pb.ProcessingResponse] = []
            if ex.mode(direction) is BodyMode.FULL_DUPLEX_STREAMED:
                flushed = ex.flush(direction)
                if flushed is not None:
                    if flushed.immediate is not None:
                        return [self._immediate(flushed)]
                    common = _common(flushed, True, True)
                    body_phase = "request_body" if direction is REQUEST else "response_body"
                    out.append(
                        self._response(body_phase, pb.BodyResponse(response=common), flushed)
                    )
            reply = ex.on_trailers(direction, headers_of(trailers.trailers))
            mutation = header_mutation(reply.set_headers, reply.remove_headers)
            out.append(self._response(phase, pb.TrailersResponse(header_mutation=mutation), reply))
            return out
        # A phase this server does not know (a newer Envoy): failing the stream
        # makes Envoy apply failure_mode_allow, instead of a silent pass.
        raise ValueError(f"unsupported ext_proc message: {phase!r}")

    def _headers_response(self, phase: str, reply: Reply) -> pb.ProcessingResponse:
        if reply.immediate is not None:
            return self._immediate(reply)
        common = _common(reply, False, False)
        resp = self._response(phase, pb.HeadersResponse(response=common), reply)
        override = _mode_override(reply)
        if override is not None:
            resp.mode_override.CopyFrom(override)
        return resp

    def _response(self, phase: str, message: Any, reply: Reply) -> pb.ProcessingResponse:
        resp = pb.ProcessingResponse(**{phase: message})
        self._add_metadata(resp, reply)
        return resp

    def _immediate(self, reply: Reply) -> pb.ProcessingResponse:
        assert reply.immediate is not None
        resp = immediate_response(reply.immediate)
        self._add_metadata(resp, reply)
        return resp

    def _add_metadata(self, resp: pb.ProcessingResponse, reply: Reply) -> None:
        if reply.metadata:
            resp.dynamic_metadata.CopyFrom(_struct({self._namespace: reply.metadata}))

    def _emit_close(self, exchange: Exchange) -> None:
        try:
            exchange.close()
        except Exception:  # closing must never take the stream down with it
            log.exception("closing an exchange failed")
