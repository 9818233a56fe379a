"""Bytes <-> text for scanning: invalid UTF-8 is scanned, not rejected, and
round-trips byte for byte (``surrogateescape``)."""

from __future__ import annotations


def to_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def to_bytes(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape, re-encoded
        return text.encode("utf-8", "surrogatepass")
