"""What the JSON events of LLM APIs mean, as data.

``rewrite.fields`` applies one rule to every streamed JSON event: each string
leaf is a text stream keyed by its path (list items named by their own
``index``, else their position) and by the item the event is about (its
top-level identity fields). These tables say where that rule bends: which
strings name things (scanned whole), which are media (passed unscanned),
which events are lifecycle events (their strings are whole values, often a
repeat of what was streamed), which fields end an item's streams, and which
lists spell the answer token by token. Facts from the providers' published
wire formats; nothing here is specific to one request.
"""

from __future__ import annotations

import re

# Strings that name or label something: ids, roles, models, reasons, kinds.
# Scanned whole, on their own; never a text stream.
IDENTITY_KEYS = frozenset(
    {
        "id", "type", "event_type", "event", "object", "role", "name", "index", "model",
        "modelVersion", "model_version", "system_fingerprint", "service_tier", "status",
        "finish_reason", "finishReason", "stop_reason", "stopReason", "done_reason",
        "completionReason", "stop_type", "stopping_word", "stop_sequence", "created_at",
        "createdAt", "created", "mime_type", "mimeType", "media_type", "format", "category",
        "probability", "severity", "language", "tool_choice", "object_type", "voice",
    }
)  # fmt: skip
IDENTITY_SUFFIXES = ("_id", "Id", "_ids", "Ids")

# Opaque values: base64 media, signatures, encrypted reasoning, Bedrock's
# length padding. Neither decoded, scanned nor rewritten.
MEDIA_KEYS = frozenset(
    {
        "b64_json", "partial_image_b64", "encrypted_content", "signature", "thoughtSignature",
        "thought_signature", "redacted_thinking", "p", "audio_b64", "image_b64", "embedding",
    }
)  # fmt: skip
# (parent key, key): the media part of an object (Gemini's ``inlineData.data``,
# Chat Completions' ``delta.audio.data``, Anthropic's ``source.data``).
MEDIA_PAIRS = frozenset(
    {
        ("inlineData", "data"), ("inline_data", "data"), ("audio", "data"),
        ("source", "data"), ("image", "data"), ("blob", "data"), ("input_audio", "data"),
    }
)  # fmt: skip
# Event kinds whose strings are all media (OpenAI's audio deltas).
MEDIA_KINDS = frozenset(
    {"response.audio.delta", "response.output_audio.delta", "output_audio.delta"}
)

# Objects whose strings are structured data sent whole in one event (a
# function call's ``args`` object, citations, usage): scanned whole.
WHOLE_CONTAINERS = frozenset(
    {
        "args", "arguments", "input", "parameters", "metadata", "usage", "usageMetadata",
        "usage_metadata", "safetyRatings", "safety_ratings", "citationMetadata", "citations",
        "groundingMetadata", "grounding_metadata", "annotations", "generation_settings",
        "timings", "tools", "search_queries", "search_results", "documents",
        "response_format", "promptFeedback", "amazon-bedrock-invocationMetrics", "metrics",
    }
)  # fmt: skip

# Top-level fields naming the item an event is about: its text streams are
# that item's own (Anthropic's content block ``index``, the Responses API's
# ``item_id``/``output_index``/``content_index``, Bedrock's ``contentBlockIndex``).
ITEM_KEYS = (
    "index", "output_index", "content_index", "item_id", "summary_index", "contentBlockIndex",
    "candidate_index", "candidateIndex", "part_index",
)  # fmt: skip
# (field, sibling): the field counts events, not items, where the sibling is
# present (None: always). TGI numbers its tokens ``index`` next to ``token``.
COUNTERS = (("sequence_number", None), ("index", "token"))

# A list item's fields that, when they change at the same stream key, start a
# new item: (field, value when absent; None: absence says nothing). A tool call
# without ``index`` names its new ``id``; Gemini marks ``thought`` parts.
DISCRIMINATORS = (("id", None), ("thought", False))

# Fields that say: this is the last event of the enclosing list item (a
# choice, a candidate) or, at the event's top level, of every stream.
FINAL_FIELDS: dict[str, object] = {
    "finish_reason": "truthy", "finishReason": "truthy", "stop_reason": "truthy",
    "stopReason": "truthy", "completionReason": "truthy", "done": True, "stop": True,
    "is_finished": True, "generated_text": "string",
}  # fmt: skip

# Fields naming an event's kind (after the framing's own event name).
KIND_KEYS = ("type", "event_type")
# The last word of a kind that makes an event a lifecycle event: its strings
# are whole values (``response.created``, ``content_block_start``,
# ``response.output_text.done``...), not pieces of a stream.
LIFECYCLE_WORDS = frozenset(
    {
        "start", "started", "stop", "end", "done", "completed", "created", "added",
        "progress", "failed", "incomplete", "queued", "metadata", "error", "ping",
        "cancelled", "searching", "generating", "interpreting",
    }
)  # fmt: skip
# Of those, the words that also end the streams of the item the event names
# (every stream when it names none): ``content_block_stop``, ``messageStop``,
# ``content-end``, ``response.output_text.done``, ``response.completed``.
ENDING_WORDS = frozenset({"stop", "end", "done", "completed", "failed", "incomplete", "cancelled"})

# Lists that spell the answer token by token (log probabilities): a list of
# objects with a string ``token``, or of strings under ``tokens``. Their text
# is redacted like the answer's, ``bytes`` follow the token.
TOKEN_KEY = "token"
TOKEN_STRINGS = "tokens"
TOKEN_BYTES = "bytes"
# Alternatives to each chosen token, beside it or in a parallel list (legacy
# completions): collapsed to the chosen token where that token changed.
ALTERNATIVE_KEYS = frozenset({"top_logprobs", "top_tokens"})

_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def last_word(kind: str) -> str:
    """``response.output_text.done`` -> ``done``; ``contentBlockStop`` -> ``stop``."""
    words = _WORDS.findall(kind)
    return words[-1].lower() if words else ""


def is_identity(key: object) -> bool:
    return isinstance(key, str) and (key in IDENTITY_KEYS or key.endswith(IDENTITY_SUFFIXES))


def is_final(key: str, value: object) -> bool:
    """Whether ``key: value`` marks the last event of its scope."""
    want = FINAL_FIELDS.get(key)
    if want is None:
        return False
    if want == "truthy":
        return bool(value)
    if want == "string":
        return isinstance(value, str)
    return value is want


ANTHROPIC_KINDS = frozenset(
    {
        "message_start", "content_block_start", "content_block_delta", "message_delta",
        "content_block_stop", "message_stop", "ping",
    }
)  # fmt: skip

# Which provider's error shape a stream speaks, from its first JSON event:
# (dialect, top-level key that must be present, kinds it uses or None).
DIALECTS: tuple[tuple[str, str, frozenset[str] | None], ...] = (
    ("anthropic", "type", ANTHROPIC_KINDS),
    ("gemini", "candidates", None),
    ("gemini", "usageMetadata", None),
    ("ollama", "created_at", None),
    ("tgi", "token", None),
)
