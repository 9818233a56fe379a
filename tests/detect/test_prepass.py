"""The keyword pre-pass, the prefilter pass and their windows."""

from __future__ import annotations

import pytest

from extproc.detect.prepass import KeywordIndex, Prefilter, fold, merge_windows
from extproc.detect.spec import DetectorSpec


@pytest.mark.parametrize(
    "text", ["Hello WORLD", "İstanbul AKIA", "ß and ẞ", "straße İİ x", "ǅ ﬁ Σ", ""]
)
def test_fold_keeps_every_offset(text: str) -> None:
    folded = fold(text)
    assert len(folded) == len(text)
    for original, low in zip(text, folded, strict=True):
        assert low == original or low == original.lower()


def test_fold_lowers_ascii_even_next_to_expanding_characters() -> None:
    assert fold("İ AKIA") == "İ akia"


def _spec(id: str, *keywords: str, prefilter: str | None = None, max_len: int = 10) -> DetectorSpec:
    return DetectorSpec(id=id, pattern="x", keywords=keywords, prefilter=prefilter, max_len=max_len)


def test_keyword_index_finds_each_detector_s_keywords() -> None:
    index = KeywordIndex([_spec("a", "ghp_", "gho_"), _spec("b", "sk-"), _spec("c", "SK-")])
    hits = index.find(fold("token GHP_x and sk-y, task-z"))
    assert hits == {"a": [(6, 10)], "b": [(16, 19), (24, 27)], "c": [(16, 19), (24, 27)]}
    assert index.find("") == {}
    assert index.find("nothing here") == {}


def test_keyword_index_without_keywords() -> None:
    assert KeywordIndex([_spec("a")]).find("anything") == {}


def test_keyword_index_rejects_empty_keywords() -> None:
    with pytest.raises(ValueError, match="detector a: empty keyword"):
        KeywordIndex([_spec("a", " ")])


@pytest.mark.parametrize(
    ("spans", "radius", "size", "expected"),
    [
        ([], 5, 100, []),
        ([(10, 12)], 5, 100, [(5, 17)]),
        ([(2, 3)], 5, 6, [(0, 6)]),
        ([(40, 41), (10, 12), (20, 22)], 5, 100, [(5, 27), (35, 46)]),
        ([(10, 30), (12, 14)], 1, 100, [(9, 31)]),
    ],
)
def test_merge_windows(
    spans: list[tuple[int, int]], radius: int, size: int, expected: list[tuple[int, int]]
) -> None:
    assert merge_windows(spans, radius, size) == expected


def test_prefilter_assigns_windows_only_where_a_detector_s_prefilter_occurs() -> None:
    prefilter = Prefilter(
        [
            _spec("digits", prefilter="[0-9]{4}", max_len=4),
            _spec("colons", prefilter=":[a-f]*:", max_len=4),
            _spec("more-digits", prefilter="[0-9]{4}", max_len=4),
            _spec("keyworded", "kw", prefilter="kw"),
        ]
    )
    text = "abc 1234 def " + "." * 100 + " x:ab: y"
    digits, colons = (4, 8), (text.index(":"), text.index(":") + 4)
    plan = prefilter.find(text)
    assert set(plan) == {"digits", "more-digits", "colons"}
    assert plan["digits"] == plan["more-digits"]
    # Each around its own prefilter's hit (a little past the value's reach), not the other's.
    ((start, end),) = plan["digits"]
    assert start <= digits[0] and digits[1] + 4 <= end < colons[0]
    ((start, end),) = plan["colons"]
    assert digits[1] < start <= colons[0] and end == len(text)
    assert prefilter.find("no candidates at all") == {}


def test_prefilter_without_prefilters() -> None:
    assert Prefilter([_spec("a", "kw")]).find("1234") == {}
