"""What a client gets instead of the upstream's answer: an OpenAI-style error
(so SDKs show it as they show the provider's own), with the risk headers."""

from __future__ import annotations

import json
from collections.abc import Sequence

from extproc.exchange import Immediate

ERROR_TYPE = "data_leakage_prevention"


def error_body(message: str, code: str, detectors: Sequence[str]) -> bytes:
    return json.dumps(
        {
            "error": {
                "message": message,
                "type": ERROR_TYPE,
                "code": code,
                "detectors": list(detectors),
            }
        }
    ).encode()


def risk_headers(
    categories: Sequence[str], blocked: bool, confidence: float
) -> tuple[tuple[str, str], ...]:
    """``x-risk-*``: detector ids and the highest confidence, never values."""
    if not categories:
        return ()
    return (
        ("x-risk-blocked", "true" if blocked else "false"),
        ("x-risk-categories", ",".join(categories)),
        ("x-risk-confidence", f"{confidence:.2f}"),
    )


def json_answer(
    status: int,
    body: bytes,
    details: str,
    categories: Sequence[str] = (),
    confidence: float = 0.0,
) -> Immediate:
    """A blocking answer: JSON, ``x-risk-blocked: true``, the categories so far."""
    risk = dict(risk_headers(categories, True, confidence))
    risk["x-risk-blocked"] = "true"
    risk.setdefault("x-risk-categories", "")
    return Immediate(status, body, (("content-type", "application/json"), *risk.items()), details)


def oversize_answer(categories: Sequence[str] = (), confidence: float = 0.0) -> Immediate:
    body = error_body(
        "The body is larger than the data-loss-prevention filter may inspect.",
        "body_too_large",
        [],
    )
    return json_answer(413, body, "dlp_oversize", categories, confidence)


def undecodable_answer(categories: Sequence[str] = (), confidence: float = 0.0) -> Immediate:
    body = error_body(
        "The body is in a content encoding the data-loss-prevention filter cannot decode.",
        "undecodable_content_encoding",
        [],
    )
    return json_answer(403, body, "dlp_undecodable", categories, confidence)
