"""The content codecs: gzip, deflate (zlib-wrapped or raw) and brotli decoded
with the size bounded, whatever the chunking; bytes <-> text losslessly."""

from __future__ import annotations

import gzip
import zlib

import pytest

from extproc.rewrite.encoding import (
    TooLarge,
    Undecodable,
    can_decode,
    decode_all,
    decoder,
)
from extproc.rewrite.text import to_bytes, to_text

BODY = b'{"content": "pay with 4111 1111 1111 1111"}' * 20


def raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


ENCODED = [
    ("gzip", gzip.compress(BODY)),
    ("x-gzip", gzip.compress(BODY)),
    (" GZIP ", gzip.compress(BODY)),
    ("deflate", zlib.compress(BODY)),
    ("deflate", raw_deflate(BODY)),  # servers that send it raw
]


@pytest.mark.parametrize(("encoding", "data"), ENCODED)
def test_decode_whole(encoding: str, data: bytes) -> None:
    assert decode_all(encoding, data, 1 << 20) == BODY


@pytest.mark.parametrize(("encoding", "data"), ENCODED)
@pytest.mark.parametrize("size", [1, 7, 100])
def test_decode_in_chunks(encoding: str, data: bytes, size: int) -> None:
    d = decoder(encoding, 1 << 20)
    assert d is not None
    out = b"".join(d.feed(data[i : i + size]) for i in range(0, len(data), size))
    assert out + d.finish() == BODY


def test_brotli_when_installed() -> None:
    brotli = pytest.importorskip("brotli")
    assert decode_all("br", brotli.compress(BODY), 1 << 20) == BODY


@pytest.mark.parametrize("encoding", ["", "identity", " identity "])
def test_identity_needs_no_decoder(encoding: str) -> None:
    assert decoder(encoding, 10) is None
    assert decode_all(encoding, BODY, 10) == BODY  # no limit on what is not decoded
    assert can_decode(encoding)


@pytest.mark.parametrize("encoding", ["compress", "zstd", "gzip, br", "x" * 100])
def test_unknown_encodings_are_undecodable(encoding: str) -> None:
    assert not can_decode(encoding)
    with pytest.raises(Undecodable):
        decoder(encoding, 10)


def test_corrupt_data_is_undecodable() -> None:
    with pytest.raises(Undecodable):
        decode_all("gzip", b"not gzip at all", 1 << 20)
    with pytest.raises(Undecodable):
        decode_all("deflate", b"\xff\xff\xff\xff", 1 << 20)


def test_a_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * (10 << 20))  # 10 MiB of zeros, about 10 KB
    assert len(bomb) < 20_000
    with pytest.raises(TooLarge):
        decode_all("gzip", bomb, 1 << 20)
    d = decoder("gzip", 1 << 20)
    assert d is not None
    with pytest.raises(TooLarge):
        for i in range(0, len(bomb), 512):
            d.feed(bomb[i : i + 512])


def test_the_limit_is_inclusive() -> None:
    assert decode_all("gzip", gzip.compress(BODY), len(BODY)) == BODY
    with pytest.raises(TooLarge):
        decode_all("gzip", gzip.compress(BODY), len(BODY) - 1)


@pytest.mark.parametrize(
    "data",
    [b"plain ascii", "caf\u00e9 \u2603".encode(), b"\xff\xfe invalid \xc3\x28 utf-8", b""],
)
def test_bytes_round_trip_through_text(data: bytes) -> None:
    assert to_bytes(to_text(data)) == data


def test_lone_surrogates_from_json_escapes_still_encode() -> None:
    assert to_bytes("\ud800") == "\ud800".encode("utf-8", "surrogatepass")
