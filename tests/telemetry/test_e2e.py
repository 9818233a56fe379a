"""Telemetry through the real stack: Envoy, the server, an OTLP receiver.

The server gets nothing but the standard OTEL_* variables (and EXTPROC_TRACES);
what it exports is read back from a real OTLP/gRPC receiver.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from extproc.demo.model import Reply, openai_sse, split_words
from harness.stack import Stack, running_stack, wait_for
from tests.e2e.conftest import DATA, chat
from tests.e2e.conftest import answer_json as answer_with
from tests.e2e.conftest import post as send
from tests.telemetry.receiver import OtlpReceiver, Point
from tests.values import CARD, EMAIL, SSN
from tests.values import GITHUB_TOKEN as TOKEN

pytestmark = pytest.mark.e2e

POLICY = DATA / "example.yaml"
TRACE_ID = uuid.uuid4().hex
PARENT_ID = uuid.uuid4().hex[:16]

# Planted values (see tests.values), and one of this file's own.
EMPLOYEE = "EMP-" + "482913"
PLANTED = {
    SSN: "pii/us_ssn",
    CARD: "pii/credit_card",
    EMAIL: "pii/email",
    TOKEN: "secret/github_token",
    EMPLOYEE: "custom/employee_id",
}


def forms(value: str) -> set[str]:
    """The value and the shapes a careless log would print it in."""
    digits = re.sub(r"\D", "", value)
    out = {value, value.lower(), json.dumps(value)[1:-1]}
    if len(digits) >= 9:
        out.add(digits)
    return out


def otel_env(receiver: OtlpReceiver, interval_ms: int) -> dict[str, str]:
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpc_endpoint,
        "OTEL_METRIC_EXPORT_INTERVAL": str(interval_ms),
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_SERVICE_NAME": "dlp-e2e",
        "EXTPROC_TRACES": "on",
    }


def post(stack: Stack, content: str, **headers: str) -> httpx.Response:
    return send(stack, chat(content), headers=headers)


def detections(receiver: OtlpReceiver, detector: str, direction: str) -> list[Point]:
    return [
        p
        for p in receiver.points("dlp.detections")
        if p.attributes.get("detector") == detector and p.attributes.get("direction") == direction
    ]


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as r:
        yield r


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, receiver: OtlpReceiver) -> Iterator[Stack]:
    env = otel_env(receiver, 200)
    with running_stack(tmp_path_factory.mktemp("otel"), policy=POLICY, server_env=env) as s:
        yield s


def test_redacted_ssn_in_an_answer_is_a_detection_point(
    stack: Stack, receiver: OtlpReceiver
) -> None:
    """The issue's done-criterion."""
    answer_with(stack, f"Her SSN is {SSN}.")
    r = post(stack, "who is she?")
    assert r.status_code == 200, stack.logs()
    assert SSN not in r.text and "[REDACTED:pii/us_ssn]" in r.text
    receiver.wait(lambda: bool(detections(receiver, "pii/us_ssn", "response")), "dlp.detections")
    point = detections(receiver, "pii/us_ssn", "response")[-1]
    assert point.attributes == {
        "detector": "pii/us_ssn",
        "direction": "response",
        "action": "redact",
        "policy": "default",
    }
    assert point.value >= 1
    assert dict(point.resource)["service.name"] == "dlp-e2e"

    def decided() -> bool:
        return any(
            p.attributes == {"direction": "response", "decision": "redacted"}
            for p in receiver.points("dlp.requests")
        )

    receiver.wait(decided, "dlp.requests decision=redacted")
    names = {p.metric for p in receiver.points()}
    assert {"dlp.processing.duration", "dlp.scan.duration", "dlp.scanned.bytes"} <= names
    assert "dlp.streams.active" in names


def test_decision_reaches_envoys_access_log(stack: Stack) -> None:
    answer_with(stack, f"Her SSN is {SSN}.")
    request_id = str(uuid.uuid4())
    r = post(stack, "who is she?", **{"x-request-id": request_id})
    assert r.status_code == 200

    def logged() -> dict[str, object] | None:
        assert stack.envoy is not None
        for line in stack.envoy.output().splitlines():
            if request_id in line and line.startswith("{"):
                entry: dict[str, object] = json.loads(line)
                return entry
        return None

    wait_for(lambda: logged() is not None, "the access log line", timeout=10)
    entry = logged()
    assert entry is not None
    assert entry["dlp"] == {
        "policy": "default",
        "request": "pass",
        "response": "redacted",
        "detectors": "pii/us_ssn",
        "path": "/v1/chat/completions",
    }, stack.logs()
    assert entry["path"] == "/v1/chat/completions"


