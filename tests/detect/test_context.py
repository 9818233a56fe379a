"""What names a position: field names in every layout, sentence windows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extproc.detect.context import Context, in_name, phrase, words
from extproc.detect.prepass import fold

V = "VALUE123"


def name_of(text: str) -> str:
    start = text.index(V)
    return Context(text, fold(text)).name(start, start + len(V))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"billingPhone": "VALUE123"}', "billing phone"),
        ("billing_phone: VALUE123", "billing phone"),
        ("BILLING_PHONE=VALUE123", "billing phone"),
        ("billing-phone = 'VALUE123'", "billing phone"),
        ('final String billingPhone = "VALUE123";', "billing phone"),
        ('let token: &str = "VALUE123";', "token"),
        ("apiToken := `VALUE123`", "api token"),
        ("client_secret =\n        VALUE123", "client secret"),
        ("client_secret: >-\n  VALUE123", "client secret"),
        ("--client-secret VALUE123", "client secret"),
        ("<ClientSecret>VALUE123</ClientSecret>", "client secret"),
        ('<param name="x" clientSecret="VALUE123"/>', "client secret"),
        ("| ClientSecret | VALUE123 |", "client secret"),
        ("Client Secret: VALUE123", "client secret"),
        ("- name: CLIENT_SECRET\n  value: VALUE123", "value client secret"),
        ('[{"key": "db_pass", "val": "VALUE123"}]', "val db pass"),
        ("nickname\x00VALUE123", "nickname"),
        ("the end of a sentence VALUE123", ""),
    ],
)
def test_the_field_that_holds_a_value_is_named(text: str, expected: str) -> None:
    assert name_of(text) == expected


@pytest.mark.parametrize(
    "table",
    [
        "acct,Tax Id,zip\n1,VALUE123,02110\n",
        "acct;Tax Id;zip\n1;other;1\n2;VALUE123;02110\n",
        "acct\tTax Id\tzip\n1\tVALUE123\t02110\n",
        "| acct | Tax Id | zip |\n| --- | --- | --- |\n| 1 | VALUE123 | 02110 |\n",
        "intro line\n\nacct,Tax Id,zip\n"
        + "".join(f"{i},x{i},1\n" for i in range(50))
        + "9,VALUE123,1\n",
    ],
)
def test_a_table_column_is_named_by_its_header(table: str) -> None:
    assert name_of(table) == "tax id"


@pytest.mark.parametrize(
    "text",
    [
        "hi there, VALUE123 is mine\nbye, now",  # prose with commas is no table
        "acct,Tax Id\n1,x VALUE123 y\n",  # the value does not fill its cell
        "a,b\n\n1,VALUE123\n",  # a blank line ends a table
    ],
)
def test_prose_and_partial_cells_have_no_column_name(text: str) -> None:
    assert "tax" not in name_of(text) and name_of(text) in ("", "hi there")


def test_windows_stop_at_sentences_and_keys() -> None:
    text = "Call me maybe. Then VALUE123 arrived. Phone later"
    start = text.index(V)
    ctx = Context(text, fold(text))
    assert text[ctx.before(start, start + len(V)) : start] == " Then "
    assert text[start + len(V) : ctx.after(start + len(V))] == " arrived"
    abbreviated = "Tel. VALUE123"
    ctx = Context(abbreviated, fold(abbreviated))
    assert ctx.before(5, 13) == 0  # "Tel." ends no sentence
    record = '{"phone": "x", "id": "VALUE123"}'
    start = record.index(V)
    ctx = Context(record, fold(record))
    assert record[ctx.before(start, start + len(V)) : start] == '"id": "'


def test_names_are_compared_word_by_word() -> None:
    assert words("AWSSecretAccessKey") == "aws secret access key"
    assert words("x-amz-security-token") == "x amz security token"
    assert phrase("access_key") == "access key"
    assert in_name("aws secret access key", ["secret access key"])
    assert in_name("customerssn", ["ssn"])  # glued
    assert not in_name("customerssn", ["ssn"], glued=False)
    assert not in_name("server", ["ver"], glued=False)
    assert not in_name("", ["ssn"])


def _whole_scan_low(text: str, start: int, low: int) -> int:
    """Where a sentence starts before ``start``, from every break of the
    whole text (how ``Context.before`` read them before it looked locally)."""
    from bisect import bisect_right

    ctx = Context(text, text.lower())
    breaks = [m.end() for m in ctx._ends(0, len(text))]
    i = bisect_right(breaks, start) - 1
    return breaks[i] if i >= 0 and breaks[i] > low else low


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["a", "Tel", " ", ".", ". ", "\n", "\n\n", " \t", "!", "?", "\x00", "e.g", "x"]
        ),
        max_size=30,
    ),
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=60),
)
def test_the_sentence_start_is_found_locally_as_a_whole_scan_finds_it(
    parts: list[str], start: int, back: int
) -> None:
    text = "".join(parts)
    start = min(start, len(text))
    low = max(0, start - back)
    assert Context(text, text.lower())._last_break(low, start) == _whole_scan_low(text, start, low)
