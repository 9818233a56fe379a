"""The ext_proc servicer: ProcessingRequest -> Exchange call -> ProcessingResponse.

Nothing here decides anything: it translates protobuf into plain values for
``extproc.exchange`` and each ``Reply`` back into one protobuf answer, in
the order given (every rule of the protocol, such as which phase answers
what, is the exchange's).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor
from time import perf_counter
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2

from extproc.exchange import REQUEST, RESPONSE, BodyMode, Exchange, Immediate, Inspector, Reply
from extproc.recording import NOOP, Recorder
from extproc.wire.pb import base_pb2, external_processor_pb2_grpc
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
        if key in out and key[0] != ":":
            out[key] = f"{out[key]},{value}"
        else:
            out[key] = value
    return out


def _fill_mutation(
    mutation: pb.HeaderMutation, reply_set: Iterable[tuple[str, str]], remove: list[str]
) -> None:
    if remove:
        mutation.remove_headers.extend(remove)
    for key, value in reply_set:
        option = mutation.set_headers.add()
        # A mutation that sets only `value` yields an empty header: use raw_value.
        option.header.key = key
        option.header.raw_value = value.encode("utf-8", "surrogateescape")
        option.append_action = _OVERWRITE


def immediate_response(answer: Immediate) -> pb.ProcessingResponse:
    """The ImmediateResponse message (dynamic metadata is added by the caller)."""
    resp = pb.ProcessingResponse()
    imm = resp.immediate_response
    imm.body = answer.body
    imm.details = answer.details
    imm.status.code = answer.status  # type: ignore[assignment]
    if answer.headers:
        _fill_mutation(imm.headers, answer.headers, [])
    return resp


def _fill_common(common: pb.CommonResponse, reply: Reply) -> None:
    """Fill the answer in place: a body is copied into the message once, not
    again into each enclosing message."""
    common.SetInParent()  # an answer that changes nothing still names its phase
    if reply.set_headers or reply.remove_headers:
        _fill_mutation(common.header_mutation, reply.set_headers, reply.remove_headers)
    if reply.streamed:
        streamed = common.body_mutation.streamed_response
        streamed.body = reply.body or b""
        streamed.end_of_stream = reply.end_of_stream
    elif reply.body is not None:
        common.body_mutation.body = reply.body


_SCALARS = (str, bool, int, float, type(None))
_STRUCT_CACHE_SIZE = 512


class _MetadataCache:
    """Dynamic metadata as a Struct, built once per distinct value.

    Decisions repeat (``{"policy": "default", "request": "pass", ...}``), and
    ``Struct.update`` is pure-Python protobuf code: a few microseconds per
    message saved. Only flat dicts of scalars are cached, in a bounded dict.
    """

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace
        self._cache: dict[tuple[tuple[str, type, object], ...], struct_pb2.Struct] = {}

    def struct(self, data: Mapping[str, object]) -> struct_pb2.Struct:
        if not all(isinstance(v, _SCALARS) for v in data.values()):
            return _struct({self._namespace: data})
        # The type is part of the key: True == 1, but a bool is not a number.
        key = tuple((k, v.__class__, v) for k, v in data.items())
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= _STRUCT_CACHE_SIZE:
                self._cache.clear()
            found = self._cache[key] = _struct({self._namespace: data})
        return found


def _struct(data: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(data)
    return s


def _fill_mode_override(resp: pb.ProcessingResponse, reply: Reply) -> None:
    if reply.request_body_mode is None and reply.response_body_mode is None:
        return
    mode = resp.mode_override
    if reply.request_body_mode is not None:
        mode.request_body_mode = int(reply.request_body_mode)  # type: ignore[assignment]
    if reply.response_body_mode is not None:
        mode.response_body_mode = int(reply.response_body_mode)  # type: ignore[assignment]


# Stream metadata (gRPC initial metadata, e.g. a per-route ``x-dlp-policy``) and
# Envoy's request attributes (``attributes_of``) -> inspector.
InspectorFactory = Callable[[Mapping[str, str], Mapping[str, object]], Inspector]


def attributes_of(request: pb.ProcessingRequest) -> dict[str, object]:
    """Envoy's ``request_attributes`` (sent with the first message), as plain
    values by attribute name (``source.address``, ``source.principal``...)."""
    out: dict[str, object] = {}
    for struct in request.attributes.values():
        out.update(json_format.MessageToDict(struct))
    return out


class _Attributes(Mapping[str, object]):
    """``attributes_of``, converted on first read: most exchanges never read them."""

    __slots__ = ("_request", "_values")

    def __init__(self, request: pb.ProcessingRequest) -> None:
        self._request: pb.ProcessingRequest | None = request
        self._values: dict[str, object] = {}

    def _all(self) -> dict[str, object]:
        if self._request is not None:
            self._values, self._request = attributes_of(self._request), None
        return self._values

    def __getitem__(self, key: str) -> object:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


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
        self._metadata = _MetadataCache(metadata_namespace)

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
                    inspector = self._new_inspector(stream_metadata(context), _Attributes(request))
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
            _fill_mutation(mutation, reply.set_headers, reply.remove_headers)
        else:
            _fill_common(getattr(resp, phase).response, reply)
            _fill_mode_override(resp, reply)
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
