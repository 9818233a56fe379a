"""Shared by the end-to-end tests: every test here is marked ``e2e``; the
``stack_for`` fixture starts real stacks (Envoy, server, upstream) for a
module; the helpers build and send what a client sends."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from extproc.demo.model import Reply, openai_json
from harness.stack import Stack, envoy_stat, running_stack

HERE = Path(__file__).parent
DATA = HERE / "data"
CHAT_PATH = "/v1/chat/completions"

StackFor = Callable[..., Stack]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def stack_for(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackFor]:
    """``stack_for(policy=..., **options)`` starts a stack (``running_stack``'s
    options); every stack the module started stops after its last test."""
    with ExitStack() as stacks:

        def start(**options: Any) -> Stack:
            workdir = tmp_path_factory.mktemp("stack")
            return stacks.enter_context(running_stack(workdir, **options))

        yield start


def chat(*contents: str, stream: bool | None = None) -> dict[str, object]:
    """A chat completion request: user and assistant turns, alternating."""
    roles = ("user", "assistant")
    messages = [{"role": roles[i % 2], "content": c} for i, c in enumerate(contents)]
    body: dict[str, object] = {"model": "demo", "messages": messages}
    if stream is not None:
        body["stream"] = stream
    return body


def post(
    stack: Stack,
    body: dict[str, object],
    path: str = CHAT_PATH,
    timeout: float = 10,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return httpx.post(f"{stack.url}{path}", json=body, headers=headers, timeout=timeout)


def sent_json(stack: Stack) -> Any:
    """The last request body the upstream received, parsed (it must be valid JSON)."""
    return json.loads(stack.upstream.received[-1].body)


def answer_json(stack: Stack, text: str) -> None:
    """The upstream answers the next requests with an OpenAI chat completion of ``text``."""
    body = openai_json(text)
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "application/json"),), chunks=(body,)
    )


def assert_processor_healthy(stack: Stack) -> None:
    """No ext_proc stream failed or timed out in this stack's Envoy."""
    assert envoy_stat(stack.admin, "http.llm.ext_proc.streams_failed") == 0
    assert envoy_stat(stack.admin, "http.llm.ext_proc.message_timeouts") == 0
