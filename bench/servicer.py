"""The servicer alone: CPU per HTTP exchange without gRPC or Envoy (a script).

    .venv/bin/python -m bench.servicer [--size 2000] [--rounds 2000]

Feeds the four messages Envoy sends for one exchange with the bundled config
(request headers, buffered request body, response headers, buffered response
body), as hand-built ``ProcessingRequest``s, through ``ExternalProcessor``,
and reports microseconds per exchange for the no-op processor and for the
default policy: the part of a request's cost that this code controls.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Mapping

from bench.engine import PII_VALUES, clean_text, dense_text
from bench.stacks import chat_answer
from extproc.verdicts import PassInspector
from extproc.wire.inprocess import body_message, headers_message, process
from extproc.wire.pb import external_processor_pb2 as pb
from extproc.wire.service import ExternalProcessor, InspectorFactory
from harness.stack import ROOT

ENVOY_REQUEST_HEADERS = {
    ":authority": "127.0.0.1:10000",
    ":path": "/v1/chat/completions",
    ":method": "POST",
    ":scheme": "http",
    "user-agent": "wrk",
    "content-type": "application/json",
    "content-length": "2000",
    "x-forwarded-proto": "http",
    "x-request-id": "3e2c1a8f-0d5b-4a4e-9a51-6f0c7b9f1e2d",
    "x-bench-case": "clean",
}
ENVOY_RESPONSE_HEADERS = {
    ":status": "200",
    "content-type": "application/json",
    "content-length": "1000",
    "date": "Mon, 23 Nov 2026 14:00:00 GMT",
    "server": "envoy",
    "x-envoy-upstream-service-time": "0",
}


def _headers(phase: str, pairs: Mapping[str, str], first: bool) -> pb.ProcessingRequest:
    req = headers_message(phase, pairs)
    if first:
        req.protocol_config.request_body_mode = 2  # type: ignore[assignment]  # BUFFERED
        req.protocol_config.response_body_mode = 2  # type: ignore[assignment]
    return req


def exchange_messages(request_body: bytes, response_body: bytes) -> list[bytes]:
    """Serialized, as they come off the wire (parsing is part of the cost)."""
    msgs = [
        _headers("request_headers", ENVOY_REQUEST_HEADERS, True),
        body_message("request_body", request_body, True),
        _headers("response_headers", ENVOY_RESPONSE_HEADERS, False),
        body_message("response_body", response_body, True),
    ]
    return [m.SerializeToString() for m in msgs]


async def _run(servicer: ExternalProcessor, wire: list[bytes], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        parsed = (pb.ProcessingRequest.FromString(raw) for raw in wire)
        for resp in await process(servicer, parsed):
            resp.SerializeToString()
    return (time.perf_counter() - start) / rounds


def per_exchange_us(factory: InspectorFactory, wire: list[bytes], rounds: int) -> float:
    servicer = ExternalProcessor(factory, "envoy.filters.http.ext_proc")
    asyncio.run(_run(servicer, wire, rounds // 10))  # warm up
    return min(asyncio.run(_run(servicer, wire, rounds)) for _ in range(3)) * 1e6


def main() -> None:
    from bench.run import chat_body
    from extproc.app import inspector_factory
    from extproc.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    dlp, _ = inspector_factory(Settings(policy=str(ROOT / "policies" / "default.yaml")))
    for kind in ("clean", "pii-dense"):
        answer = chat_answer(
            clean_text(800) if kind == "clean" else dense_text(800, values=PII_VALUES)
        )
        wire = exchange_messages(chat_body(args.size, kind), answer)
        noop = per_exchange_us(lambda _m, _a: PassInspector(), wire, args.rounds)
        full = per_exchange_us(dlp, wire, args.rounds)
        print(
            f"{kind:9s} {args.size} B: no-op {noop:6.1f} µs/exchange, "
            f"default {full:7.1f} µs/exchange"
        )


if __name__ == "__main__":
    main()
