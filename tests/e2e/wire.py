"""Streamed answers as each API sends them, built from a list of text pieces
(one piece per event), from the providers' published wire formats."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Sequence
from typing import Any

from extproc.rewrite.eventstream import event_frame

AWS_PARTS = ["AKIA", "IOSFO", "DNN7", "EXAMPLE"]  # AWS's documented example key
CARD_PARTS = ["4111 ", "1111 ", "1111 ", "1111"]
WORDS = [
    "Here ",
    "is ",
    "the ",
    "key: ",
    *AWS_PARTS,
    " and ",
    "the ",
    "card ",
    *CARD_PARTS,
    " for ",
    "the ",
    "order. ",
    "Thanks!",
]
REDACTED = (
    "Here is the key: [REDACTED:secret/aws_access_key] and the card "
    "[REDACTED:pii/credit_card] for the order. Thanks!"
)
FRAGMENTS = [*AWS_PARTS, "".join(CARD_PARTS), "4111", "1111"]


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def sse(*values: Any, event: str | None = None) -> tuple[bytes, ...]:
    head = f"event: {event}\n".encode() if event else b""
    return tuple(head + b"data: " + dumps(v) + b"\n\n" for v in values)


def named(values: Sequence[dict[str, Any]], key: str = "type") -> tuple[bytes, ...]:
    return tuple(f"event: {v[key]}\n".encode() + b"data: " + dumps(v) + b"\n\n" for v in values)


def ndjson(values: Sequence[Any]) -> tuple[bytes, ...]:
    return tuple(dumps(v) + b"\n" for v in values)


def rechunk(pieces: Sequence[bytes], seed: int) -> tuple[bytes, ...]:
    """The same bytes cut at random places: events split over TCP writes and merged."""
    data = b"".join(pieces)
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), k=min(len(data) - 1, len(pieces) + 5)))
    return tuple(data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True))


# -- OpenAI ------------------------------------------------------------------


def completions(words: Sequence[str]) -> tuple[bytes, ...]:
    """Legacy completions (also vLLM, llama.cpp and TGI in OpenAI mode)."""

    def chunk(text: str, finish: str | None) -> dict[str, Any]:
        choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
        return {
            "id": "cmpl-1",
            "object": "text_completion",
            "created": 1,
            "model": "m",
            "choices": [choice],
        }

    last = len(words) - 1
    return (
        *sse(*(chunk(w, "length" if i == last else None) for i, w in enumerate(words))),
        b"data: [DONE]\n\n",
    )


def _token(text: str) -> dict[str, Any]:
    return {"token": text, "logprob": -0.25, "bytes": list(text.encode())}


def chat_logprobs(words: Sequence[str]) -> tuple[bytes, ...]:
    """Chat Completions with ``logprobs``: each chunk's token spells its content."""

    def chunk(text: str, finish: str | None) -> dict[str, Any]:
        alternatives = [_token(text), _token(text[:2] + "#")]
        logprobs = {"content": [{**_token(text), "top_logprobs": alternatives}], "refusal": None}
        choice = {
            "index": 0,
            "delta": {"content": text},
            "logprobs": logprobs,
            "finish_reason": finish,
        }
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [choice],
        }

    last = len(words) - 1
    first = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": ""},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
    }
    body = (chunk(w, "stop" if i == last else None) for i, w in enumerate(words))
    return (*sse(first, *body), b"data: [DONE]\n\n")


def tool_calls_without_index(parts: Sequence[str]) -> tuple[bytes, ...]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-2",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    head = {
        "role": "assistant",
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "store", "arguments": ""}}
        ],
    }
    args = [chunk({"tool_calls": [{"function": {"arguments": p}}]}) for p in parts]
    return (*sse(chunk(head), *args, chunk({}, "tool_calls")), b"data: [DONE]\n\n")


