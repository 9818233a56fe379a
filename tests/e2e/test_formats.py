"""Every API's streamed answer through the real Envoy with the bundled config:
a secret and a card number, each split over several events (and the bytes cut
again at random over TCP writes), reach the client redacted, reassembled by
the provider's own client where one installs from PyPI; every event stays
well-formed (valid JSON, valid AWS frames with correct CRCs), and no fragment
of either value is in the bytes the client received."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest

from harness.scripted import Answer, Request, ScriptedUpstream
from harness.stack import Stack
from tests.e2e import wire
from tests.e2e.conftest import DATA, StackFor, assert_processor_healthy
from tests.e2e.wire import FRAGMENTS, REDACTED, WORDS

POLICY = DATA / "example.yaml"
SSE = "text/event-stream"
NDJSON = "application/x-ndjson"
EVENTSTREAM = "application/vnd.amazon.eventstream"
ARGS = ['{"key": "', *wire.AWS_PARTS, '", "card": "', *wire.CARD_PARTS, '"}']
ARGS_REDACTED = {"key": "[REDACTED:secret/aws_access_key]", "card": "[REDACTED:pii/credit_card]"}


@pytest.fixture(scope="module")
def stack(stack_for: StackFor) -> Stack:
    return stack_for(policy=POLICY, upstream=ScriptedUpstream())


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    return sum(map(ord, request.node.name)) % 1000


def serve(stack: Stack, pieces: Sequence[bytes], content_type: str, seed: int) -> None:
    """The upstream answers the next requests with ``pieces``, re-cut at random."""
    chunks = wire.rechunk(pieces, seed)
    headers = (("content-type", content_type),)

    def answer(_r: Request) -> Answer:
        return Answer(chunks, headers=headers, delays=(0.002,))

    stack.upstream.answer = answer


def raw(stack: Stack, path: str = "/v1/chat/completions") -> bytes:
    """The answer's bytes as the client receives them."""
    with httpx.stream("POST", stack.url + path, json={"stream": True}, timeout=20) as r:
        assert r.status_code == 200
        return b"".join(r.iter_raw())


def assert_clean(data: bytes) -> None:
    for fragment in FRAGMENTS:
        assert fragment.encode() not in data, fragment


def sse_data(data: bytes) -> list[Any]:
    """Every SSE event's data, parsed: each must be valid JSON (or [DONE])."""
    out = []
    for block in data.decode().replace("\r\n", "\n").split("\n\n"):
        lines = [
            line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")
        ]
        if lines and lines != ["[DONE]"]:
            out.append(json.loads("\n".join(lines)))
    return out


def ndjson_lines(data: bytes) -> list[Any]:
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


# -- OpenAI ------------------------------------------------------------------


@pytest.fixture(scope="module")
def openai_client(stack: Stack) -> Iterator[Any]:
    from openai import OpenAI

    client = OpenAI(base_url=stack.url + "/v1", api_key="test", max_retries=0, timeout=20)
    yield client
    client.close()


def test_legacy_completions(stack: Stack, openai_client: Any, seed: int) -> None:
    serve(stack, wire.completions(WORDS), SSE, seed)
    stream = openai_client.completions.create(model="m", prompt="hi", stream=True)
    assert "".join(c.choices[0].text for c in stream if c.choices) == REDACTED
    data = raw(stack, "/v1/completions")
    assert_clean(data)
    assert all(e["object"] == "text_completion" for e in sse_data(data))


def test_chat_logprobs_spell_the_redacted_answer(
    stack: Stack, openai_client: Any, seed: int
) -> None:
    serve(stack, wire.chat_logprobs(WORDS), SSE, seed)
    stream = openai_client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True, logprobs=True
    )
    content, tokens = [], []
    for chunk in stream:
        for choice in chunk.choices:
            content.append(choice.delta.content or "")
            for token in (choice.logprobs.content or []) if choice.logprobs else []:
                tokens.append(token.token)
                assert bytes(token.bytes or []) == token.token.encode()
                for alternative in token.top_logprobs:
                    assert bytes(alternative.bytes or []) == alternative.token.encode()
    assert "".join(content) == REDACTED
    assert "".join(tokens) == REDACTED
    assert_clean(raw(stack))


