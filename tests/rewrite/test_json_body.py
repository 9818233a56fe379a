"""JSON bodies: decoded strings scanned, only changed tokens re-encoded."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extproc.detect.finding import Finding
from extproc.rewrite import json_body, pieces
from extproc.rewrite.jsontokens import READING
from extproc.rewrite.pieces import Share

EMAIL = re.compile(r"[a-z.]+@[a-z]+\.[a-z]+")


def findings(text: str) -> list[tuple[Finding, str]]:
    return [(Finding("pii/email", m.start(), m.end(), 0.9), "x") for m in EMAIL.finditer(text)]


def redact_all(view: json_body.JsonView) -> str:
    """Each finding's first share becomes ``[E]``, its other shares empty."""
    edits: dict[int, list[pieces.Edit]] = {}
    for shares, _ in view.locate(findings(view.joined)):
        for n, share in enumerate(shares):
            edits.setdefault(share.piece, []).append((share.start, share.end, "" if n else "[E]"))
    segments = view.segments
    new = {i: pieces.splice(view.content(segments[i]), sorted(e)) for i, e in edits.items()}
    new = json_body.unique_keys(view, new)
    by_segment = {segments[i]: text for i, text in new.items()}
    return json_body.rewrite(view, by_segment.get)


def test_not_json() -> None:
    assert json_body.parse("hello") is None
    assert json_body.parse('{"a": ') is None
    # Too deep for the parser: a defined answer (scan as text), not a crash.
    assert json_body.parse("[" * 5000 + "]" * 5000) is None


def test_escapes_hide_nothing() -> None:
    body = '{"messages": [{"content": "write to jane\\u0040example.com\\nthanks"}]}'
    view = json_body.parse(body)
    assert view is not None
    assert "jane@example.com" in view.joined
    out = redact_all(view)
    assert json.loads(out) == {"messages": [{"content": "write to [E]\nthanks"}]}


def test_keys_are_values_too() -> None:
    body = '{"jane@example.com": "ok", "to": "bob@example.org"}'
    view = json_body.parse(body)
    assert view is not None
    out = redact_all(view)
    assert json.loads(out) == {"[E]": "ok", "to": "[E]"}


def test_untouched_bytes_stay() -> None:
    body = '{ "a" :  "x",\n  "b": [1, 2.5e3, true, null],  "c": "mail a@b.co now" }'
    view = json_body.parse(body)
    assert view is not None
    out = redact_all(view)
    assert out == body.replace('"mail a@b.co now"', '"mail [E] now"')


def test_long_numbers_are_scanned() -> None:
    view = json_body.parse('{"card": 4111111111111111, "n": 12}')
    assert view is not None
    assert "4111111111111111" in view.joined
    seg = next(s for s in view.segments if s.kind is json_body.Kind.NUMBER)
    assert view.content(seg) == "4111111111111111"


def test_a_finding_across_strings_belongs_to_the_one_holding_most_of_it() -> None:
    view = json_body.parse('["abc", "def"]')
    assert view is not None
    located = view.locate([(Finding("x", 1, len(view.joined), 0.5), None)])
    assert [shares for shares, _ in located] == [[Share(1, 0, 3)]]
    located = view.locate([(Finding("x", 0, 5, 0.5), None)])
    assert [shares for shares, _ in located] == [[Share(0, 0, 3)]]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(doc=st.dictionaries(st.text(max_size=8), json_values, max_size=5), mail=st.booleans())
def test_rewrite_keeps_json_valid(doc: dict[str, object], mail: bool) -> None:
    if mail:
        doc["zz"] = "contact jane.doe@example.com please"
    body = json.dumps(doc, ensure_ascii=bool(len(doc) % 2))
    view = json_body.parse(body)
    assert view is not None
    out = redact_all(view)
    parsed = json.loads(out)
    if mail:
        assert parsed["zz"] == "contact [E] please"
    else:
        assert out == body


any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=5), c, max_size=4),
    max_leaves=20,
)


