"""Evasion normalisation and the map back to original offsets."""

from __future__ import annotations

import pytest

from extproc.detect.normalize import normalize


def test_ascii_takes_the_fast_path() -> None:
    result = normalize("plain 4111 1111 1111 1111")
    assert result.text == "plain 4111 1111 1111 1111"
    assert result.cuts == ()
    assert result.original_span(6, 25) == (6, 25)


def test_non_ascii_without_anything_to_undo_is_unchanged() -> None:
    assert normalize("café ünïcode 日本").cuts == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4111\u200b1111", "41111111"),
        ("a\u00adb\ufeffc\u2060d\u200c\u200de", "abcde"),
        ("\uff14\uff11\uff11\uff11", "4111"),  # full-width digits
        ("\u0664\u0661\u0661\u0661", "4111"),  # Arabic-Indic digits
        ("4111\u00a01111\u20091111\u202f1111", "4111 1111 1111 1111"),
        ("\u200b\u200bstart", "start"),
        ("end\u200b", "end"),
    ],
)
def test_normalized_text(text: str, expected: str) -> None:
    assert normalize(text).text == expected


def test_spans_map_back_to_the_original() -> None:
    original = "x \u200b4\u200b1\u200b\u200b11 y"
    result = normalize(original)
    assert result.text == "x 4111 y"
    start, end = result.original_span(2, 6)
    # The zero-width characters inside the value belong to it; the one before does not.
    assert original[start:end] == "4\u200b1\u200b\u200b11"
    assert result.original_span(7, 8) == (len(original) - 1, len(original))
    assert result.original_span(0, 1) == (0, 1)
