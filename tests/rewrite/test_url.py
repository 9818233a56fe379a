"""Request targets and form bodies as pieces: decoded for scanning, a
rewritten piece encoded again, every other character kept."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from extproc.rewrite.url import Target, decoded


def test_pieces_are_decoded_and_joined_as_a_reader_sees_the_url() -> None:
    target = Target("/v1/u/jane%40x.org/f?q=a+b%26c&key=SECRET&n")
    assert target.text == "\nv1\nu\njane@x.org\nf?q=a b&c&key=SECRET&n"
    contents = [target.content(i) for i in range(len(target.layout))]
    assert contents == ["", "v1", "u", "jane@x.org", "f", "q", "a b&c", "key", "SECRET", "n"]


def test_skipped_parameters_are_left_out_of_the_text() -> None:
    target = Target("/p?key=SECRET&Key=OTHER&q=1", frozenset({"key"}))
    assert target.text == "\np?key=&Key=&q=1"
    assert decoded("/p?key=SECRET", frozenset({"key"})) == "\np?key="
    assert decoded("/v1/chat/completions") == "\nv1\nchat\ncompletions"


def test_a_rewritten_piece_is_encoded_and_the_rest_kept_byte_for_byte() -> None:
    raw = "/v1/u/jane%40x.org/f?after=a%2Db&user=jane%40x.org&n=2"
    target = Target(raw)
    new = target.rewrite({3: "[R:pii/email]", 8: "[R:pii/email] & co"})
    assert new == "/v1/u/%5BR:pii%2Femail%5D/f?after=a%2Db&user=%5BR:pii/email%5D%20%26%20co&n=2"
    url = urlsplit(new)
    assert unquote(url.path.split("/")[3]) == "[R:pii/email]"
    assert dict(parse_qsl(url.query))["user"] == "[R:pii/email] & co"


def test_undecodable_escapes_survive_a_rewrite_of_their_piece() -> None:
    target = Target("/p?q=%FF%FEab")
    piece = next(i for i in range(len(target.layout)) if target.content(i).endswith("ab"))
    assert target.rewrite({piece: target.content(piece).replace("ab", "xy")}) == "/p?q=%FF%FExy"


form_pairs = st.lists(st.tuples(st.text(max_size=6), st.text(max_size=12)), max_size=6)


@given(pairs=form_pairs)
def test_a_form_round_trips_and_rewrites_stay_parseable(pairs: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    raw = urlencode(pairs)
    form = Target(raw, form=True)
    assert form.rewrite({}) == raw  # nothing changed: byte for byte
    values = [i for i in range(len(form.layout)) if i % 2 == 1]
    new = form.rewrite({i: "[R] " + form.content(i) for i in values})
    expected = [(k, "[R] " + v) for k, v in pairs]
    assert parse_qsl(new, keep_blank_values=True) == (expected if raw else [])
