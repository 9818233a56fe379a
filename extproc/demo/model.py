"""The demo model: what the demo upstream answers, as bytes (standard library only).

Chat completions echo the last user message ("You said: ..."), so whoever sits in front of the
upstream sees what reached the model; a prompt that asks for "the customer record" gets a
made-up record with personal data (`CUSTOMER_RECORD`), streamed in small pieces that split its
values, to show answers scanned. `Reply` is what the HTTP side (`extproc.demo.upstream`) sends.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

_CREATED = 1_700_000_000  # fixed, so answers are byte-for-byte reproducible
JSON_HEADERS = (("content-type", "application/json"),)
SSE_HEADERS = (("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache"))


@dataclass(frozen=True)
class Received:
    """One request as the upstream got it; header names are lower-case, repeats joined by ", "."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    """What to answer. Framing headers (content-length, transfer-encoding) are computed here."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    chunks: tuple[bytes, ...] = ()  # written and flushed one by one
    chunk_delay: float = 0.0  # seconds between chunks, so Envoy sees them separately
    chunked: bool | None = None  # None: chunked when there is more than one chunk


Script = Callable[[Received], Reply]


# --- answer bodies


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


# What the demo model "knows": made-up personal data that no prompt carried, so what reaches the
# client shows the answer itself scanned. Streamed in pieces of this many characters, which
# split every value over several events.
CUSTOMER_RECORD = (
    "Customer record: Jane Doe, email jane.doe@contoso.org, phone +1 415 555 0132, "
    "card on file 4111 1111 1111 1111."
)
RECORD_PIECE = 6


def split_words(text: str) -> tuple[str, ...]:
    """Split text into words that keep their surrounding spaces: "".join(result) == text."""
    return tuple(re.findall(r"\s*\S+\s*|\s+", text))


def openai_json(text: str, *, model: str = "demo") -> bytes:
    """A `chat.completion` answer whose assistant message is `text`."""
    tokens = len(text.split())
    return _dumps(
        {
            "id": "chatcmpl-demo",
            "object": "chat.completion",
            "created": _CREATED,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": tokens, "total_tokens": tokens},
        }
    )


def openai_sse(words: Sequence[str], *, model: str = "demo") -> tuple[bytes, ...]:
    """OpenAI `chat.completion.chunk` events, one per word, then `data: [DONE]`.

    Each word is one delta's content verbatim (spaces included: see `split_words`); the
    first delta also carries the role, the last one the finish reason.
    """
    pieces = list(words) or [""]
    events = []
    for index, piece in enumerate(pieces):
        delta = {"role": "assistant", "content": piece} if index == 0 else {"content": piece}
        last = index == len(pieces) - 1
        chunk = {
            "id": "chatcmpl-demo",
            "object": "chat.completion.chunk",
            "created": _CREATED,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": "stop" if last else None}],
        }
        events.append(b"data: " + _dumps(chunk) + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return tuple(events)


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + _dumps({"type": name, **data}) + b"\n\n"


def anthropic_sse(words: Sequence[str]) -> tuple[bytes, ...]:
    """An Anthropic Messages stream with one `text_delta` per word (verbatim, as above)."""
    message: dict[str, Any] = {
        "id": "msg_demo",
        "type": "message",
        "role": "assistant",
        "model": "demo",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 0, "output_tokens": 0},
    }
    return (
        _event("message_start", {"message": message}),
        _event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        *(
            _event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": w}})
            for w in words
        ),
        _event("content_block_stop", {"index": 0}),
        _event(
            "message_delta",
            {
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": len(words)},
            },
        ),
        _event("message_stop", {}),
    )


def error_reply(status: int, message: str, *, param: str | None = None) -> Reply:
    """An OpenAI-style error answer."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    return Reply(status, JSON_HEADERS, (_dumps(body),))


# --- default behaviour


def default_reply(received: Received) -> Reply:
    """The answer when no script is set: echo chat, fake embeddings, health, else 404."""
    path = received.path.split("?", 1)[0]
    if received.method in ("GET", "HEAD") and path == "/healthz":
        return Reply(200, (("content-type", "text/plain"),), (b"ok",))
    if received.method == "POST" and path == "/v1/chat/completions":
        return _chat(received.body)
    if received.method == "POST" and path == "/v1/embeddings":
        return _embeddings(received.body)
    return error_reply(404, f"Unknown request URL: {received.method} {path}")


class _Invalid(Exception):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # bad UTF-8 or JSON, or absurdly deep nesting
        raise _Invalid("We could not parse the JSON body of your request.") from None
    if not isinstance(value, dict):
        raise _Invalid("The request body must be a JSON object.")
    return value


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
                return "".join(
                    part["text"]
                    for part in content
                    if isinstance(part, dict) and isinstance(part.get("text"), str)
                )
            return ""
    return ""


def _chat(body: bytes) -> Reply:
    try:
        payload = _json_object(body)
        messages = payload.get("messages")
        if not isinstance(messages, list):
            raise _Invalid("'messages' must be an array of messages.", "messages")
    except _Invalid as invalid:
        return error_reply(400, str(invalid), param=invalid.param)
    model = payload.get("model")
    model = model if isinstance(model, str) else "demo"
    prompt = _last_user_text(messages)
    if "customer record" in prompt.lower():
        text = CUSTOMER_RECORD
        pieces = tuple(text[i : i + RECORD_PIECE] for i in range(0, len(text), RECORD_PIECE))
    else:
        text = "You said: " + prompt
        pieces = split_words(text)
    if payload.get("stream") is True:
        return Reply(200, SSE_HEADERS, openai_sse(pieces, model=model), chunked=True)
    return Reply(200, JSON_HEADERS, (openai_json(text, model=model),))


def _vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [round(byte / 255 * 2 - 1, 4) for byte in digest[:8]]


def _embeddings(body: bytes) -> Reply:
    try:
        payload = _json_object(body)
        inputs = payload.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs:
            raise _Invalid("'input' must be a string or a non-empty array.", "input")
    except _Invalid as invalid:
        return error_reply(400, str(invalid), param=invalid.param)
    model = payload.get("model")
    data = [
        {"object": "embedding", "index": index, "embedding": _vector(json.dumps(item))}
        for index, item in enumerate(inputs)
    ]
    answer = {
        "object": "list",
        "data": data,
        "model": model if isinstance(model, str) else "demo-embedding",
        "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
    }
    return Reply(200, JSON_HEADERS, (_dumps(answer),))