def responses(words: Sequence[str], args: Sequence[str]) -> tuple[bytes, ...]:
    """The Responses API: a message item, then a function call item."""
    seq = iter(range(10_000))
    events: list[dict[str, Any]] = []

    def add(kind: str, **fields: Any) -> None:
        events.append({"type": kind, "sequence_number": next(seq), **fields})

    text, arguments = "".join(words), "".join(args)
    response = {
        "id": "resp_1",
        "object": "response",
        "status": "in_progress",
        "model": "m",
        "output": [],
        "instructions": None,
    }
    add("response.created", response=response)
    message = {
        "id": "msg_1",
        "type": "message",
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }
    add("response.output_item.added", output_index=0, item=message)
    part = {"type": "output_text", "text": "", "annotations": []}
    add("response.content_part.added", item_id="msg_1", output_index=0, content_index=0, part=part)
    for w in words:
        add(
            "response.output_text.delta",
            item_id="msg_1",
            output_index=0,
            content_index=0,
            delta=w,
            logprobs=[],
        )
    add(
        "response.output_text.done",
        item_id="msg_1",
        output_index=0,
        content_index=0,
        text=text,
        logprobs=[],
    )
    done_part = {**part, "text": text}
    add(
        "response.content_part.done",
        item_id="msg_1",
        output_index=0,
        content_index=0,
        part=done_part,
    )
    done_message = {**message, "status": "completed", "content": [done_part]}
    add("response.output_item.done", output_index=0, item=done_message)
    call = {
        "id": "fc_1",
        "type": "function_call",
        "status": "in_progress",
        "call_id": "call_1",
        "name": "store",
        "arguments": "",
    }
    add("response.output_item.added", output_index=1, item=call)
    for a in args:
        add("response.function_call_arguments.delta", item_id="fc_1", output_index=1, delta=a)
    add(
        "response.function_call_arguments.done", item_id="fc_1", output_index=1, arguments=arguments
    )
    done_call = {**call, "status": "completed", "arguments": arguments}
    add("response.output_item.done", output_index=1, item=done_call)
    completed = {**response, "status": "completed", "output": [done_message, done_call]}
    add("response.completed", response=completed)
    return named(events)


# -- Google, Hugging Face, llama.cpp, Cohere, Ollama --------------------------


def _gemini(text: str, last: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}}
    if last:
        candidate["finishReason"] = "STOP"
    chunk: dict[str, Any] = {
        "candidates": [candidate],
        "modelVersion": "gemini-x",
        "responseId": "r1",
    }
    if last:
        chunk["usageMetadata"] = {
            "promptTokenCount": 1,
            "candidatesTokenCount": 9,
            "totalTokenCount": 10,
        }
    return chunk


def gemini_sse(words: Sequence[str]) -> tuple[bytes, ...]:
    last = len(words) - 1
    return tuple(
        b"data: " + dumps(_gemini(w, i == last)) + b"\r\n\r\n" for i, w in enumerate(words)
    )


def gemini_array(words: Sequence[str]) -> tuple[bytes, ...]:
    """``streamGenerateContent`` without ``alt=sse``: one JSON array, element by element."""
    last = len(words) - 1
    items = [dumps(_gemini(w, i == last)) for i, w in enumerate(words)]
    return (b"[" + items[0], *(b",\r\n" + item for item in items[1:]), b"]")


def tgi(words: Sequence[str]) -> tuple[bytes, ...]:
    text = "".join(words)
    events = []
    for i, w in enumerate(words):
        last = i == len(words) - 1
        events.append(
            {
                "index": i + 1,
                "token": {"id": 100 + i, "text": w, "logprob": -0.1, "special": False},
                "generated_text": text if last else None,
                "details": {
                    "finish_reason": "eos_token",
                    "generated_tokens": len(words),
                    "seed": None,
                }
                if last
                else None,
            }
        )
    return tuple(b"data:" + dumps(e) + b"\n\n" for e in events)


def llamacpp(words: Sequence[str]) -> tuple[bytes, ...]:
    body = [{"content": w, "stop": False, "id_slot": 0, "index": 0} for w in words]
    final = {
        "content": "",
        "stop": True,
        "id_slot": 0,
        "index": 0,
        "model": "m.gguf",
        "prompt": "hi",
        "stop_type": "eos",
        "stopping_word": "",
        "tokens_predicted": len(words),
        "timings": {"predicted_n": len(words)},
    }
    return sse(*body, final)


