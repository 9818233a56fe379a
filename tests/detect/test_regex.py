"""The regex seam: linear time for user patterns, character offsets always."""

from __future__ import annotations

import re
import time

import pytest

from extproc.detect.regex import PatternError, PatternSet, compile_pattern


def test_catastrophic_pattern_is_linear_on_the_user_path() -> None:
    pattern = compile_pattern(r"(a+)+$", builtin=False)
    start = time.perf_counter()
    assert list(pattern.finditer("a" * 5000 + "b")) == []
    assert time.perf_counter() - start < 2.0  # milliseconds in practice


def test_python_re_would_backtrack_exponentially() -> None:
    # The same pattern on Python's engine: each two more characters cost about
    # four times as long, so "a" * 5000 + "b" would run for ~2**5000 steps.
    # Measured on tiny inputs only.
    python = re.compile(r"(a+)+$")

    def cost(n: int) -> float:
        # Best of three: noise on a shared machine only ever adds time.
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            python.search("a" * n + "b")
            best = min(best, time.perf_counter() - start)
        return best

    # Six more characters: about 64 times the work; 8 leaves room for noise.
    assert cost(20) > 8 * cost(14)


@pytest.mark.parametrize(
    ("pattern", "construct"),
    [
        (r"(a)\1", "backreference"),
        (r"(?P<x>a)(?P=x)", "named backreference"),
        (r"foo(?=bar)", "lookahead"),
        (r"foo(?!bar)", "negative lookahead"),
        (r"(?<=foo)bar", "lookbehind"),
        (r"(?<!foo)bar", "negative lookbehind"),
        (r"(?>foo)", "atomic group"),
        (r"a++", "possessive quantifier"),
        (r"foo\Z", r"\Z"),
    ],
)
def test_user_pattern_rejects_constructs_re2_lacks(pattern: str, construct: str) -> None:
    with pytest.raises(PatternError, match=re.escape(f"unsupported construct: {construct}")):
        compile_pattern(pattern, builtin=False)


@pytest.mark.parametrize("pattern", ["(", "[a-", "a{2,1}"])
def test_invalid_patterns_raise_pattern_error(pattern: str) -> None:
    with pytest.raises(PatternError, match="invalid pattern"):
        compile_pattern(pattern, builtin=False)
    with pytest.raises(PatternError, match="invalid pattern"):
        compile_pattern(pattern, builtin=True)


def test_pattern_error_is_a_value_error() -> None:
    assert issubclass(PatternError, ValueError)


def test_builtin_patterns_may_use_lookaround() -> None:
    pattern = compile_pattern(r"(?<![0-9])[0-9]{3}(?![0-9])", builtin=True)
    assert list(pattern.finditer("1234 567")) == [(5, 8)]


@pytest.mark.parametrize("builtin", [True, False])
@pytest.mark.parametrize(
    "prefix",
    ["", "é", "€uro ", "😀😀 ", "İstanbul ", "日本語のテキスト ", "\u200b"],
)
def test_spans_are_character_offsets(builtin: bool, prefix: str) -> None:
    text = f"{prefix}id=abc123 and id=def456 ü"
    pattern = compile_pattern(r"id=(?P<value>[a-z]+[0-9]+)", builtin=builtin)
    spans = list(pattern.finditer(text))
    assert [text[s:e] for s, e in spans] == ["abc123", "def456"]


@pytest.mark.parametrize("builtin", [True, False])
def test_lone_surrogates_keep_offsets(builtin: bool) -> None:
    text = b"\xff\xfe caf\xc3\xa9 key=s3cr3t \xed\xa0\x80 key=x9".decode("utf-8", "surrogateescape")
    pattern = compile_pattern(r"key=(?P<value>\w+)", builtin=builtin)
    assert [text[s:e] for s, e in pattern.finditer(text)] == ["s3cr3t", "x9"]
    assert pattern.fullmatch("key=abc")


@pytest.mark.parametrize("builtin", [True, False])
def test_windows_see_context_outside(builtin: bool) -> None:
    text = "xx abcdef abc"
    pattern = compile_pattern(r"\babc\b", builtin=builtin)
    # A window that starts inside a word sees the letters before it: no word
    # boundary is invented at the window's edge.
    assert list(pattern.finditer(text, 9)) == [(10, 13)]
    assert list(pattern.finditer(text, 4, 13)) == [(10, 13)]
    assert list(pattern.finditer("xabc", 1)) == []


@pytest.mark.parametrize("prefix", ["", "ñ", "😀"])
def test_re2_window_offsets_with_non_ascii(prefix: str) -> None:
    text = f"{prefix}aa bb {prefix}aa bb"
    pattern = compile_pattern(r"bb", builtin=False)
    whole = list(pattern.finditer(text))
    assert [text[s:e] for s, e in whole] == ["bb", "bb"]
    second = whole[1]
    assert list(pattern.finditer(text, second[0] - 1, len(text))) == [second]
    assert list(pattern.finditer(text, 0, second[0])) == [whole[0]]


def test_case_insensitive_both_engines() -> None:
    for builtin in (True, False):
        pattern = compile_pattern("nightingale", builtin=builtin, case_sensitive=False)
        assert list(pattern.finditer("Project NIGHTINGALE")) == [(8, 19)]


def test_pattern_set_reports_which_patterns_occur() -> None:
    patterns = PatternSet([r"[0-9]{3}-[0-9]{2}", r"@", r"zz"])
    assert patterns.matching("mail a@b, ssn 123-45") == [0, 1]
    assert patterns.matching("mail a@b, ssn 123-45", 0, 8) == [1]
    assert patterns.matching("nothing") == []
    assert patterns.matching("é\udcff zz") == [2]
    with pytest.raises(PatternError, match="pattern 0: unsupported construct: lookahead"):
        PatternSet(["(?=a)"])