def test_tool_call_without_index(stack: Stack, openai_client: Any, seed: int) -> None:
    serve(stack, wire.tool_calls_without_index(ARGS), SSE, seed)
    stream = openai_client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    # A client for such servers appends arguments to the call last named by id.
    calls: dict[str, str] = {}
    current = ""
    for chunk in stream:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                current = call.id or current
                calls[current] = calls.get(current, "") + (call.function.arguments or "")
    assert list(calls) == ["call_1"]
    assert json.loads(calls["call_1"]) == ARGS_REDACTED
    assert_clean(raw(stack))


def test_responses_api_items_are_their_own(stack: Stack, openai_client: Any, seed: int) -> None:
    serve(stack, wire.responses(WORDS, ARGS), SSE, seed)
    stream = openai_client.responses.create(model="m", input="hi", stream=True)
    deltas: dict[str, list[str]] = {}
    done: dict[str, str] = {}
    order: list[str] = []
    completed: Any = None
    for event in stream:
        order.append(event.type)
        assert completed is None, "nothing after response.completed"
        if event.type in ("response.output_text.delta", "response.function_call_arguments.delta"):
            deltas.setdefault(event.item_id, []).append(event.delta)
        elif event.type == "response.output_text.done":
            done[event.item_id] = event.text
        elif event.type == "response.function_call_arguments.done":
            done[event.item_id] = event.arguments
        elif event.type == "response.completed":
            completed = event.response
    assert "".join(deltas["msg_1"]) == REDACTED
    assert json.loads("".join(deltas["fc_1"])) == ARGS_REDACTED
    # The repeats carry the same redaction as the deltas.
    assert done == {item: "".join(pieces) for item, pieces in deltas.items()}
    assert completed.output[0].content[0].text == REDACTED
    assert completed.output[1].arguments == done["fc_1"]
    # Each item's text arrived before its own end, and before the next item.
    last_text = max(i for i, t in enumerate(order) if t == "response.output_text.delta")
    assert last_text < order.index("response.output_text.done")
    first_args = order.index("response.function_call_arguments.delta")
    assert order.index("response.output_item.done") < first_args
    assert order[-1] == "response.completed"
    assert_clean(raw(stack, "/v1/responses"))


