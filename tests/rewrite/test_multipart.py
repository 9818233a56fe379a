"""multipart/form-data: parts read as text where their bytes are text, and
a body with changed parts built again, valid and otherwise the same."""

from __future__ import annotations

import io

import httpx
import multipart as library
from hypothesis import given
from hypothesis import strategies as st

from extproc.rewrite import multipart
from extproc.rewrite.multipart import Kind


def encoded(data: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    request = httpx.Request("POST", "http://x/", data=data, files=files)
    return request.read(), multipart.boundary_of(request.headers["content-type"]) or ""


def test_parts_are_classified_by_their_bytes_not_their_labels() -> None:
    body, boundary = encoded(
        {"purpose": "batch"},
        {
            "a": ("a.jsonl", b'{"x": 1}\n', "application/octet-stream"),
            "b": ("b.png", b"not an image at all", "image/png"),
            "c": ("c.png", b"\x89PNG\r\n\x1a\n\x00\x01", "image/png"),
            "d": ("d.pdf", b"%PDF-1.7\n\x00\xff\xfe", "application/pdf"),
            "e": ("e.wav", b"RIFF\x00\x00\x00\x00WAVEfmt ", "application/octet-stream"),
        },
    )
    kinds = {p.name: p.kind for p in multipart.parse(body, boundary)}
    assert kinds == {
        "purpose": Kind.TEXT,
        "a": Kind.TEXT,
        "b": Kind.TEXT,  # a text file labelled as an image is still read
        "c": Kind.MEDIA,
        "d": Kind.UNREADABLE,
        "e": Kind.MEDIA,
    }


def test_a_part_in_a_transfer_encoding_is_unreadable() -> None:
    body = (
        b'--B\r\nContent-Disposition: form-data; name="x"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--B--\r\n"
    )
    assert [p.kind for p in multipart.parse(body, "B")] == [Kind.UNREADABLE]


def test_malformed_bodies_raise() -> None:
    for body in (b"no parts here", b'--B\r\nContent-Disposition: form-data; name="x"\r\n\r\nab'):
        try:
            multipart.parse(body, "B")
        except multipart.Malformed:
            continue
        raise AssertionError("accepted a malformed body")


def test_a_charset_part_is_rewritten_in_its_charset() -> None:
    body = (
        b'--B\r\nContent-Disposition: form-data; name="t"\r\n'
        b"Content-Type: text/plain; charset=utf-16-le\r\n\r\n"
        + "mail é".encode("utf-16-le")
        + b"\r\n--B--\r\n"
    )
    [part] = multipart.parse(body, "B")
    assert part.text == "mail é"
    new = multipart.build([multipart.retexted(part, "[R] é")], "B")
    [again] = multipart.parse(new, "B")
    assert again.data == "[R] é".encode("utf-16-le")


field = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=10)


@given(
    fields=st.dictionaries(field, st.text(max_size=20), max_size=4),
    blob=st.binary(max_size=64),
    new_name=field,
)
def test_rebuilt_bodies_parse_to_the_same_parts(
    fields: dict[str, str], blob: bytes, new_name: str
) -> None:
    body, boundary = encoded(fields, {"file": ("f.bin", blob, "application/octet-stream")})
    parts = multipart.parse(body, boundary)
    assert multipart.build(parts, boundary) == body  # httpx's own layout, byte for byte
    changed = [
        multipart.renamed(multipart.retexted(p, "[R]" + p.text), new_name, p.filename)
        if p.kind is Kind.TEXT and p.filename is None
        else p
        for p in parts
    ]
    rebuilt = multipart.build(changed, boundary)
    seen = [
        (p.name, p.filename, p.raw) for p in library.MultipartParser(io.BytesIO(rebuilt), boundary)
    ]
    expected = [(new_name, None, ("[R]" + v).encode()) for v in fields.values()]
    assert seen == [*expected, ("file", "f.bin", blob)]
