"""What the answer's text and the prompt's text are, per API shape; where in
a prompt a finding came from."""

from __future__ import annotations

import json

import pytest

from extproc.signals import origin, text


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"choices": [{"message": {"role": "assistant", "content": "Hi"}}]}, {0: "Hi"}),
        (
            {"choices": [{"index": 0, "message": {"content": "A", "tool_calls": [
                {"function": {"name": "f", "arguments": "{\"x\": 1}"}}]}},
                {"index": 1, "message": {"content": "B"}}]},
            {0: "A", 1: "B"},
        ),
        ({"choices": [{"text": "legacy"}]}, {0: "legacy"}),
        ({"content": [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "Yes"},
                      {"type": "tool_use", "input": {"q": "x"}}]}, {0: "Yes"}),
        ({"candidates": [{"content": {"parts": [{"text": "plan", "thought": True},
                                                 {"text": "Done"}]}}]}, {0: "Done"}),
        ({"output": [{"type": "reasoning", "summary": [{"text": "why"}]},
                     {"type": "message", "content": [{"type": "output_text", "text": "OK"}]}]},
         {0: "OK"}),
        ({"message": {"role": "assistant", "content": "ollama"}}, {0: "ollama"}),
        ({"response": "generate"}, {0: "generate"}),
        ({"output": {"message": {"content": [{"text": "bedrock"}]}}}, {0: "bedrock"}),
        ({"generated_text": "tgi"}, {0: "tgi"}),
        ({"error": {"message": "nope"}}, {}),
    ],
)  # fmt: skip
def test_answer_text_per_api(answer: object, expected: dict[int, str]) -> None:
    assert text.answer_texts(answer) == expected


@pytest.mark.parametrize(
    ("path", "kind", "expected"),
    [
        (("choices", 0, "delta", "content"), None, True),
        (("choices", 0, "delta", "reasoning_content"), None, False),
        (("choices", 0, "delta", "tool_calls", 0, "function", "arguments"), None, False),
        (("delta", "text"), "content_block_delta", True),
        (("delta", "partial_json"), "content_block_delta", False),
        (("delta",), "response.output_text.delta", True),
        (("delta",), "response.reasoning_summary_text.delta", False),
        (("delta",), "response.function_call_arguments.delta", False),
        (("token", "text"), None, True),
        (("id",), None, False),
    ],
)
def test_streamed_fields(path: text.Path, kind: str | None, expected: bool) -> None:
    assert text.is_answer(path, kind) is expected


def test_prompt_text_leaves_out_tools_and_schemas() -> None:
    body = {
        "model": "m",
        "system": "Be brief.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}],
        "tools": [{"name": "search", "description": "Searches the web"}],
        "response_format": {"type": "json_schema", "json_schema": {"description": "x"}},
    }
    assert text.prompt_text(body) == "Be brief.\nHello"


def _at(body: str, needle: str) -> str:
    return origin.Origins(body).at(body.index(needle))


def test_origins_per_provider() -> None:
    openai = json.dumps(
        {
            "messages": [
                {"role": "system", "content": "SYS"},
                {"role": "user", "content": "USR"},
                {"role": "assistant", "content": "AST"},
                {"role": "tool", "content": "TOOL1"},
            ]
        }
    )
    assert [_at(openai, w) for w in ("SYS", "USR", "AST", "TOOL1")] == [
        origin.SYSTEM,
        origin.USER,
        origin.ASSISTANT,
        origin.TOOL,
    ]
    anthropic = json.dumps(
        {
            "system": "S",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "t",
                            "content": [{"type": "text", "text": "TR"}],
                        },
                        {"type": "document", "source": {"type": "text", "data": "DOC"}},
                        {"type": "text", "text": "ASK"},
                    ],
                }
            ],
        }
    )
    assert [_at(anthropic, w) for w in ("TR", "DOC", "ASK", '"S"')] == [
        origin.TOOL,
        origin.DOCUMENT,
        origin.USER,
        origin.SYSTEM,
    ]
    responses = json.dumps(
        {
            "instructions": "I",
            "input": [{"type": "function_call_output", "call_id": "c", "output": "OUT"}],
        }
    )
    assert _at(responses, "OUT") == origin.TOOL
    gemini = json.dumps(
        {
            "contents": [
                {
                    "role": "user",
                    "parts": [{"functionResponse": {"name": "f", "response": {"content": "FR"}}}],
                }
            ]
        }
    )
    assert _at(gemini, "FR") == origin.TOOL
    rag = json.dumps({"query": "Q", "documents": [{"text": "D1"}], "context": "CTX"})
    assert [_at(rag, w) for w in ("D1", "CTX", '"Q"')] == [
        origin.DOCUMENT,
        origin.DOCUMENT,
        origin.OTHER,
    ]
