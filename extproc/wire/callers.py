"""Who may call: with ``--allowed-clients``, only the proxies' certificates.

The filter believes what its caller says about a client (headers, Envoy's
attributes), so a caller that is not a proxy could forge them: spend another
client's budget, probe what the filter detects, or load it. grpc has checked
the caller's certificate against ``--tls-client-ca`` during the handshake;
this interceptor then matches the certificate's subject alternative names
(URIs such as SPIFFE ids, and DNS names) against the allowed globs, before the
first message of a call is read. A refused call ends with
``PERMISSION_DENIED``, is counted, and is logged with the names the
certificate carries, never with anything the caller sent.
"""

from __future__ import annotations

import inspect
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc

from extproc.recording import Recorder

log = logging.getLogger("extproc.callers")

REFUSED = "this client certificate is not allowed to call the DLP filter (--allowed-clients)"
LOG_EVERY = 10.0  # seconds between two log lines about the same refused identity
_REMEMBERED = 1024  # identities whose last log line is remembered


def _compile(pattern: str) -> re.Pattern[str]:
    """A glob: ``*`` is any run of characters within one path segment (not
    ``/``), ``?`` one character; everything else is literal."""
    parts = []
    for piece in re.split(r"([*?])", pattern):
        parts.append("[^/]*" if piece == "*" else "[^/]" if piece == "?" else re.escape(piece))
    return re.compile("".join(parts))


def identities(auth: dict[str, list[bytes]]) -> tuple[str, ...]:
    """The certificate's URI and DNS subject alternative names, as grpc reports them."""
    names = [*auth.get("peer_uri", ()), *auth.get("peer_dns", ())]
    return tuple(n.decode("utf-8", "replace") for n in names)


class Allowed:
    """The allowed globs, compiled once."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(patterns)
        self._compiled = tuple(_compile(p) for p in patterns)

    def __call__(self, names: Sequence[str]) -> bool:
        return any(c.fullmatch(n) for c in self._compiled for n in names)


Behavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Any]


class CallerCheck(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Refuses every call (ext_proc and health) whose certificate names no allowed client."""

    def __init__(self, allowed: Allowed, recorder: Recorder) -> None:
        self._allowed = allowed
        self._recorder = recorder
        self._logged: dict[tuple[str, ...], float] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(details)
        if handler is None:
            return None
        for kind, build in _BUILDERS.items():
            behavior = getattr(handler, kind)
            if behavior is not None:
                return build(
                    self._guard(behavior),
                    request_deserializer=handler.request_deserializer,
                    response_serializer=handler.response_serializer,
                )
        return handler

    def _guard(self, behavior: Behavior) -> Behavior:
        if inspect.isasyncgenfunction(behavior):

            async def guarded_stream(request: Any, context: Any) -> Any:
                await self._check(context)
                async for answer in behavior(request, context):
                    yield answer

            return guarded_stream

        async def guarded(request: Any, context: Any) -> Any:
            await self._check(context)
            return await behavior(request, context)

        return guarded

    async def _check(self, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        names = identities(context.auth_context())
        if self._allowed(names):
            return
        self._recorder.caller_refused()
        self._log(names, context.peer())
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, REFUSED)

    def _log(self, names: tuple[str, ...], peer: str) -> None:
        now = time.monotonic()
        last = self._logged.get(names)
        if last is not None and now - last < LOG_EVERY:
            return
        if len(self._logged) >= _REMEMBERED:
            self._logged.clear()
        self._logged[names] = now
        allowed = list(self._allowed.patterns)
        log.warning(
            "caller refused", extra={"identities": list(names), "peer": peer, "allowed": allowed}
        )


_BUILDERS: dict[str, Callable[..., grpc.RpcMethodHandler]] = {
    "unary_unary": grpc.unary_unary_rpc_method_handler,
    "unary_stream": grpc.unary_stream_rpc_method_handler,
    "stream_unary": grpc.stream_unary_rpc_method_handler,
    "stream_stream": grpc.stream_stream_rpc_method_handler,
}
