"""Everything a client is told instead of the upstream's answer.

Errors are OpenAI-style envelopes (SDKs show them as they show the
provider's own), with the risk headers; in the middle of an SSE answer the
same error is an event shaped like the provider's (OpenAI or Anthropic),
because the status has already left. Governance and the inspector hand in
facts (a ``Stop``, the detectors found); the words and statuses are here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from extproc.govern.guard import Stop
from extproc.policy.model import Direction
from extproc.verdicts import Immediate

ERROR_TYPE = "data_leakage_prevention"


@dataclass(frozen=True, slots=True)
class ClientError:
    """One error as the client sees it; ``details`` is for Envoy's access log."""

    status: int
    code: str
    message: str
    details: str
    detectors: tuple[str, ...] = ()


OVERSIZE = ClientError(
    413,
    "body_too_large",
    "The body is larger than the data-loss-prevention filter may inspect.",
    "dlp_oversize",
)
UNDECODABLE = ClientError(
    403,
    "undecodable_content_encoding",
    "The body is in a content encoding the data-loss-prevention filter cannot decode.",
    "dlp_undecodable",
)

UNREADABLE = ClientError(
    403,
    "unreadable_content",
    "The body, or a part of it, is in a form the data-loss-prevention filter cannot read "
    "as text (such as a PDF or a character encoding it does not know).",
    "dlp_undecodable",
)


def signed(detectors: Sequence[str]) -> ClientError:
    """A redaction that a request's signature forbids (AWS Signature Version 4)."""
    names = ", ".join(detectors)
    return ClientError(
        403,
        "signed_request_not_rewritable",
        f"The request contains sensitive data ({names}) that the data-loss-prevention policy "
        "redacts, but it is signed (AWS Signature Version 4) over what would change, so it "
        "cannot be rewritten without breaking the signature. Send requests through the filter "
        "before they are signed.",
        "dlp_signed",
        tuple(detectors),
    )


def _what(direction: Direction) -> str:
    return "request" if direction is Direction.REQUEST else "answer"


def _window(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


JUDGE_UNAVAILABLE = ClientError(
    503,
    "judge_unavailable",
    "The content could not be checked: a judge the policy requires did not answer in time.",
    "dlp_judge_unavailable",
)


def sensitive(direction: Direction, detectors: Sequence[str]) -> ClientError:
    """A block by a detector rule."""
    names = ", ".join(detectors)
    if detectors and all(d.startswith("signal/") for d in detectors):
        return content_policy(direction, detectors)
    return ClientError(
        403,
        "sensitive_data_detected",
        f"The {_what(direction)} was blocked because it contains sensitive data ({names}).",
        "dlp_blocked",
        tuple(detectors),
    )


def content_policy(direction: Direction, detectors: Sequence[str]) -> ClientError:
    """A block by a content signal: an injection, a refusal, profanity, the
    answer's format or language, a judge's verdict (``signal/...``)."""
    names = ", ".join(detectors)
    return ClientError(
        403,
        "content_policy_violation",
        f"The {_what(direction)} was blocked by the content policy ({names}).",
        "dlp_content_policy",
        tuple(detectors),
    )


def stopped(direction: Direction, stop: Stop) -> ClientError:
    """A block by a volume rule, a budget or a size cap."""
    what = _what(direction)
    names = ", ".join(stop.detectors)
    details = f"dlp_{stop.kind}"
    if stop.kind == "cap":
        size = f"{stop.limit} bytes" if stop.unit == "bytes" else f"about {stop.limit} tokens"
        if direction is Direction.REQUEST:
            message = f"The request is larger than this route allows ({size})."
            return ClientError(413, "prompt_too_large", message, details)
        message = f"The answer is longer than this route allows ({size})."
        return ClientError(502, "answer_too_large", message, details)
    if stop.kind == "bulk":
        message = (
            f"The {what} was blocked: it carries more than {stop.limit} distinct values "
            f"of {names} (bulk data)."
        )
        return ClientError(403, "too_many_values", message, details, stop.detectors)
    if stop.kind == "budget":
        message = (
            f"The {what} was blocked: this client has reached its budget of {stop.limit} "
            f"distinct values of {names} per {_window(stop.window)}."
        )
        return ClientError(403, "budget_exceeded", message, details, stop.detectors)
    message = f"The {what} was blocked: the data budget for {names} could not be checked."
    return ClientError(503, "budget_unavailable", message, details, stop.detectors)


def error_object(error: ClientError) -> dict[str, Any]:
    return {
        "message": error.message,
        "type": ERROR_TYPE,
        "code": error.code,
        "detectors": list(error.detectors),
    }


def error_body(error: ClientError) -> bytes:
    """The JSON envelope: ``{"error": {message, type, code, detectors}}``."""
    return json.dumps({"error": error_object(error)}).encode()


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


def immediate(
    error: ClientError, categories: Sequence[str] = (), confidence: float = 0.0
) -> Immediate:
    """A blocking answer: JSON, ``x-risk-blocked: true``, the categories so far."""
    risk = dict(risk_headers(categories, True, confidence))
    risk["x-risk-blocked"] = "true"
    risk.setdefault("x-risk-categories", "")
    headers = (("content-type", "application/json"), *risk.items())
    return Immediate(error.status, error_body(error), headers, error.details)


# Google's status names for the statuses these errors use.
_GOOGLE_STATUS = {403: "PERMISSION_DENIED", 413: "INVALID_ARGUMENT", 502: "UNAVAILABLE"}


def stream_error(error: ClientError, dialect: str) -> tuple[str | None, Any]:
    """The error as a stream's last event, in the shape of the stream's
    provider (``rewrite.apis.DIALECTS``): (event name or None, JSON value).
    Anthropic: ``event: error``; Gemini: Google's ``{"error": {code, message,
    status}}``; Ollama and TGI: their ``{"error": "..."}``; else OpenAI's."""
    obj = error_object(error)
    if dialect == "anthropic":
        return "error", {"type": "error", "error": obj}
    if dialect == "gemini":
        status = _GOOGLE_STATUS.get(error.status, "FAILED_PRECONDITION")
        google = {"code": error.status, "message": error.message, "status": status}
        return None, {"error": {**google, "details": [obj]}}
    if dialect == "ollama":
        return None, {"error": error.message}
    if dialect == "tgi":
        return None, {"error": error.message, "error_type": ERROR_TYPE}
    return None, {"error": obj}


def sse_error_event(error: ClientError, dialect: str) -> str:
    """The error as an SSE answer's last event (see ``stream_error``)."""
    name, obj = stream_error(error, dialect)
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(obj)}\n\n"
