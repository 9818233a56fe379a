"""JSON bodies: decoded strings scanned, only changed tokens re-encoded."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from extproc.detect.finding import Finding
from extproc.rewrite import json_body
from extproc.rewrite.pieces import Share

EMAIL = re.compile(r"[a-z.]+@[a-z]+\.[a-z]+")


def findings(text: str) -> list[tuple[Finding, str]]:
    return [(Finding("pii/email", m.start(), m.end(), 0.9), "x") for m in EMAIL.finditer(text)]


def redact_all(view: json_body.JsonView) -> str:
    located = view.locate(findings(view.joined))
    by_seg: dict[int, list[Share]] = {}
    for share, _ in located:
        by_seg.setdefault(view.segments[share.piece].raw_start, []).append(share)

    def content(seg: json_body.Segment) -> str | None:
        shares = by_seg.get(seg.raw_start)
        if not shares:
            return None
        text = view.content(seg)
        for f in reversed(shares):
            text = text[: f.start] + "[E]" + text[f.end :]
        return text

    return json_body.rewrite(view, content)


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
    assert [share for share, _ in located] == [Share(1, 0, 3)]
    located = view.locate([(Finding("x", 0, 5, 0.5), None)])
    assert [share for share, _ in located] == [Share(0, 0, 3)]


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
    assert view.joined == tokens.joined
    assert view.segments == tokens.segments


def test_duplicate_keys_keep_every_value() -> None:
    body = '{"to": "jane@example.com", "to": "bob@example.org"}'
    view = json_body.parse(body)
    assert view is not None
    assert view.joined == "to\x00jane@example.com\x00to\x00bob@example.org"
    assert redact_all(view) == '{"to": "[E]", "to": "[E]"}'
