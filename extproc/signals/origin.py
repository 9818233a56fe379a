"""Which part of a prompt a finding came from: a user's message, the system
prompt, a tool's result, a retrieved document... (indirect injection).

An injection phrase in a tool result or a retrieved document was not typed
by the user: it arrived with data the model is about to read, which is the
attack the OWASP guidance calls indirect prompt injection. The decision log
names the part (``ORIGINS``, a bounded set of labels, never content).

The labels come from the JSON around a finding, read at the raw position
of the string that holds it: the innermost object that says what it is
wins. An object with ``role: tool`` or ``function`` (OpenAI, Gemini's
``function`` turns), ``type: tool_result`` (Anthropic),
``function_call_output`` (the Responses API), a ``functionResponse``
(Gemini) or ``toolResult`` (Bedrock) part is a tool result; ``documents``,
``context``, ``search_results`` and their kin, and ``type: document`` or
``search_result`` blocks, are documents; a message's ``role`` says the
rest. This runs only for bodies where a signal was found: clean bodies
never pay for it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

USER = "user message"
SYSTEM = "system prompt"
ASSISTANT = "assistant message"
TOOL = "tool result"
DOCUMENT = "document"
OTHER = "request"
ORIGINS = (USER, SYSTEM, ASSISTANT, TOOL, DOCUMENT, OTHER)

_ROLES = {
    "user": USER,
    "human": USER,
    "system": SYSTEM,
    "developer": SYSTEM,
    "assistant": ASSISTANT,
    "model": ASSISTANT,
    "ai": ASSISTANT,
    "chatbot": ASSISTANT,
    "tool": TOOL,
    "function": TOOL,
    "ipython": TOOL,
}
_TYPES = {
    "tool_result": TOOL,
    "function_call_output": TOOL,
    "tool_call_output": TOOL,
    "computer_call_output": TOOL,
    "mcp_tool_result": TOOL,
    "function_result": TOOL,
    "document": DOCUMENT,
    "search_result": DOCUMENT,
    "web_search_result": DOCUMENT,
}
# Keys whose value, whatever it holds, is a tool's output or retrieved text.
_KEYS = {
    "functionResponse": TOOL,
    "function_response": TOOL,
    "toolResult": TOOL,
    "tool_result": TOOL,
    "tool_results": TOOL,
    "documents": DOCUMENT,
    "document": DOCUMENT,
    "context": DOCUMENT,
    "contexts": DOCUMENT,
    "retrieved": DOCUMENT,
    "retrieved_documents": DOCUMENT,
    "sources": DOCUMENT,
    "search_results": DOCUMENT,
    "chunks": DOCUMENT,
    "passages": DOCUMENT,
    "grounding": DOCUMENT,
}
# Keys whose string value names the role/kind of its object; "system" as a key
# (Anthropic's top-level system prompt, Ollama's) labels its value.
_SYSTEM_KEYS = frozenset({"system", "instructions", "system_instruction", "systemInstruction"})

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.S)


@dataclass(frozen=True, slots=True)
class Region:
    start: int
    end: int
    label: str
    depth: int


def regions(body: str) -> list[Region]:
    """Labelled spans of a JSON body (raw offsets), from one token walk."""
    out: list[Region] = []
    # Frames: [kind, start, key, label, depth]
    stack: list[list[Any]] = []
    key: str | None = None
    expecting_key = False
    for m in _TOKEN.finditer(body):
        token = m.group()
        if token in "{[":
            label = _KEYS.get(key or "") if stack and stack[-1][0] == "{" else None
            if label is None and key in _SYSTEM_KEYS:
                label = SYSTEM
            stack.append([token, m.start(), key, label, len(stack)])
            expecting_key = token == "{"
            key = None
        elif token in "}]":
            if not stack:
                break
            _, start, _, label, depth = stack.pop()
            if label is not None:
                out.append(Region(int(str(start)), m.end(), str(label), int(str(depth))))
            expecting_key = False
        elif token == ",":
            expecting_key = bool(stack) and stack[-1][0] == "{"
        elif token == ":":
            expecting_key = False
        elif token.startswith('"'):
            value = token[1:-1]
            if expecting_key:
                key = value
                continue
            frame = stack[-1] if stack else None
            if frame is not None and frame[0] == "{" and frame[3] is None:
                if key == "role" and value.lower() in _ROLES:
                    frame[3] = _ROLES[value.lower()]
                elif key == "type" and value in _TYPES:
                    frame[3] = _TYPES[value]
            label = _KEYS.get(key or "") or (SYSTEM if key in _SYSTEM_KEYS else None)
            if label is not None and frame is not None and frame[0] == "{":
                out.append(Region(m.start(), m.end(), label, len(stack)))
    return out


def label_at(spans: list[Region], position: int) -> str:
    """The label of the innermost labelled span holding ``position``."""
    best: Region | None = None
    for region in spans:
        if region.start <= position < region.end and (best is None or region.depth > best.depth):
            best = region
    return best.label if best is not None else OTHER


class Origins:
    """Labels for raw positions of one body (regions computed once)."""

    def __init__(self, body: str) -> None:
        self._spans = sorted(regions(body), key=lambda r: r.start)
        self._starts = [r.start for r in self._spans]

    def at(self, position: int) -> str:
        upto = bisect_right(self._starts, position)
        return label_at(self._spans[:upto], position)
