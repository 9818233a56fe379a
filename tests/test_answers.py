"""Everything a client is told, table by table: statuses, codes, messages,
the JSON envelope, the risk headers and the in-stream SSE error events."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from extproc import answers
from extproc.answers import ClientError
from extproc.govern.guard import Stop
from extproc.policy.model import Direction

REQ, RESP = Direction.REQUEST, Direction.RESPONSE
CARDS = ("pii/credit_card",)

STOPS = [
    (
        REQ,
        Stop("cap", 2000, "bytes"),
        413,
        "prompt_too_large",
        "The request is larger than this route allows (2000 bytes).",
        [],
    ),
    (
        RESP,
        Stop("cap", 10, "tokens"),
        502,
        "answer_too_large",
        "The answer is longer than this route allows (about 10 tokens).",
        [],
    ),
    (
        RESP,
        Stop("bulk", 5, detectors=("pii/email",)),
        403,
        "too_many_values",
        "The answer was blocked: it carries more than 5 distinct values of pii/email (bulk data).",
        ["pii/email"],
    ),
    (
        REQ,
        Stop("budget", 3, window=3600, detectors=CARDS),
        403,
        "budget_exceeded",
        "The request was blocked: this client has reached its budget of 3 distinct values "
        "of pii/credit_card per 1h.",
        ["pii/credit_card"],
    ),
    (
        REQ,
        Stop("budget", 3, window=90, detectors=CARDS),
        403,
        "budget_exceeded",
        "The request was blocked: this client has reached its budget of 3 distinct values "
        "of pii/credit_card per 90s.",
        ["pii/credit_card"],
    ),
    (
        REQ,
        Stop("unavailable", detectors=CARDS),
        503,
        "budget_unavailable",
        "The request was blocked: the data budget for pii/credit_card could not be checked.",
        ["pii/credit_card"],
    ),
]


@pytest.mark.parametrize(("direction", "stop", "status", "code", "message", "detectors"), STOPS)
def test_every_stop_is_worded(
    direction: Direction, stop: Stop, status: int, code: str, message: str, detectors: list[str]
) -> None:
    error = answers.stopped(direction, stop)
    assert (error.status, error.code, error.message) == (status, code, message)
    assert error.details == f"dlp_{stop.kind}"
    envelope = json.loads(answers.error_body(error))
    assert envelope == {
        "error": {
            "message": message,
            "type": "data_leakage_prevention",
            "code": code,
            "detectors": detectors,
        }
    }


@pytest.mark.parametrize(("direction", "what"), [(REQ, "request"), (RESP, "answer")])
def test_sensitive_data_block(direction: Direction, what: str) -> None:
    error = answers.sensitive(direction, ["pii/email", "secret/jwt"])
    assert (error.status, error.code, error.details) == (
        403,
        "sensitive_data_detected",
        "dlp_blocked",
    )
    assert error.message == (
        f"The {what} was blocked because it contains sensitive data (pii/email, secret/jwt)."
    )
    assert error.detectors == ("pii/email", "secret/jwt")


@pytest.mark.parametrize(
    ("error", "status", "code", "details"),
    [
        (answers.OVERSIZE, 413, "body_too_large", "dlp_oversize"),
        (answers.UNDECODABLE, 403, "undecodable_content_encoding", "dlp_undecodable"),
    ],
)
def test_body_the_filter_cannot_inspect(
    error: ClientError, status: int, code: str, details: str
) -> None:
    answer = answers.immediate(error)
    assert (answer.status, answer.details) == (status, details)
    assert json.loads(answer.body)["error"]["code"] == code
    assert dict(answer.headers) == {
        "content-type": "application/json",
        "x-risk-blocked": "true",
        "x-risk-categories": "",
    }


def test_immediate_answer_carries_the_risk_so_far() -> None:
    answer = answers.immediate(answers.sensitive(REQ, CARDS), CARDS, 0.987)
    assert answer.status == 403
    assert dict(answer.headers) == {
        "content-type": "application/json",
        "x-risk-blocked": "true",
        "x-risk-categories": "pii/credit_card",
        "x-risk-confidence": "0.99",
    }


@pytest.mark.parametrize(
    ("categories", "blocked", "expected"),
    [
        ((), False, ()),
        ((), True, ()),
        (
            ("pii/email", "pii/us_ssn"),
            False,
            (
                ("x-risk-blocked", "false"),
                ("x-risk-categories", "pii/email,pii/us_ssn"),
                ("x-risk-confidence", "0.50"),
            ),
        ),
    ],
)
def test_risk_headers(
    categories: tuple[str, ...], blocked: bool, expected: tuple[tuple[str, str], ...]
) -> None:
    assert answers.risk_headers(categories, blocked, 0.5) == expected


def test_sse_error_events_in_the_providers_shapes() -> None:
    error = answers.sensitive(RESP, ["secret/github_token"])
    openai = answers.sse_error_event(error, "openai")
    assert openai.startswith("data: ") and openai.endswith("\n\n")
    assert json.loads(openai.removeprefix("data: ")) == json.loads(answers.error_body(error))
    anthropic = answers.sse_error_event(error, "anthropic")
    head, data = anthropic.rstrip("\n").split("\n")
    assert head == "event: error"
    payload = json.loads(data.removeprefix("data: "))
    assert payload == {"type": "error", "error": answers.error_object(error)}


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("ollama", lambda e: {"error": e.message}),
        ("tgi", lambda e: {"error": e.message, "error_type": answers.ERROR_TYPE}),
        (
            "gemini",
            lambda e: {
                "error": {
                    "code": 403,
                    "message": e.message,
                    "status": "PERMISSION_DENIED",
                    "details": [answers.error_object(e)],
                }
            },
        ),
        ("openai", lambda e: {"error": answers.error_object(e)}),
    ],
)
def test_stream_errors_in_each_providers_own_shape(
    dialect: str, expected: Callable[[answers.ClientError], object]
) -> None:
    error = answers.sensitive(RESP, ["secret/github_token"])
    name, obj = answers.stream_error(error, dialect)
    assert name is None
    assert obj == expected(error)
