"""The URL and header fields of each direction, through the inspector."""

from __future__ import annotations

from extproc.dlp import DlpInspector
from extproc.policy.compile import CompiledPolicy, compile_policy
from extproc.policy.load import load_policy, parse_policy
from extproc.policy.model import Direction
from extproc.verdicts import BodyMode, Verdict
from harness.stack import ROOT
from tests.values import EMAIL, GITHUB_TOKEN

DEFAULT = compile_policy(load_policy(str(ROOT / "policies" / "default.yaml")))
REQUEST, RESPONSE = Direction.REQUEST, Direction.RESPONSE

# What real clients send: none of it may be flagged by the default policy.
SDK_HEADERS = {
    ":method": "POST",
    ":path": "/v1/chat/completions?api-version=2024-10-21",
    ":authority": "api.openai.com",
    "user-agent": "OpenAI/Python 1.52.0",
    "x-stainless-lang": "python",
    "x-stainless-runtime-version": "3.11.7",
    "x-stainless-retry-count": "0",
    "content-type": "application/json",
    "content-length": "1234",
    "anthropic-version": "2023-06-01",
    "x-goog-api-client": "google-genai-sdk/1.2.0 gl-python/3.11.7",
    "x-amz-date": "20240101T120000Z",
    "amz-sdk-invocation-id": "5f7b1f7e-8c3a-4d0e-9a2b-3c4d5e6f7a8b",
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "x-request-id": "3e2c1a8f-0d5b-4a4e-9a51-6f0c7b9f1e2d",
    "x-forwarded-for": "203.0.113.7, 10.0.0.1",
    "authorization": f"Bearer {GITHUB_TOKEN}",
}
ANSWER_HEADERS = {
    ":status": "200",
    "date": "Mon, 23 Nov 2026 14:00:00 GMT",
    "anthropic-ratelimit-tokens-reset": "2026-11-23T14:00:05Z",
    "x-ratelimit-reset-requests": "6m0s",
    "openai-processing-ms": "1234",
    "cf-ray": "8a1b2c3d4e5f6a7b-SJC",
    "set-cookie": "__cf_bm=AbCdEf.GhIj-1700000000-1.0.1.1-XyZ; path=/; HttpOnly",
}


def headers(
    direction: Direction, fields: dict[str, str], policy: CompiledPolicy = DEFAULT
) -> Verdict:
    inspector = DlpInspector(lambda _h, _p, _n: policy)
    if direction is RESPONSE:
        inspector.headers(REQUEST, {":path": "/v1/chat"}, True, BodyMode.NONE)
    return inspector.headers(direction, fields, False, BodyMode.BUFFERED)


def test_what_sdks_and_providers_send_is_clean() -> None:
    assert headers(REQUEST, SDK_HEADERS).set_headers == ()
    verdict = headers(RESPONSE, ANSWER_HEADERS)
    assert verdict.block is None and verdict.set_headers == ()


def test_a_header_value_is_rewritten_and_its_name_is_context() -> None:
    verdict = headers(REQUEST, {":path": "/v1/chat", "x-contact": f"write {EMAIL}"})
    assert dict(verdict.set_headers) == {
        "x-contact": "write [REDACTED:pii/email]",
        "x-dlp-redacted": "pii/email",
    }


def test_a_block_in_a_header_is_a_403_without_the_value() -> None:
    verdict = headers(REQUEST, {":path": "/v1/chat", "x-debug": GITHUB_TOKEN})
    assert verdict.block is not None and verdict.block.status == 403
    assert GITHUB_TOKEN.encode() not in verdict.block.body


def test_headers_envoy_will_not_change_are_refused_instead() -> None:
    verdict = headers(REQUEST, {":path": "/v1/chat", "x-envoy-note": EMAIL})
    assert verdict.block is not None and verdict.block.status == 403


def test_the_log_never_gets_a_value_from_the_path() -> None:
    inspector = DlpInspector(lambda _h, _p, _n: DEFAULT)
    inspector.headers(REQUEST, {":path": f"/v1/u/{EMAIL}/x?q=1"}, True, BodyMode.NONE)
    assert inspector.route == "/v1/u/%5Bpii%2Femail%5D/x"  # the detector id, never the value


def test_the_unscanned_lists_come_from_the_policy() -> None:
    policy = compile_policy(
        parse_policy(
            """
version: 1
name: p
rules:
  - detectors: ["pii/email"]
    request: redact
    response: redact
unscanned:
  headers: [x-owner]
  query_parameters: [User]
""",
            "p.yaml",
        )
    )
    verdict = headers(
        REQUEST,
        {":path": f"/v1/x?user={EMAIL}&to={EMAIL}", "x-owner": EMAIL, "authorization": EMAIL},
        policy,
    )
    rewritten = dict(verdict.set_headers)
    assert rewritten[":path"] == f"/v1/x?user={EMAIL}&to=%5BREDACTED:pii/email%5D"
    assert rewritten["authorization"] == "[REDACTED:pii/email]"  # the list replaced the default
    assert "x-owner" not in rewritten