def test_anthropic_messages(stack: Stack, seed: int) -> None:
    import anthropic

    from extproc.demo.model import anthropic_sse

    serve(stack, anthropic_sse(WORDS), SSE, seed)
    client = anthropic.Anthropic(base_url=stack.url, api_key="test", max_retries=0)
    with client.messages.stream(
        model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        assert "".join(stream.text_stream) == REDACTED
    assert_clean(raw(stack, "/v1/messages"))


# -- Google --------------------------------------------------------------------


def test_gemini_sse(stack: Stack, seed: int) -> None:
    from google import genai
    from google.genai import types

    serve(stack, wire.gemini_sse(WORDS), SSE, seed)
    client = genai.Client(
        api_key="test", http_options=types.HttpOptions(base_url=stack.url, api_version="v1beta")
    )
    text = "".join(
        c.text or "" for c in client.models.generate_content_stream(model="gemini-x", contents="hi")
    )
    assert text == REDACTED
    assert_clean(raw(stack, "/v1beta/models/gemini-x:streamGenerateContent?alt=sse"))


def test_gemini_json_array_stream(stack: Stack, seed: int) -> None:
    # Without alt=sse the stream is one JSON array, sent element by element.
    serve(stack, wire.gemini_array(WORDS), "application/json; charset=UTF-8", seed)
    data = raw(stack, "/v1beta/models/gemini-x:streamGenerateContent")
    assert_clean(data)
    chunks = json.loads(data)  # the whole body is still one valid JSON array
    text = "".join(p["text"] for c in chunks for p in c["candidates"][0]["content"]["parts"])
    assert text == REDACTED


# -- Hugging Face TGI, llama.cpp -------------------------------------------------


def test_tgi_native(stack: Stack, seed: int) -> None:
    from huggingface_hub import InferenceClient

    serve(stack, wire.tgi(WORDS), SSE, seed)
    client = InferenceClient(model=stack.url + "/generate_stream", timeout=20)
    outputs = list(client.text_generation("hi", stream=True, details=True))
    assert "".join(o.token.text for o in outputs) == REDACTED
    assert outputs[-1].generated_text == REDACTED
    assert_clean(raw(stack, "/generate_stream"))


def test_llamacpp_native(stack: Stack, seed: int) -> None:
    # No PyPI client: joined the way llama.cpp's own web UI does, "content" by "content".
    serve(stack, wire.llamacpp(WORDS), SSE, seed)
    data = raw(stack, "/completion")
    assert_clean(data)
    events = sse_data(data)
    assert "".join(e["content"] for e in events) == REDACTED
    assert events[-1]["stop"] is True


# -- Cohere ----------------------------------------------------------------------


def test_cohere_v1(stack: Stack, seed: int) -> None:
    import cohere

    serve(stack, wire.cohere_v1(WORDS), "application/stream+json", seed)
    client = cohere.Client(api_key="test", base_url=stack.url, timeout=20)
    events = list(client.chat_stream(message="hi"))
    text = "".join(e.text for e in events if e.event_type == "text-generation")
    assert text == REDACTED
    assert events[-1].response.text == REDACTED  # the repeat carries the same redaction
    assert_clean(raw(stack, "/v1/chat"))


def test_cohere_v2(stack: Stack, seed: int) -> None:
    import cohere

    serve(stack, wire.cohere_v2(WORDS), SSE, seed)
    client = cohere.ClientV2(api_key="test", base_url=stack.url, timeout=20)
    text = "".join(
        e.delta.message.content.text
        for e in client.chat_stream(model="m", messages=[{"role": "user", "content": "hi"}])
        if e.type == "content-delta"
    )
    assert text == REDACTED
    assert_clean(raw(stack, "/v2/chat"))


# -- Ollama ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "call"),
    [
        (
            wire.ollama_chat,
            lambda c: (
                p.message.content
                for p in c.chat(
                    model="llama3", messages=[{"role": "user", "content": "hi"}], stream=True
                )
            ),
        ),
        (
            wire.ollama_generate,
            lambda c: (p.response for p in c.generate(model="llama3", prompt="hi", stream=True)),
        ),
    ],
    ids=["chat", "generate"],
)
def test_ollama(
    stack: Stack,
    seed: int,
    build: Callable[[Sequence[str]], tuple[bytes, ...]],
    call: Callable[[Any], Iterator[str]],
) -> None:
    import ollama

    serve(stack, build(WORDS), NDJSON, seed)
    assert "".join(call(ollama.Client(host=stack.url, timeout=20))) == REDACTED
    data = raw(stack, "/api/chat")
    assert_clean(data)
    assert ndjson_lines(data)[-1]["done"] is True


# -- AWS Bedrock --------------------------------------------------------------------


@pytest.fixture(scope="module")
def bedrock(stack: Stack) -> Any:
    import botocore.session

    session = botocore.session.get_session()
    return session.create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=stack.url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def frames(data: bytes) -> list[Any]:
    """Every frame, parsed by botocore (lengths and CRCs checked)."""
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def test_bedrock_converse_stream(stack: Stack, bedrock: Any, seed: int) -> None:
    serve(stack, wire.converse_stream(WORDS), EVENTSTREAM, seed)
    reply = bedrock.converse_stream(
        modelId="m", messages=[{"role": "user", "content": [{"text": "hi"}]}]
    )
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in reply["stream"] if "contentBlockDelta" in e
    )
    assert text == REDACTED
    data = raw(stack, "/model/m/converse-stream")
    assert_clean(data)
    assert len(frames(data)) >= len(WORDS)


def test_bedrock_invoke_with_response_stream(stack: Stack, bedrock: Any, seed: int) -> None:
    serve(stack, wire.invoke_stream(WORDS), EVENTSTREAM, seed)
    reply = bedrock.invoke_model_with_response_stream(modelId="m", body=b"{}")
    text = ""
    for event in reply["body"]:
        inner = json.loads(event["chunk"]["bytes"])  # botocore decoded the base64
        if inner["type"] == "content_block_delta":
            text += inner["delta"]["text"]
    assert text == REDACTED
    data = raw(stack, "/model/m/invoke-with-response-stream")
    decoded = b"".join(base64.b64decode(json.loads(f.payload)["bytes"]) for f in frames(data))
    assert_clean(decoded)


def test_no_processor_errors(stack: Stack) -> None:
    assert_processor_healthy(stack)