def cohere_v1(words: Sequence[str]) -> tuple[bytes, ...]:
    text = "".join(words)
    values: list[dict[str, Any]] = [
        {"is_finished": False, "event_type": "stream-start", "generation_id": "g1"}
    ]
    values += [{"is_finished": False, "event_type": "text-generation", "text": w} for w in words]
    values.append(
        {
            "is_finished": True,
            "event_type": "stream-end",
            "finish_reason": "COMPLETE",
            "response": {
                "response_id": "r1",
                "text": text,
                "generation_id": "g1",
                "chat_history": [],
                "finish_reason": "COMPLETE",
            },
        }
    )
    return ndjson(values)


def cohere_v2(words: Sequence[str]) -> tuple[bytes, ...]:
    values: list[dict[str, Any]] = [
        {
            "type": "message-start",
            "id": "m1",
            "delta": {
                "message": {
                    "role": "assistant",
                    "content": [],
                    "tool_plan": "",
                    "tool_calls": [],
                    "citations": [],
                }
            },
        },
        {
            "type": "content-start",
            "index": 0,
            "delta": {"message": {"content": {"type": "text", "text": ""}}},
        },
    ]
    values += [
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": w}}}}
        for w in words
    ]
    values += [
        {"type": "content-end", "index": 0},
        {
            "type": "message-end",
            "delta": {
                "finish_reason": "COMPLETE",
                "usage": {
                    "billed_units": {"input_tokens": 1, "output_tokens": 9},
                    "tokens": {"input_tokens": 1, "output_tokens": 9},
                },
            },
        },
    ]
    return named(values)


def ollama_chat(words: Sequence[str]) -> tuple[bytes, ...]:
    at = "2024-01-01T00:00:00Z"
    body = [
        {
            "model": "llama3",
            "created_at": at,
            "message": {"role": "assistant", "content": w},
            "done": False,
        }
        for w in words
    ]
    final = {
        "model": "llama3",
        "created_at": at,
        "message": {"role": "assistant", "content": ""},
        "done_reason": "stop",
        "done": True,
        "total_duration": 1,
        "eval_count": 9,
    }
    return ndjson([*body, final])


def ollama_generate(words: Sequence[str]) -> tuple[bytes, ...]:
    at = "2024-01-01T00:00:00Z"
    body = [{"model": "llama3", "created_at": at, "response": w, "done": False} for w in words]
    final = {
        "model": "llama3",
        "created_at": at,
        "response": "",
        "done": True,
        "done_reason": "stop",
        "context": [1, 2, 3],
        "eval_count": 9,
    }
    return ndjson([*body, final])


# -- Bedrock -------------------------------------------------------------------


def converse_stream(words: Sequence[str]) -> tuple[bytes, ...]:
    pad = "abcdefghij"
    frames = [event_frame("messageStart", {"role": "assistant", "p": pad})]
    frames += [
        event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": w}, "p": pad})
        for w in words
    ]
    frames += [
        event_frame("contentBlockStop", {"contentBlockIndex": 0, "p": pad}),
        event_frame("messageStop", {"stopReason": "end_turn", "p": pad}),
        event_frame(
            "metadata",
            {
                "usage": {"inputTokens": 1, "outputTokens": 9, "totalTokens": 10},
                "metrics": {"latencyMs": 5},
                "p": pad,
            },
        ),
    ]
    return tuple(frames)


def invoke_stream(words: Sequence[str]) -> tuple[bytes, ...]:
    """InvokeModelWithResponseStream of an Anthropic model: its events, base64 in ``bytes``."""
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": "m",
                "stop_reason": None,
                "usage": {"input_tokens": 1, "output_tokens": 1},
            },
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ]
    events += [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}}
        for w in words
    ]
    events += [
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 9},
        },
        {"type": "message_stop"},
    ]
    return tuple(
        event_frame("chunk", {"bytes": base64.b64encode(dumps(e)).decode(), "p": "abcd"})
        for e in events
    )
