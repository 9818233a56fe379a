"""Reversible pseudonymisation through the real Envoy: the model never sees
the value; the client gets it back where the answer repeats the placeholder."""

from __future__ import annotations

import httpx
import pytest

from extproc.demo.model import Received, Reply, openai_json, openai_sse
from harness.stack import Stack
from tests.e2e.conftest import CHAT_PATH, DATA, StackFor, chat, post, sent_json
from tests.e2e.test_streaming import data_events, openai_text
from tests.values import EMAIL
from tests.values import OTHER_EMAIL as OTHER


@pytest.fixture(scope="module")
def stack(stack_for: StackFor) -> Stack:
    return stack_for(policy=DATA / "pseudonymize.yaml")


def placeholder_sent(stack: Stack) -> str:
    text = sent_json(stack)["messages"][-1]["content"]
    assert EMAIL not in stack.upstream.received[-1].body.decode()
    start = text.index("<EMAIL_")
    return text[start : text.index(">", start) + 1]


def test_buffered_answer_gets_the_original_back(stack: Stack) -> None:
    stack.upstream.script = None  # the demo model echoes what it received
    r = post(stack, chat(f"write to {EMAIL} today"))
    assert r.status_code == 200, stack.logs()
    assert placeholder_sent(stack) == "<EMAIL_1>"
    content = r.json()["choices"][0]["message"]["content"]
    assert content == f"You said: write to {EMAIL} today"
    assert int(r.headers["content-length"]) == len(r.content)


def test_multi_turn_same_value_same_placeholder(stack: Stack) -> None:
    stack.upstream.script = None
    body = chat(f"mail {EMAIL}", "Noted.", f"and {OTHER}, then {EMAIL} again")
    r = post(stack, body)
    assert r.status_code == 200, stack.logs()
    sent = sent_json(stack)["messages"]
    assert sent[0]["content"] == "mail <EMAIL_1>"
    assert sent[2]["content"] == "and <EMAIL_2>, then <EMAIL_1> again"
    assert r.json()["choices"][0]["message"]["content"] == (
        f"You said: and {OTHER}, then {EMAIL} again"
    )


def test_invented_placeholder_and_new_values(stack: Stack) -> None:
    leaked = "eve.hacker@" + "example.org"

    def answer(received: Received) -> Reply:
        text = f"Sent to <EMAIL_1>, cc <EMAIL_7>, bcc {leaked}."
        return Reply(headers=(("content-type", "application/json"),), chunks=(openai_json(text),))

    stack.upstream.script = answer
    r = post(stack, chat(f"to {EMAIL}"))
    content = r.json()["choices"][0]["message"]["content"]
    # issued placeholder restored; invented one left; the model's own email redacted
    assert content == f"Sent to {EMAIL}, cc <EMAIL_7>, bcc [REDACTED:pii/email]."


def test_stream_with_placeholder_split_over_events(stack: Stack) -> None:
    words = ["Sure, ", "I ", "will ", "write ", "to ", "<EM", "AIL", "_1", "> ", "now."]
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "text/event-stream"),),
        chunks=openai_sse(words),
        chunk_delay=0.005,
    )
    with httpx.stream(
        "POST", f"{stack.url}{CHAT_PATH}", json=chat(f"hi {EMAIL}", stream=True)
    ) as r:
        raw = r.read()
    assert r.status_code == 200, stack.logs()
    assert placeholder_sent(stack) == "<EMAIL_1>"
    assert openai_text(raw) == f"Sure, I will write to {EMAIL} now."
    assert data_events(raw)[-1] == "[DONE]"
