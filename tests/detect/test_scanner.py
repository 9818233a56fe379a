"""The scanner: build checks, the pre-pass, confidence, overlap and offsets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest

from extproc.detect.catalogue import BUILTIN
from extproc.detect.finding import Finding
from extproc.detect.regex import PatternError, compile_pattern
from extproc.detect.scanner import build_scanner, keyword_list_spec
from extproc.detect.spec import DetectorSpec

SCANNER = build_scanner(BUILTIN)


def spec(id: str, pattern: str, **fields: object) -> DetectorSpec:
    return DetectorSpec(id=id, pattern=pattern, **fields)  # type: ignore[arg-type]


def test_findings_are_sorted_and_never_overlap() -> None:
    text = (
        "Hi, I'm jane.doe@example.com, card 4111 1111 1111 1111, SSN 123-45-6789, "
        "call (415) 555-2671 from 10.0.0.8; key AKIAIOSFODNN7EXAMPLE, IBAN DE89 3704 0044 "
        "0532 0130 00."
    )
    findings = SCANNER.scan(text)
    assert [f.detector for f in findings] == [
        "pii/email",
        "pii/credit_card",
        "pii/us_ssn",
        "pii/phone_number",
        "pii/ip_address",
        "secret/aws_access_key",
        "pii/iban",
    ]
    for before, after in pairwise(findings):
        assert before.end <= after.start


def test_empty_and_clean_text() -> None:
    assert SCANNER.scan("") == []
    assert SCANNER.scan("Please summarise the meeting notes from Tuesday.") == []


def test_overlap_keeps_higher_confidence_then_longer_span() -> None:
    scanner = build_scanner(
        [
            spec("low-long", r"abc-def-ghi", confidence=0.5, keywords=("abc",)),
            spec("high-short", r"def", confidence=0.9, keywords=("def",)),
            spec("same-long", r"ghi-jkl", confidence=0.9, keywords=("ghi",)),
            spec("same-short", r"jkl", confidence=0.9, keywords=("jkl",)),
        ]
    )
    found = scanner.scan("abc-def-ghi-jkl")
    assert found == [
        Finding("high-short", 4, 7, 0.9),
        Finding("same-long", 8, 15, 0.9),
    ]


def test_detector_without_keyword_hit_is_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    scanner = build_scanner(
        [
            spec("custom/a", r"alpha-[0-9]+", keywords=("alpha-",)),
            spec("custom/b", r"beta-[0-9]+", keywords=("beta-",)),
            spec("custom/c", r"gamma-[0-9]+"),  # no keywords: always runs
        ]
    )
    calls: Counter[str] = Counter()
    pattern_type = type(compile_pattern("x", builtin=False))
    original = pattern_type.finditer

    def counting(
        self: object, text: str, pos: int = 0, endpos: int | None = None
    ) -> Iterator[tuple[int, int]]:
        calls[self.pattern] += 1  # type: ignore[attr-defined]
        return original(self, text, pos, endpos)  # type: ignore[arg-type]

    monkeypatch.setattr(pattern_type, "finditer", counting)
    found = scanner.scan("only alpha-1 and ALPHA-2 here, gamma-3")
    assert [f.detector for f in found] == ["custom/a", "custom/c"]
    assert calls[r"beta-[0-9]+"] == 0
    assert calls[r"alpha-[0-9]+"] == 1  # nearby hits share one merged window
    assert calls[r"gamma-[0-9]+"] == 1
    assert scanner.plan("nothing") == {"custom/c": [(0, 7)]}


def test_prefiltered_detectors_are_skipped_on_text_without_candidates() -> None:
    plan = SCANNER.plan("Numbers like 42 and 2024 are fine. Mail a@b.example please.")
    assert set(plan) == {"pii/email"}


def test_keyword_runs_only_near_its_hits() -> None:
    scanner = build_scanner([spec("custom/near", r"key=[a-z]+", keywords=("key=",), max_len=10)])
    text = "key=abc" + " " * 100 + "key=def"
    assert scanner.plan(text) == {"custom/near": [(0, 14), (97, 114)]}
    assert [text[f.start : f.end] for f in scanner.scan(text)] == ["key=abc", "key=def"]


def test_context_raises_and_its_absence_lowers() -> None:
    scanner = build_scanner(
        [
            spec(
                "custom/order",
                r"ORD-[0-9]{6}",
                confidence=0.4,
                context=("order", "purchase id"),
                context_confidence=0.9,
            )
        ]
    )

    def confidence(text: str) -> list[float]:
        return [f.confidence for f in scanner.scan(text)]

    assert confidence("ref ORD-123456") == [0.4]
    assert confidence("your order: ORD-123456") == [0.9]
    assert confidence("Purchase ID ORD-123456") == [0.9]
    assert confidence("reorder ORD-123456") == [0.4]  # a word inside another is not context
    far = "order " + "x" * 60 + " ORD-123456"
    assert confidence(far) == [0.4]  # beyond the 48-character window
    assert confidence("ORD-123456 is the order") == [0.9]  # after it, same sentence
    assert confidence("ORD-123456. Order more.") == [0.4]  # ... not the next sentence
    assert confidence("I placed an order. Then ORD-123456 came") == [0.4]  # nor the one before
    assert confidence('{"order": "x", "ref": "ORD-123456"}') == [0.4]  # another field's name
    assert confidence("order_id: ORD-123456") == [0.9]  # its own field's name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSN 123-45-6789", 0.95),  # valid range, context
        ("row 123-45-6789", 0.7),  # valid range, no context
        ("ssn: 987-65-4321", 0.6),  # ITIN range, context
        ("row 987-65-4321", 0.3),  # ITIN range, no context: weak, L4 only
        ("social security 000-12-3456", 0.6),
        ("ref 000-12-3456", 0.3),
        ("ref 536228417", None),  # bare: only with context
        ('{"ssn": "536228417"}', 0.95),
        ("user_ssn=666-01-2345", 0.6),
    ],
)
def test_ssn_rule(text: str, expected: float | None) -> None:
    found = [f.confidence for f in SCANNER.scan(text) if f.detector == "pii/us_ssn"]
    assert found == ([] if expected is None else [expected])


def test_exact_format_earns_exact_confidence() -> None:
    scanner = build_scanner(
        [
            spec(
                "custom/tok",
                r"tok_[a-z0-9]{8,40}",
                keywords=("tok_",),
                confidence=0.6,
                exact=r"tok_[a-z0-9]{32}",
                exact_confidence=0.95,
            )
        ]
    )
    assert [f.confidence for f in scanner.scan("tok_" + "a1" * 16)] == [0.95]
    assert [f.confidence for f in scanner.scan("tok_" + "a1" * 10)] == [0.6]


def test_scanner_properties() -> None:
    assert SCANNER.detector_ids == frozenset(s.id for s in BUILTIN)
    assert SCANNER.max_len == max(s.max_len for s in BUILTIN)
    assert SCANNER.without_keywords == ()
    custom = build_scanner([spec("custom/x", "x+"), spec("custom/y", "y", keywords=("y",))])
    assert custom.without_keywords == ("custom/x",)
    assert build_scanner([]).scan("anything") == []


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (spec("custom/v", "x", validator="nope"), ValueError, "custom/v: unknown validator 'nope'"),
        (
            spec("custom/p", "(a)\\1"),
            PatternError,
            "custom/p: unsupported construct: backreference",
        ),
        (spec("custom/q", "(?=a)b", exact="a"), ValueError, "exact and exact_confidence"),
        (spec("custom/c", "x", confidence=1.5), ValueError, "custom/c: confidence must lie in"),
        (spec("custom/m", "x", max_len=0), ValueError, "custom/m: max_len must be positive"),
        (
            spec("custom/i", "x", validator="luhn", invalid_confidence=0.5),
            ValueError,
            "custom/i: invalid_confidence needs a validator and context",
        ),
        (spec("custom/k", "x", keywords=("",)), ValueError, "custom/k: empty keyword"),
        (spec("custom/f", "x", prefilter="(?<=a)"), PatternError, "custom/f: unsupported"),
        (spec("", "x"), ValueError, "empty id"),
    ],
)
def test_build_errors_name_the_detector(bad: DetectorSpec, error: type, message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_scanner([bad])


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="custom/d: duplicate id"):
        build_scanner([spec("custom/d", "x"), spec("custom/d", "y")])


def test_user_patterns_run_on_the_linear_engine() -> None:
    scanner = build_scanner([spec("custom/evil", r"(a+)+$", keywords=("a",))])
    assert scanner.scan("a" * 5000 + "b") == []


@pytest.mark.parametrize(
    ("words", "case_sensitive", "text", "expected"),
    [
        (
            ["Project Nightingale"],
            False,
            "re: project  nightingale, soon",
            ["project  nightingale"],
        ),
        (["Project Nightingale"], True, "re: project nightingale", []),
        (["Project Nightingale"], True, "re: Project Nightingale!", ["Project Nightingale"]),
        (["Falcon"], False, "Falconry and FALCON and falcon_v2", ["FALCON", "falcon"]),
        (["C++", "a.b"], False, "we use C++ and axb and a.b", ["C++", "a.b"]),
        (["Überwachung"], False, "Die überwachung läuft; Überwachungs-", ["überwachung"]),
        (
            ["nightingale", "Project Nightingale"],
            False,
            "Project Nightingale",
            ["Project Nightingale"],
        ),
    ],
)
def test_keyword_list_spec(
    words: list[str], case_sensitive: bool, text: str, expected: list[str]
) -> None:
    list_spec = keyword_list_spec("keyword/test", words, case_sensitive)
    assert list_spec.confidence == 1.0
    found = build_scanner([list_spec]).scan(text)
    assert [text[f.start : f.end] for f in found] == expected


def test_keyword_list_spec_refuses_an_empty_list() -> None:
    with pytest.raises(ValueError, match="keyword/empty: empty word list"):
        keyword_list_spec("keyword/empty", [" "], False)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("card 4111\u200b1111\u200b1111\u200b1111 ok", "4111\u200b1111\u200b1111\u200b1111"),
        (
            "card \uff14\uff11\uff11\uff11" + "\uff11" * 12 + " ok",
            "\uff14\uff11\uff11\uff11" + "\uff11" * 12,
        ),
        ("card 4111\u00a01111\u00a01111\u00a01111 ok", "4111\u00a01111\u00a01111\u00a01111"),
        ("é card 4111-1111-1111-1111", "4111-1111-1111-1111"),
    ],
)
def test_evasions_are_undone_and_offsets_point_at_the_original(
    text: str, value: str | None
) -> None:
    found = [f for f in SCANNER.scan(text) if f.detector == "pii/credit_card"]
    assert [text[f.start : f.end] for f in found] == ([] if value is None else [value])


def test_soft_hyphen_inside_a_token_is_undone() -> None:
    text = "key AKIA\u00adIOSFODNN7\u200bEXAMPLE."
    found = SCANNER.scan(text)
    assert [(f.detector, text[f.start : f.end]) for f in found] == [
        ("secret/aws_access_key", "AKIA\u00adIOSFODNN7\u200bEXAMPLE")
    ]


def test_scanner_is_immutable() -> None:
    with pytest.raises(AttributeError, match="immutable"):
        SCANNER.max_len = 1


def test_scanner_is_shareable_across_threads() -> None:
    texts = [f"user{i}@example.com card 4111 1111 1111 1111 n{i}" for i in range(40)]
    expected = [SCANNER.scan(t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(SCANNER.scan, texts)) == expected


def test_values_amid_binary_data_are_chance_but_text_in_a_legacy_charset_counts() -> None:
    from random import Random

    from extproc.rewrite.text import to_text

    email = "jane.doe" + "@example.org"
    noise = Random(2026).randbytes(64)
    binary = to_text(noise + b" " + email.encode() + b"\x0b" + noise)
    assert [f for f in SCANNER.scan(binary) if f.detector == "pii/email"] == []
    # cp1252: a no-break space (0xA0) and an accent are the only bytes not UTF-8.
    legacy = to_text("Caf\xe9 contact:\xa0".encode("cp1252") + email.encode() + b" merci")
    assert [f.detector for f in SCANNER.scan(legacy)] == ["pii/email"]
