"""Body charsets: what json.loads(bytes) reads, decoded and encoded back the same way."""

from __future__ import annotations

import codecs
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extproc.rewrite.charset import Unreadable, sniff

DOC = {"messages": [{"content": "héllo \u2603"}]}


def test_plain_utf8_is_the_fast_path() -> None:
    assert sniff(json.dumps(DOC).encode(), "application/json") is None
    assert sniff(b"{}", "application/json; charset=utf-8") is None
    assert sniff(b"", "application/json") is None


@pytest.mark.parametrize(
    "encoding",
    ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"],
)
def test_what_json_loads_accepts_is_read_and_written_back_alike(encoding: str) -> None:
    body = json.dumps(DOC, ensure_ascii=False).encode(encoding)
    assert json.loads(body) == DOC  # what an upstream accepts
    charset = sniff(body, "application/json")
    assert charset is not None
    text = charset.decode(body)
    assert json.loads(text) == DOC
    assert charset.encode(text) == body  # byte for byte, mark included
    rewritten = charset.encode(text.replace("héllo", "[R]"))
    assert json.loads(rewritten) == {"messages": [{"content": "[R] \u2603"}]}


def test_a_declared_charset_is_used() -> None:
    body = "naïve".encode("latin-1")
    charset = sniff(body, "text/plain; charset=ISO-8859-1")
    assert charset is not None and charset.decode(body) == "naïve"
    no_mark = "hi".encode("utf-16-be")
    utf16 = sniff(no_mark, "text/plain; charset=utf-16")
    assert utf16 is not None and utf16.decode(no_mark) == "hi"


def test_unknown_or_invalid_is_unreadable() -> None:
    with pytest.raises(Unreadable):
        sniff(b"abc", "text/plain; charset=x-no-such-charset")
    charset = sniff(codecs.BOM_UTF16_LE + b"\x00\xd8", "application/json")  # lone surrogate
    assert charset is not None
    with pytest.raises(Unreadable):
        charset.decode(codecs.BOM_UTF16_LE + b"\x00\xd8")


@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_utf16_json_strings_round_trip(text: str) -> None:
    body = json.dumps([text], ensure_ascii=False).encode("utf-16-le")
    charset = sniff(body, "application/json")
    assert charset is not None
    assert charset.encode(charset.decode(body)) == body


def test_binary_with_a_nul_near_the_start_is_not_taken_for_utf16() -> None:
    # Where NULs fall tells UTF-16 from UTF-32 in JSON only: bytes that do not
    # start as JSON, or do not read in the guessed codec, stay UTF-8 (escaped).
    assert sniff(b"\xde\x00\xfcL" + bytes(range(256)), "application/octet-stream") is None
    not_utf16 = b"{\x00" + "\udc00".encode("utf-16-le", "surrogatepass")
    assert sniff(not_utf16, "application/json") is None
    real = '{"a": "b"}'.encode("utf-16-le")
    charset = sniff(real, "application/json")
    assert charset is not None and charset.decode(real) == '{"a": "b"}'


@given(st.binary(min_size=4, max_size=64))
def test_sniffing_arbitrary_bytes_never_makes_them_unreadable(data: bytes) -> None:
    charset = sniff(data, "application/octet-stream")
    if charset is not None and not charset.mark:
        charset.decode(data)  # a guess is only made when it reads
