"""A real OTLP receiver for tests: gRPC and HTTP/protobuf, metrics and traces.

Built on ``opentelemetry-proto``: the gRPC side implements
``MetricsService/Export`` and ``TraceService/Export``, the HTTP side answers
``POST /v1/metrics`` and ``/v1/traces`` as a collector does. Everything it
receives is kept as the decoded export requests, and flattened on demand.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from google.protobuf import text_format
from opentelemetry.proto.collector.metrics.v1 import (
    metrics_service_pb2,
    metrics_service_pb2_grpc,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

MetricsRequest = metrics_service_pb2.ExportMetricsServiceRequest
TraceRequest = trace_service_pb2.ExportTraceServiceRequest


def any_value(value: common_pb2.AnyValue) -> object:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return tuple(any_value(v) for v in value.array_value.values)
    if kind == "kvlist_value":
        return attributes(value.kvlist_value.values)
    return getattr(value, kind) if kind else None


def attributes(pairs: Any) -> dict[str, object]:
    return {kv.key: any_value(kv.value) for kv in pairs}


@dataclass(frozen=True)
class Point:
    """One data point: metric name, its attributes, and value (sum or count)."""

    metric: str
    unit: str
    attributes: dict[str, object]
    value: float
    bounds: tuple[float, ...] = ()  # histograms only
    resource: tuple[tuple[str, object], ...] = ()


class OtlpReceiver:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.metrics: list[MetricsRequest] = []
        self.traces: list[TraceRequest] = []
        self._grpc: grpc.Server | None = None
        self._http: ThreadingHTTPServer | None = None
        self.grpc_port = 0
        self.http_port = 0

    # -- lifecycle

    def start(self) -> OtlpReceiver:
        receiver = self

        class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
            def Export(self, request: MetricsRequest, context: Any) -> Any:
                receiver._keep(metrics=request)
                return metrics_service_pb2.ExportMetricsServiceResponse()

        class Traces(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request: TraceRequest, context: Any) -> Any:
                receiver._keep(traces=request)
                return trace_service_pb2.ExportTraceServiceResponse()

        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), server)
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), server)
        self.grpc_port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._grpc = server

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if self.path == "/v1/metrics":
                    receiver._keep(metrics=MetricsRequest.FromString(body))
                    answer = metrics_service_pb2.ExportMetricsServiceResponse()
                elif self.path == "/v1/traces":
                    receiver._keep(traces=TraceRequest.FromString(body))
                    answer = trace_service_pb2.ExportTraceServiceResponse()  # type: ignore[assignment]
                else:
                    self.send_error(404)
                    return
                data = answer.SerializeToString()
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http_port = self._http.server_address[1]
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._grpc is not None:
            self._grpc.stop(None)
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    def __enter__(self) -> OtlpReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def grpc_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.grpc_port}"

    @property
    def http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def _keep(
        self, metrics: MetricsRequest | None = None, traces: TraceRequest | None = None
    ) -> None:
        with self._lock:
            if metrics is not None:
                self.metrics.append(metrics)
            if traces is not None:
                self.traces.append(traces)

    # -- reading

    def points(self, metric: str | None = None) -> list[Point]:
        """Every data point received (cumulative: later points repeat earlier ones)."""
        with self._lock:
            requests = list(self.metrics)
        out: list[Point] = []
        for request in requests:
            for rm in request.resource_metrics:
                resource = tuple(attributes(rm.resource.attributes).items())
                for sm in rm.scope_metrics:
                    for m in sm.metrics:
                        if metric is not None and m.name != metric:
                            continue
                        out.extend(_points(m, resource))
        return out

    def spans(self) -> list[tuple[dict[str, object], trace_pb2.Span]]:
        """(resource attributes, span) for every span received."""
        with self._lock:
            requests = list(self.traces)
        return [
            (attributes(rs.resource.attributes), span)
            for request in requests
            for rs in request.resource_spans
            for ss in rs.scope_spans
            for span in ss.spans
        ]

    def everything(self) -> str:
        """All that was received, as protobuf text: every name, attribute and value."""
        with self._lock:
            messages: list[Any] = [*self.metrics, *self.traces]
        return "\n".join(text_format.MessageToString(m, as_utf8=True) for m in messages)

    def wait(self, check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not received within {timeout}s")
            time.sleep(0.05)


def _points(m: Any, resource: tuple[tuple[str, object], ...]) -> Iterator[Point]:
    kind = m.WhichOneof("data")
    if kind == "sum" or kind == "gauge":
        for p in getattr(m, kind).data_points:
            value = p.as_int if p.WhichOneof("value") == "as_int" else p.as_double
            yield Point(m.name, m.unit, attributes(p.attributes), value, resource=resource)
    elif kind == "histogram":
        for p in m.histogram.data_points:
            yield Point(
                m.name,
                m.unit,
                attributes(p.attributes),
                p.count,
                tuple(p.explicit_bounds),
                resource,
            )