@given(doc=any_json, ascii_only=st.booleans())
def test_fast_path_equals_tokenizer(doc: object, ascii_only: bool) -> None:
    # The parser's walk and the tokenizer must agree on the joined text and on
    # every token position, escapes, numbers and nesting included.
    body = json.dumps([doc], ensure_ascii=ascii_only)
    view = json_body.parse(body)
    assert view is not None
    tokens = json_body._from_tokens(body)
    # Same tokens, same decoded content (the parse places reading text last).
    assert [(s.raw_start, s.raw_end, s.kind) for s in view.segments] == [
        (s.raw_start, s.raw_end, s.kind) for s in tokens.segments
    ]
    assert [view.content(s) for s in view.segments] == [tokens.content(s) for s in tokens.segments]
    if not view.reading:
        assert view.joined == tokens.joined


def test_duplicate_keys_keep_every_value() -> None:
    body = '{"to": "jane@example.com", "to": "bob@example.org"}'
    view = json_body.parse(body)
    assert view is not None
    assert view.joined == "to\x00jane@example.com\x00to\x00bob@example.org"
    assert redact_all(view) == '{"to": "[E]", "to": "[E]"}'


def test_duplicate_keys_after_rewriting_are_told_apart() -> None:
    body = '{"metadata": {"jane@example.com": 1, "bob@example.org": 2, "[E] (2)": 3}, "x": "[E]"}'
    view = json_body.parse(body)
    assert view is not None
    out = redact_all(view)
    # Every value kept: the rewritten keys are unique within their object.
    assert json.loads(out, object_pairs_hook=list) == [
        ("metadata", [("[E]", 1), ("[E] (3)", 2), ("[E] (2)", 3)]),
        ("x", "[E]"),
    ]


def test_keys_of_other_objects_do_not_collide() -> None:
    body = '[{"jane@example.com": 1}, {"bob@example.org": {"jim@example.net": 2}}]'
    view = json_body.parse(body)
    assert view is not None
    assert json.loads(redact_all(view)) == [{"[E]": 1}, {"[E]": {"[E]": 2}}]


def test_reading_pieces_are_joined_as_a_model_reads_them() -> None:
    parts = [
        {"type": "text", "text": "write to jane.d"},
        {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
        {"type": "text", "text": "oe@example.com thanks"},
    ]
    body = json.dumps({"messages": [{"role": "user", "content": parts}], "user": "u1"})
    view = json_body.parse(body)
    assert view is not None
    assert view.joined.endswith("write to jane.doe@example.com thanks")
    assert "\x00u1\x00" in view.joined  # other strings stay apart
    out = json.loads(redact_all(view))
    texts = [p["text"] for p in out["messages"][0]["content"] if p["type"] == "text"]
    assert texts == ["write to [E]", " thanks"]  # each piece keeps only its own share


@pytest.mark.parametrize(
    "doc",
    [
        {"contents": [{"parts": [{"text": "a"}, {"text": "b"}]}]},  # Gemini
        {"input": [{"role": "user", "content": [{"type": "input_text", "text": "a"}]}]},
        {"system": "a", "messages": [{"role": "user", "content": "b"}]},  # Anthropic
        {"prompt": "a", "suffix": 1},  # legacy completions
        {"message": "a", "preamble": "b"},  # Cohere v1
    ],
)
def test_the_reading_text_found_by_parsing_is_the_one_found_without(doc: object) -> None:
    body = json.dumps(doc)
    view = json_body.parse(body)
    assert view is not None
    texts = [view.content(view.segments[i]) for i in view.reading]
    assert texts == json_body.reading_texts(body)
    assert view.joined.endswith("".join(texts))


plain_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\'),
    max_size=8,
)
reading_json = st.recursive(
    st.none() | st.integers() | plain_text,
    lambda c: (
        st.lists(c, max_size=3)
        | st.dictionaries(st.sampled_from([*sorted(READING), "role", "x"]), c, max_size=4)
    ),
    max_leaves=15,
)


@given(doc=reading_json, ascii_only=st.booleans())
def test_reading_text_without_parsing_matches_the_parse(doc: object, ascii_only: bool) -> None:
    body = json.dumps([doc], ensure_ascii=ascii_only)
    view = json_body.parse(body)
    assert view is not None
    if "\\" not in body:  # what the fast path may read
        texts = [view.content(view.segments[i]) for i in view.reading]
        assert json_body.reading_texts(body) == texts
