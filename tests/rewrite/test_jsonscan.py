"""The incremental JSON rewriter: untouched JSON leaves byte for byte
whatever the chunking (escapes included), rewritten strings are valid JSON,
media is copied without decoding, and where the text stops being JSON it
says so with the rest."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extproc.rewrite.jsonscan import JsonRewriter
from extproc.rewrite.jsonsink import Frame, NotJson, Path, Sink


class Same:
    def feed(self, text: str) -> tuple[str, int]:
        return text, len(text)

    def end(self) -> tuple[str, int]:
        return "", 0


class Upper(Same):
    def feed(self, text: str) -> tuple[str, int]:
        return text.upper(), len(text)


def rewrite(text: str, sizes: list[int], sink: Any = Same, raw: set[str] | None = None) -> str:
    def opener(path: Path, _logical: Path, _frames: list[Frame]) -> Sink | None:
        return None if path and path[-1] in (raw or set()) else sink()

    r = JsonRewriter(opener)
    out, i = [], 0
    for size in sizes or [len(text)]:
        out.append(r.feed(text[i : i + size]))
        i += size
    out.append(r.feed(text[i:]))
    out.append(r.finish())
    assert r.done
    return "".join(out)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    value=json_values,
    ascii_only=st.booleans(),
    indent=st.sampled_from([None, 2]),
    sizes=st.lists(st.integers(1, 7), max_size=30),
)
def test_untouched_json_is_byte_identical_in_any_chunking(
    value: Any, ascii_only: bool, indent: int | None, sizes: list[int]
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    assert rewrite(text, sizes) == text


@settings(max_examples=100, deadline=None)
@given(value=json_values, sizes=st.lists(st.integers(1, 7), max_size=30))
def test_rewritten_strings_stay_valid_json(value: Any, sizes: list[int]) -> None:
    out = rewrite(json.dumps(value), sizes, sink=Upper)
    json.loads(out)


def test_media_is_copied_as_is() -> None:
    text = '{"b64_json": "QUJD\\u0041", "note": "hi"}'
    assert (
        rewrite(text, [3, 5, 2], sink=Upper, raw={"b64_json"})
        == '{"b64_json": "QUJD\\u0041", "note": "HI"}'
    )


def test_the_rest_after_a_value() -> None:
    r = JsonRewriter(lambda *_: Same())
    assert r.feed('{"a": 1}\n{"b"') == '{"a": 1}'
    assert r.done and r.rest == '\n{"b"'


@pytest.mark.parametrize("bad", ['{"a" 1}', "[1,]", '{"a": 1,}', "{,}", "tru e", '"\\x"', "[1 2]"])
def test_not_json_says_where(bad: str) -> None:
    r = JsonRewriter(lambda *_: Same())
    with pytest.raises(NotJson):
        r.feed(bad)
        r.finish()
