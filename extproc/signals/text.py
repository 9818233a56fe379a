"""What "the answer's text" and "the prompt's text" are, for every API shape.

The answer's text is what the model says to the user: a chat completion's
``choices[i].message.content`` (or ``delta.content``), a completion's
``choices[i].text``, the Responses API's ``output_text``, Anthropic's text
blocks (``content[].text``, ``delta.text``), Gemini's ``parts[].text``
(thought parts left out), Ollama's ``message.content`` and ``response``,
Cohere's and Bedrock's ``text``, TGI's ``token.text``. Not the answer's
text: tool calls and their arguments, reasoning and thinking, summaries,
ids, roles and metadata. Each choice (candidate) is one text.

The prompt's text is every string a user, a system or a tool put into the
request's messages (``content``, ``text``, ``prompt``, ``input``,
``instructions``, ``system``...), tool definitions and schemas left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Path = tuple[str | int, ...]

ANSWER_KEYS = frozenset(
    {"content", "text", "response", "generated_text", "output_text", "completion", "answer"}
)
# A stream event's own field holding the text (the Responses API's ``delta``).
DELTA_KINDS = ("output_text.delta", "refusal.delta", "text.delta")
NOT_ANSWER = frozenset(
    {
        "tool_calls", "function_call", "functionCall", "arguments", "partial_json",
        "input_json", "reasoning", "reasoning_content", "thinking", "thought", "summary",
        "tool_use", "toolUse", "args", "logprobs", "input", "metadata", "error", "usage",
        "citations", "annotations", "reasoning_text", "reasoning_summary",
    }
)  # fmt: skip
PROMPT_KEYS = frozenset(
    {"content", "text", "prompt", "input", "instructions", "system", "query", "question",
     "output", "result", "response", "document", "documents", "context", "data"}
)  # fmt: skip
NOT_PROMPT = frozenset(
    {"tools", "functions", "tool_choice", "response_format", "metadata", "schema",
     "json_schema", "parameters", "stop", "model", "id", "type", "role", "name",
     "image_url", "inlineData", "inline_data", "source", "audio"}
)  # fmt: skip


def choice_of(path: Path) -> int:
    """The choice (candidate) a path belongs to: the index after ``choices``
    or ``candidates``, else 0."""
    for i, step in enumerate(path[:-1]):
        index = path[i + 1]
        if step in ("choices", "candidates") and isinstance(index, int):
            return index
    return 0


def is_answer(path: Path, kind: str | None = None, thought: bool = False) -> bool:
    """Whether a string at ``path`` (in an answer or one of its events of
    ``kind``) is part of the answer's text."""
    if thought or not path:
        return False
    keys = [p for p in path if isinstance(p, str)]
    if any(k in NOT_ANSWER for k in keys):
        return False
    if kind and any(part in kind for part in ("reasoning", "summary", "function", "tool")):
        return False
    last = path[-1]
    if last == "delta" and kind is not None:
        return kind.endswith(DELTA_KINDS)
    return isinstance(last, str) and last in ANSWER_KEYS


def answer_texts(root: Any) -> dict[int, str]:
    """The answer's text per choice, from a whole (buffered) JSON answer."""
    out: dict[int, list[str]] = {}
    for path, value, thought in _strings(root, ()):
        if is_answer(path, None, thought):
            out.setdefault(choice_of(path), []).append(value)
    return {choice: "".join(parts) for choice, parts in out.items()}


def prompt_text(root: Any) -> str:
    """The prompt's text of a JSON request: its strings in order, one per line."""
    parts = []
    for path, value, _ in _strings(root, ()):
        keys = [p for p in path if isinstance(p, str)]
        if not keys or any(k in NOT_PROMPT for k in keys):
            continue
        if any(k in PROMPT_KEYS for k in keys) or keys[-1] in ("messages", "contents"):
            parts.append(value)
    return "\n".join(parts)


def _strings(node: Any, path: Path, thought: bool = False) -> Iterator[tuple[Path, str, bool]]:
    if isinstance(node, str):
        yield path, node, thought
    elif isinstance(node, dict):
        own = thought or node.get("thought") is True
        for key, value in node.items():
            yield from _strings(value, (*path, key), own)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, (*path, i), thought)