def test_a_blocked_paths_value_never_reaches_the_access_log(stack: Stack) -> None:
    request_id = str(uuid.uuid4())
    url = f"{stack.url}/v1/files/{TOKEN}/content?purpose={TOKEN}"
    r = httpx.get(url, headers={"x-request-id": request_id}, timeout=10)
    assert r.status_code == 403

    def logged() -> str | None:
        assert stack.envoy is not None
        lines = [line for line in stack.envoy.output().splitlines() if request_id in line]
        return lines[0] if lines else None

    wait_for(lambda: logged() is not None, "the access log line", timeout=10)
    line = logged()
    assert line is not None and TOKEN not in line
    entry = json.loads(line)
    # A URL still (the detector id percent-encoded in its segment), without the query.
    assert unquote(entry["path"]) == "/v1/files/[secret/github_token]/content"
    assert entry["dlp"]["request"] == "blocked"


def test_span_continues_the_callers_trace(stack: Stack, receiver: OtlpReceiver) -> None:
    answer_with(stack, f"Her SSN is {SSN}.")
    r = post(stack, "who is she?", traceparent=f"00-{TRACE_ID}-{PARENT_ID}-01")
    assert r.status_code == 200

    def ours() -> list[object]:
        return [s for _, s in receiver.spans() if s.trace_id.hex() == TRACE_ID]

    receiver.wait(lambda: bool(ours()), "the stream's span")
    ((resource, span),) = [(res, s) for res, s in receiver.spans() if s.trace_id.hex() == TRACE_ID]
    assert span.parent_span_id.hex() == PARENT_ID
    assert resource["service.name"] == "dlp-e2e"
    attrs = {kv.key: kv.value for kv in span.attributes}
    assert attrs["dlp.response.decision"].string_value == "redacted"
    assert [v.string_value for v in attrs["dlp.response.detectors"].array_value.values] == [
        "pii/us_ssn"
    ]


def test_no_log_line_metric_or_span_holds_a_planted_value(
    tmp_path: Path, receiver: OtlpReceiver
) -> None:
    receiver.metrics.clear()
    receiver.traces.clear()
    # A long interval: what arrives comes from the flush on SIGTERM.
    env = otel_env(receiver, 60_000)
    with running_stack(tmp_path, policy=POLICY, server_env=env) as stack:
        everything = " ".join(PLANTED)
        header = {"x-customer-note": f"{SSN} {EMAIL}"}
        # Requests: redacted (card, email, SSN), blocked (token, employee id).
        assert post(stack, f"card {CARD}, mail {EMAIL}, ssn {SSN}", **header).status_code == 200
        assert post(stack, f"use {TOKEN}", **header).status_code == 403
        assert post(stack, f"ask {EMPLOYEE}").status_code == 403
        # Answers: redacted JSON, and the same as an SSE stream.
        answer_with(stack, f"Found: {everything}.")
        assert post(stack, "what did you find?").status_code in (200, 403)
        sse = openai_sse(split_words(f"Found: {SSN} and {EMAIL} and {CARD}."))
        stack.upstream.script = lambda _r: Reply(
            headers=(("content-type", "text/event-stream"),), chunks=sse, chunk_delay=0.01
        )
        with httpx.stream(
            "POST", f"{stack.url}/v1/chat/completions", json=chat("stream it"), timeout=10
        ) as r:
            r.read()
        assert stack.server is not None
        assert stack.server.stop() == 0, stack.logs()  # SIGTERM: drain, then flush
        server_log = stack.server.output()
    assert stack.envoy is not None
    envoy_log = stack.envoy.output()

    receiver.wait(lambda: bool(receiver.points("dlp.detections")), "the final export", 10)
    seen = {str(p.attributes["detector"]) for p in receiver.points("dlp.detections")}
    assert set(PLANTED.values()) <= seen  # every planted value was found and counted
    assert receiver.spans(), "no spans exported"
    assert '"message": "decision"' in server_log  # decisions were logged

    places: dict[str, list[str]] = {
        "server log": server_log.splitlines(),
        "envoy log": envoy_log.splitlines(),
        "metric attributes": [f"{p.metric} {p.attributes} {p.resource}" for p in receiver.points()],
        "span attributes": [
            f"{span.name} {res} {[(kv.key, kv.value) for kv in span.attributes]} {span.events}"
            for res, span in receiver.spans()
        ],
        "everything exported": receiver.everything().splitlines(),
    }
    assert all(places.values())
    for value in PLANTED:
        for form in forms(value):
            for where, lines in places.items():
                leaked = [line for line in lines if form in line]
                assert not leaked, f"{form!r} in the {where}: {leaked[:2]}"
