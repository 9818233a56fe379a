"""Drive the servicer without a network: for unit tests and the servicer benchmark.

``InProcessContext`` is the part of ``grpc.aio.ServicerContext`` that
``ExternalProcessor.Process`` uses; ``process`` runs one stream to its end and
returns what was written, in order. ``headers_message`` and ``body_message``
build the messages Envoy would send.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, cast

import grpc

from extproc.wire.pb import external_processor_pb2 as pb

if TYPE_CHECKING:
    from extproc.wire.service import ExternalProcessor


class Aborted(Exception):
    """The servicer ended the stream with an error status."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code


class InProcessContext:
    def __init__(self, metadata: Iterable[tuple[str, str]] = ()) -> None:
        self.written: list[pb.ProcessingResponse] = []
        self._metadata = tuple(metadata)

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    async def write(self, message: pb.ProcessingResponse) -> None:
        self.written.append(message)

    async def abort(self, code: grpc.StatusCode, details: str = "") -> NoReturn:
        raise Aborted(code, details)


async def process(
    servicer: ExternalProcessor,
    requests: Iterable[pb.ProcessingRequest],
    metadata: Iterable[tuple[str, str]] = (),
) -> list[pb.ProcessingResponse]:
    async def stream() -> AsyncIterator[pb.ProcessingRequest]:
        for request in requests:
            yield request

    context = InProcessContext(metadata)
    await servicer.Process(stream(), cast(Any, context))
    return context.written


def headers_message(
    phase: str, pairs: Mapping[str, str], eos: bool = False
) -> pb.ProcessingRequest:
    """A ``request_headers`` or ``response_headers`` message, values in
    ``raw_value`` as Envoy sends them."""
    request = pb.ProcessingRequest()
    part = getattr(request, phase)
    for key, value in pairs.items():
        part.headers.headers.add(key=key, raw_value=value.encode())
    part.end_of_stream = eos
    return request


def body_message(phase: str, data: bytes, eos: bool) -> pb.ProcessingRequest:
    """A ``request_body`` or ``response_body`` message."""
    request = pb.ProcessingRequest()
    part = getattr(request, phase)
    part.body = data
    part.end_of_stream = eos
    return request
