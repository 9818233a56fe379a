"""The one rule for streamed JSON events, API by API: which strings are text
streams (keyed by kind, item and path, list items by their own index), which
are whole values, media or token lists; when a stream ends; and that repeats
of a whole stream carry the same redaction."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from extproc.rewrite import apis
from extproc.rewrite.fields import FieldStreams
from extproc.rewrite.leaves import Role, group_of, role_at, shape
from extproc.rewrite.textfield import synthetic
from tests.rewrite.rig import CARD_TEXT, KEY_TEXT, REDACTED, SPLIT, clean, streams


def run(fs: FieldStreams, events: Iterable[tuple[Any, str | None]]) -> list[Any]:
    """Every event as it leaves (ended fields' last text as extra events), then
    what is still held at the end of the body."""
    out: list[Any] = []
    for event, name in events:
        scanned = fs.event(copy.deepcopy(event), name)
        out += [synthetic(f, text) for f, text in scanned.before]
        out.append(scanned.root)
    out += [synthetic(f, text) for f, text in fs.flush(lambda _f: True)]
    return out


def texts(out: Sequence[Any], path: Sequence[str | int]) -> str:
    joined = []
    for event in out:
        node: Any = event
        for step in path:
            if isinstance(node, dict):
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and step < len(node):
                node = node[step]
            else:
                node = None
        joined.append(node if isinstance(node, str) else "")
    return "".join(joined)


# -- roles --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "name", "expected"),
    [
        (
            {"choices": [{"index": 0, "delta": {"content": "x", "role": "assistant"}}]},
            None,
            {
                ("choices", 0, "delta", "content"): Role.STREAM,
                ("choices", 0, "delta", "role"): Role.WHOLE,
            },
        ),
        (
            {"type": "response.created", "response": {"instructions": "x"}},
            None,
            {("type",): Role.WHOLE, ("response", "instructions"): Role.WHOLE},
        ),
        (
            {
                "candidates": [
                    {"content": {"parts": [{"functionCall": {"name": "f", "args": {"a": "x"}}}]}}
                ]
            },
            None,
            {
                ("candidates", 0, "content", "parts", 0, "functionCall", "name"): Role.WHOLE,
                ("candidates", 0, "content", "parts", 0, "functionCall", "args", "a"): Role.WHOLE,
            },
        ),
        (
            {
                "data": [{"b64_json": "QUJD"}],
                "inlineData": {"mimeType": "image/png", "data": "QUJD"},
            },
            None,
            {
                ("data", 0, "b64_json"): Role.MEDIA,
                ("inlineData", "data"): Role.MEDIA,
                ("inlineData", "mimeType"): Role.WHOLE,
            },
        ),
        (
            {"type": "response.audio.delta", "delta": "QUJD"},
            None,
            {("type",): Role.WHOLE, ("delta",): Role.MEDIA},
        ),
        (
            {"contentBlockIndex": 0, "delta": {"text": "x"}, "p": "abc"},
            "contentBlockDelta",
            {("delta", "text"): Role.STREAM, ("p",): Role.MEDIA},
        ),
    ],
)
def test_roles(
    event: dict[str, Any], name: str | None, expected: dict[tuple[Any, ...], Role]
) -> None:
    roles = {leaf.path: leaf.role for leaf in shape(event, name).leaves}
    assert roles == expected


def test_token_lists_are_one_role_and_their_alternatives_whole() -> None:
    event = {
        "choices": [
            {
                "index": 0,
                "logprobs": {
                    "content": [
                        {
                            "token": "a",
                            "bytes": [97],
                            "top_logprobs": [{"token": "b", "bytes": [98]}],
                        }
                    ]
                },
            }
        ]
    }
    leaves = shape(event, None).leaves
    assert [leaf.role for leaf in leaves] == [Role.TOKENS]
    assert leaves[0].path == ("choices", 0, "logprobs", "content")


@pytest.mark.parametrize(
    ("root", "group"),
    [
        ({"type": "content_block_delta", "index": 1}, (("index", 1),)),
        (
            {"item_id": "m", "output_index": 0, "content_index": 2, "sequence_number": 9},
            (("output_index", 0), ("content_index", 2), ("item_id", "m")),
        ),
        ({"index": 7, "token": {"text": "x"}}, ()),  # TGI numbers tokens, not items
        ({"contentBlockIndex": 3}, (("contentBlockIndex", 3),)),
    ],
)
def test_the_item_of_an_event(root: dict[str, Any], group: tuple[Any, ...]) -> None:
    assert group_of(root) == group


def test_role_of_a_string_read_piece_by_piece() -> None:
    assert role_at(("choices", 0, "delta", "content"), "chat.completion.chunk") is Role.STREAM
    assert (
        role_at(("response", "output", 0, "content", 0, "text"), "response.completed") is Role.WHOLE
    )
    assert role_at(("data", 0, "b64_json"), None) is Role.MEDIA
    assert role_at(("args", "x"), None) is Role.WHOLE


@pytest.mark.parametrize(
    ("kind", "word"),
    [
        ("response.output_text.done", "done"),
        ("contentBlockStop", "stop"),
        ("content-end", "end"),
        ("response.in_progress", "progress"),
        ("message_delta", "delta"),
    ],
)
def test_last_word_of_a_kind(kind: str, word: str) -> None:
    assert apis.last_word(kind) == word


# -- streams across events ------------------------------------------------------


def chat(text: str, index: int = 0, finish: str | None = None) -> dict[str, Any]:
    return {
        "object": "chat.completion.chunk",
        "choices": [{"index": index, "delta": {"content": text}, "finish_reason": finish}],
    }


def test_choices_are_keyed_by_their_own_index_even_interleaved() -> None:
    events = []
    for piece in SPLIT:
        events += [(chat(piece, 1), None), (chat("x ", 0), None)]
    out = run(streams(), events)
    assert clean(json.dumps(out))
    ones = "".join(c["delta"]["content"] for e in out for c in e["choices"] if c["index"] == 1)
    assert ones == REDACTED


def test_a_gemini_candidate_with_and_without_its_index_is_one_stream() -> None:
    def gem(text: str, with_index: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": [{"text": text}]}}
        if with_index:
            candidate["index"] = 0
        return {"candidates": [candidate]}

    out = run(streams(), [(gem(p, i % 2 == 0), None) for i, p in enumerate(SPLIT)])
    assert clean(json.dumps(out))
    assert texts(out, ("candidates", 0, "content", "parts", 0, "text")) == REDACTED


def test_nothing_held_in_one_content_block_surfaces_in_the_next() -> None:
    def delta(index: int, text: str) -> dict[str, Any]:
        return {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "text_delta", "text": text},
        }

    events = [(delta(0, p), "content_block_delta") for p in ["card ", "4111 ", "1111"]]
    events.append(({"type": "content_block_stop", "index": 0}, "content_block_stop"))
    events += [(delta(1, p), "content_block_delta") for p in ["second ", "block"]]
    out = run(streams(), events)
    zero = "".join(e["delta"]["text"] for e in out if e.get("index") == 0 and "delta" in e)
    one = "".join(e["delta"]["text"] for e in out if e.get("index") == 1 and "delta" in e)
    assert zero == "card 4111 1111" and one == "second block"
    stop = next(i for i, e in enumerate(out) if e["type"] == "content_block_stop")
    assert all(e.get("index") == 0 for e in out[:stop])


def test_responses_api_done_events_repeat_the_released_text() -> None:
    def delta(piece: str) -> dict[str, Any]:
        return {
            "type": "response.output_text.delta",
            "item_id": "m1",
            "output_index": 0,
            "content_index": 0,
            "delta": piece,
            "sequence_number": 1,
        }

    full = "".join(SPLIT)
    events = [(delta(p), None) for p in SPLIT]
    events.append(
        (
            {
                "type": "response.output_text.done",
                "item_id": "m1",
                "output_index": 0,
                "content_index": 0,
                "text": full,
            },
            None,
        )
    )
    events.append(
        (
            {
                "type": "response.completed",
                "response": {
                    "output": [{"id": "m1", "content": [{"type": "output_text", "text": full}]}]
                },
            },
            None,
        )
    )
    out = run(streams(), events)
    deltas = "".join(e["delta"] for e in out if e["type"] == "response.output_text.delta")
    done = next(e for e in out if e["type"] == "response.output_text.done")
    completed = out[-1]
    assert deltas == done["text"] == REDACTED
    assert completed["response"]["output"][0]["content"][0]["text"] == REDACTED
    # Held text left before the done event, in a delta of the same item.
    assert [e["type"] for e in out][-2:] == ["response.output_text.done", "response.completed"]


def test_tgi_token_counter_is_not_an_item_and_generated_text_repeats() -> None:
    full = "".join(SPLIT)
    events = [
        (
            {
                "index": i,
                "token": {"id": i, "text": p, "special": False},
                "generated_text": full if i == len(SPLIT) - 1 else None,
            },
            None,
        )
        for i, p in enumerate(SPLIT)
    ]
    out = run(streams(), events)
    assert clean(json.dumps(out))
    assert texts(out, ("token", "text")) == REDACTED
    assert out[-1]["generated_text"] == REDACTED
    assert len(out) == len(SPLIT)  # the last token's held text went into its own event


def test_tgi_alternatives_of_a_changed_token_keep_only_the_chosen_one() -> None:
    def event(i: int, text: str) -> dict[str, Any]:
        top = [
            {"id": 1, "text": text, "logprob": -0.1},
            {"id": 2, "text": text[:2], "logprob": -2.0},
        ]
        return {"index": i, "token": {"id": 1, "text": text}, "top_tokens": top}

    out = run(streams(), [(event(i, p), None) for i, p in enumerate(SPLIT)])
    assert clean(json.dumps(out))  # no alternative spells a piece of the key or card
    assert texts(out, ("token", "text")) == REDACTED


def test_a_tool_call_without_index_named_by_a_new_id_ends_the_last() -> None:
    def call(args: str, call_id: str | None = None) -> dict[str, Any]:
        item: dict[str, Any] = {"function": {"arguments": args}}
        if call_id:
            item["id"] = call_id
        return {"choices": [{"index": 0, "delta": {"tool_calls": [item]}}]}

    events = [
        (call('{"a": "', "c1"), None),
        (call("4111 1111"), None),
        (call(' 1111 1111"}'), None),
        (call('{"b": "x"}', "c2"), None),
    ]
    out = run(streams(), events)
    per_call: dict[str, str] = {}
    current = ""
    for e in out:
        for c in e["choices"][0]["delta"]["tool_calls"]:
            current = c.get("id") or current
            per_call[current] = per_call.get(current, "") + c["function"]["arguments"]
    assert per_call == {"c1": '{"a": "[CARD]"}', "c2": '{"b": "x"}'}


def test_a_gemini_thought_part_ends_before_the_answer_part() -> None:
    def part(text: str, thought: bool) -> dict[str, Any]:
        p: dict[str, Any] = {"text": text}
        if thought:
            p["thought"] = True
        return {"candidates": [{"content": {"parts": [p]}}]}

    out = run(streams(), [(part("thinking hard", True), None), (part("answer", False), None)])
    thought = [e for e in out if e["candidates"][0]["content"]["parts"][0].get("thought")]
    assert (
        "".join(t["candidates"][0]["content"]["parts"][0]["text"] for t in thought)
        == "thinking hard"
    )


def test_done_true_ends_streams_within_the_event() -> None:
    events = [
        ({"message": {"role": "assistant", "content": p}, "done": False}, None) for p in SPLIT
    ]
    events.append(({"message": {"role": "assistant", "content": " bye"}, "done": True}, None))
    out = run(streams(), events)
    assert len(out) == len(events)  # no extra event: the rest went into the last
    assert texts(out, ("message", "content")) == REDACTED + " bye"


def test_chat_logprobs_spell_the_same_redaction() -> None:
    def chunk(piece: str) -> dict[str, Any]:
        token = {
            "token": piece,
            "logprob": -1.0,
            "bytes": list(piece.encode()),
            "top_logprobs": [
                {"token": piece, "logprob": -1.0, "bytes": list(piece.encode())},
                {"token": piece[:2], "logprob": -2.0, "bytes": list(piece[:2].encode())},
            ],
        }
        return {
            "choices": [{"index": 0, "delta": {"content": piece}, "logprobs": {"content": [token]}}]
        }

    out = run(streams(), [(chunk(p), None) for p in SPLIT])
    assert clean(json.dumps(out))
    assert texts(out, ("choices", 0, "delta", "content")) == REDACTED
    tokens = [t for e in out for t in (e["choices"][0].get("logprobs") or {}).get("content") or []]
    assert "".join(t["token"] for t in tokens) == REDACTED
    for t in tokens:
        assert bytes(t["bytes"]) == t["token"].encode()
        assert all(bytes(a["bytes"]) == a["token"].encode() for a in t["top_logprobs"])


def test_legacy_completion_logprobs_and_their_parallel_alternatives() -> None:
    def chunk(piece: str) -> dict[str, Any]:
        logprobs = {
            "tokens": [piece],
            "token_logprobs": [-1.0],
            "top_logprobs": [{piece: -1.0}],
            "text_offset": [0],
        }
        return {
            "object": "text_completion",
            "choices": [{"index": 0, "text": piece, "logprobs": logprobs}],
        }

    out = run(streams(), [(chunk(p), None) for p in SPLIT])
    assert clean(json.dumps(out))
    assert texts(out, ("choices", 0, "text")) == REDACTED
    tokens = [t for e in out for t in e["choices"][0]["logprobs"]["tokens"]]
    assert "".join(tokens) == REDACTED


def test_a_json_string_event_is_one_stream() -> None:
    fs = streams()
    out = [fs.event(json.dumps(p) and p, "data").root for p in SPLIT]
    out += [text for _, text in fs.flush(lambda _f: True)]
    assert all(isinstance(o, str) for o in out)
    assert "".join(out) == REDACTED


def test_a_block_ends_everything() -> None:
    fs = streams()
    assert not fs.event(chat("fine "), None).changed
    fs.event(chat("BLOCK"), None)
    fs.event(chat("ME now"), None)
    assert fs.blocked
    assert fs.event(chat("more"), None).root == chat("more")


def test_the_dialect_of_a_stream_is_learned_from_its_first_event() -> None:
    for event, dialect in [
        ({"type": "message_start"}, "anthropic"),
        ({"candidates": []}, "gemini"),
        ({"model": "x", "created_at": "t", "done": False}, "ollama"),
        ({"token": {"text": "x"}}, "tgi"),
        (chat("x"), "openai"),
    ]:
        fs = streams()
        fs.event(event, None)
        assert fs.dialect == dialect


def test_identity_values_are_scanned_whole() -> None:
    event = {"id": CARD_TEXT, "object": "chat.completion.chunk", "choices": []}
    assert streams().event(event, None).root["id"] == "[CARD]"
    assert KEY_TEXT not in json.dumps(streams().event({"model": KEY_TEXT}, None).root)
