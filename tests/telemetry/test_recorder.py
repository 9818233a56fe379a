"""OtelRecorder against in-memory SDK readers: names, labels, values, spans."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import grpc
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from extproc.app import inspector_factory
from extproc.settings import Settings
from extproc.telemetry import DURATION_BUCKETS, SPAN_NAME, OtelRecorder, span_attributes
from extproc.wire.inprocess import InProcessContext, headers_message
from extproc.wire.pb import external_processor_pb2 as pb
from extproc.wire.service import ExternalProcessor

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
DEFAULT_POLICY = Path(__file__).parents[2] / "policies" / "default.yaml"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    scanned_bytes: int = 0
    scan_seconds: float = 0.0
    outcome: str = "pass"


SSN_ANSWER = Summary({"pii/us_ssn": 2}, {"pii/us_ssn": "redact"}, 120, 0.0004, "redacted")
CLEAN_PROMPT = Summary({}, {}, 80, 0.0002, "pass")


@dataclass
class Rig:
    recorder: OtelRecorder
    reader: InMemoryMetricReader
    spans: InMemorySpanExporter

    def points(self, name: str) -> list[tuple[dict[str, object], object]]:
        data = self.reader.get_metrics_data()
        assert data is not None
        return [
            (dict(p.attributes or {}), p)
            for rm in data.resource_metrics
            for sm in rm.scope_metrics
            for m in sm.metrics
            if m.name == name
            for p in m.data.data_points
        ]

    def values(self, name: str) -> dict[frozenset[tuple[str, object]], object]:
        out: dict[frozenset[tuple[str, object]], object] = {}
        for attrs, p in self.points(name):
            out[frozenset(attrs.items())] = getattr(p, "value", None) or getattr(p, "count", 0)
        return out

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())


@pytest.fixture
def rig() -> Iterator[Rig]:
    reader = InMemoryMetricReader()
    meters = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    spans = InMemorySpanExporter()
    tracers = TracerProvider(shutdown_on_exit=False)
    tracers.add_span_processor(SimpleSpanProcessor(spans))
    yield Rig(OtelRecorder(meters.get_meter("test"), tracers.get_tracer("test")), reader, spans)
    meters.shutdown()
    tracers.shutdown()


def key(**labels: object) -> frozenset[tuple[str, object]]:
    return frozenset(labels.items())


def one_exchange(recorder: OtelRecorder, traceparent: str = "", route_class: str = "") -> None:
    recorder.stream_started()
    recorder.message_handled("request", 0.0003)
    recorder.message_handled("response", 0.002)
    recorder.exchange_done(
        "default", route_class, {"request": CLEAN_PROMPT, "response": SSN_ANSWER}, traceparent
    )
    recorder.stream_ended()


def test_exchange_counts_detections_decisions_and_bytes(rig: Rig) -> None:
    one_exchange(rig.recorder)
    assert rig.values("dlp.detections") == {
        key(direction="response", policy="default", detector="pii/us_ssn", action="redact"): 2
    }
    assert rig.values("dlp.requests") == {
        key(direction="request", decision="pass"): 1,
        key(direction="response", decision="redacted"): 1,
    }
    assert rig.values("dlp.scanned.bytes") == {
        key(direction="request"): 80,
        key(direction="response"): 120,
    }
    assert rig.values("dlp.streams.active") == {key(): 0}


def test_route_class_is_a_label_only_when_configured(rig: Rig) -> None:
    one_exchange(rig.recorder, route_class="chat")
    (labels,) = rig.values("dlp.detections")
    assert ("route_class", "chat") in labels


@pytest.mark.parametrize("name", ["dlp.scan.duration", "dlp.processing.duration"])
def test_histograms_in_seconds_by_direction_with_fine_buckets(rig: Rig, name: str) -> None:
    one_exchange(rig.recorder)
    points = rig.points(name)
    assert {attrs["direction"] for attrs, _ in points} == {"request", "response"}
    for attrs, p in points:
        assert set(attrs) == {"direction"}
        assert tuple(p.explicit_bounds) == DURATION_BUCKETS  # type: ignore[attr-defined]
        assert p.count == 1  # type: ignore[attr-defined]
    # Sub-millisecond scans land in their own buckets, not all in the first one.
    assert DURATION_BUCKETS[0] <= 0.0001 and DURATION_BUCKETS[-1] >= 1.0


def test_unscanned_stream_records_no_scan_time(rig: Rig) -> None:
    rig.recorder.stream_started()
    streamed = Summary({}, {}, 500, 0.0, "pass")  # streamed bodies carry no scan time yet
    rig.recorder.exchange_done("default", "", {"response": streamed})
    rig.recorder.stream_ended()
    assert rig.points("dlp.scan.duration") == []
    assert rig.values("dlp.scanned.bytes") == {key(direction="response"): 500}


def test_active_streams_go_up_and_down(rig: Rig) -> None:
    rig.recorder.stream_started()
    assert rig.values("dlp.streams.active") == {key(): 1}
    rig.recorder.stream_ended()
    assert rig.values("dlp.streams.active") == {key(): 0}


def test_failed_direction_counts_as_error_once(rig: Rig) -> None:
    rig.recorder.stream_started()
    rig.recorder.stream_failed("response")
    rig.recorder.exchange_done("default", "", {"request": CLEAN_PROMPT, "response": SSN_ANSWER})
    rig.recorder.stream_ended()
    assert rig.values("dlp.requests") == {
        key(direction="request", decision="pass"): 1,
        key(direction="response", decision="error"): 1,
    }
    (span,) = rig.finished()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "processing_failed"


def test_policy_reloads_by_result(rig: Rig) -> None:
    rig.recorder.policy_reload(True)
    rig.recorder.policy_reload(True)
    rig.recorder.policy_reload(False)
    assert rig.values("dlp.policy.reloads") == {key(result="ok"): 2, key(result="failed"): 1}


def test_span_continues_the_callers_trace(rig: Rig) -> None:
    one_exchange(rig.recorder, TRACEPARENT)
    (span,) = rig.finished()
    assert span.name == SPAN_NAME
    assert span.kind is SpanKind.SERVER
    assert span.context is not None and span.parent is not None
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.attributes is not None
    attrs = dict(span.attributes)
    assert attrs["dlp.policy"] == "default"
    assert attrs["dlp.request.decision"] == "pass"
    assert attrs["dlp.response.decision"] == "redacted"
    assert attrs["dlp.response.detectors"] == ("pii/us_ssn",)
    assert attrs["dlp.response.findings"] == 2
    assert attrs["rpc.system"] == "grpc"
    assert span.start_time is not None and span.end_time is not None
    assert span.start_time <= span.end_time


@pytest.mark.parametrize("traceparent", ["", "00-zz-not-a-trace-01", "garbage"])
def test_without_a_valid_traceparent_the_span_is_a_root(rig: Rig, traceparent: str) -> None:
    one_exchange(rig.recorder, traceparent)
    (span,) = rig.finished()
    assert span.parent is None
    assert span.context is not None and format(span.context.trace_id, "032x") != TRACE_ID


def test_unsampled_parent_yields_no_span(rig: Rig) -> None:
    one_exchange(rig.recorder, f"00-{TRACE_ID}-{PARENT_ID}-00")
    assert rig.finished() == []
    assert rig.values("dlp.requests")  # metrics do not depend on sampling


def test_concurrent_streams_keep_their_own_spans(rig: Rig) -> None:
    async def stream(policy: str, traceparent: str, release: asyncio.Event) -> None:
        rig.recorder.stream_started()
        await release.wait()
        rig.recorder.exchange_done(policy, "", {"response": SSN_ANSWER}, traceparent)
        await asyncio.sleep(0)
        rig.recorder.stream_ended()

    async def main() -> None:
        first, second = asyncio.Event(), asyncio.Event()
        other = f"00-{'1' * 32}-{'2' * 16}-01"
        tasks = [
            asyncio.create_task(stream("one", TRACEPARENT, first)),
            asyncio.create_task(stream("two", other, second)),
        ]
        await asyncio.sleep(0)
        second.set()
        await asyncio.sleep(0)
        first.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    by_policy = {
        s.attributes["dlp.policy"]: format(s.context.trace_id, "032x")  # type: ignore[index,union-attr]
        for s in rig.finished()
    }
    assert by_policy == {"one": TRACE_ID, "two": "1" * 32}


def test_cleanup_in_a_foreign_task_does_not_end_anothers_span(rig: Rig) -> None:
    async def main() -> None:
        rig.recorder.stream_started()

        async def finaliser() -> None:  # runs with a copy of this task's context
            rig.recorder.exchange_done("intruder", "", {"response": SSN_ANSWER})
            rig.recorder.stream_ended()

        await asyncio.create_task(finaliser())
        assert rig.finished() == []
        rig.recorder.exchange_done("default", "", {"response": SSN_ANSWER}, TRACEPARENT)
        rig.recorder.stream_ended()

    asyncio.run(main())
    (span,) = rig.finished()
    assert span.attributes is not None and span.attributes["dlp.policy"] == "default"


def test_span_attributes_hold_ids_and_counts_only() -> None:
    attrs = span_attributes("default", "", {"response": SSN_ANSWER})
    assert attrs == {
        "dlp.policy": "default",
        "dlp.response.decision": "redacted",
        "dlp.response.findings": 2,
        "dlp.response.scanned_bytes": 120,
        "dlp.response.detectors": ["pii/us_ssn"],
    }


class ResetWhileSending(InProcessContext):
    """Envoy resets the stream while the last answer is on its way."""

    async def write(self, message: pb.ProcessingResponse) -> None:
        await super().write(message)
        if message.HasField("response_headers"):
            raise asyncio.CancelledError


def test_a_stream_reset_during_the_last_answer_still_yields_its_span(rig: Rig) -> None:
    factory, _reload = inspector_factory(Settings(policy=str(DEFAULT_POLICY)), rig.recorder)
    servicer = ExternalProcessor(factory, "envoy.filters.http.ext_proc", rig.recorder)
    messages = [
        headers_message(
            "request_headers",
            {":method": "GET", ":path": "/", "traceparent": TRACEPARENT},
            eos=True,
        ),
        headers_message("response_headers", {":status": "200"}, eos=True),
    ]

    async def requests() -> AsyncIterator[pb.ProcessingRequest]:
        for m in messages:
            yield m

    context = ResetWhileSending()
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(servicer.Process(requests(), cast(Any, context)))
    assert len(context.written) == 2
    (span,) = rig.finished()
    assert span.context is not None and format(span.context.trace_id, "032x") == TRACE_ID
    assert rig.values("dlp.streams.active") == {key(): 0}


class GoneWhileSending(InProcessContext):
    """The stream is already finished when the first answer is written."""

    async def write(self, message: pb.ProcessingResponse) -> None:
        raise grpc.aio.UsageError("Perform write on a finished RPC")


def test_a_stream_gone_before_the_answer_is_not_a_processing_error(rig: Rig) -> None:
    factory, _reload = inspector_factory(Settings(policy=str(DEFAULT_POLICY)), rig.recorder)
    servicer = ExternalProcessor(factory, "envoy.filters.http.ext_proc", rig.recorder)
    request = headers_message("request_headers", {":method": "GET", ":path": "/"}, eos=True)

    async def requests() -> AsyncIterator[pb.ProcessingRequest]:
        yield request

    asyncio.run(servicer.Process(requests(), cast(Any, GoneWhileSending())))
    assert key(direction="request", decision="error") not in rig.values("dlp.requests")
    assert rig.values("dlp.streams.active") == {key(): 0}
    assert len(rig.finished()) == 1  # the stream's span still ends
