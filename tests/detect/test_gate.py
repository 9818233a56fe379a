"""The gate: one pass that skips clean text, and never changes a finding."""

from __future__ import annotations

import json
import random

import pytest
import re2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.corpus.signals import signal_corpus
from bench.corpus.texts import ENCODINGS, Texts
from extproc.detect.catalogue import BUILTIN
from extproc.detect.context import REACH, WINDOW, in_name, phrase, words
from extproc.detect.decode import base64_runs, has_base64_run, has_encoded_run
from extproc.detect.gate import Gate, context_gate
from extproc.detect.prepass import fold, merge_windows
from extproc.detect.regex import compile_pattern
from extproc.detect.scanner import build_scanner, keyword_list_spec
from extproc.detect.spec import DetectorSpec
from extproc.detect.splits import has_hex_text
from extproc.rewrite import json_body

GATED = build_scanner(BUILTIN)
UNGATED = build_scanner(BUILTIN, gate=False)
# Detectors of values (the generated corpora draw values for each); the
# content signals have a corpus of their own.
IDS = [s.id for s in BUILTIN if not s.id.startswith("signal/")]


def _corpus() -> list[str]:
    texts = Texts(seed=7)
    out = [t for s in BUILTIN for t in (*s.examples, *s.negatives)]
    for detector in IDS:
        out += [texts.single(detector).text for _ in range(25)]
        for encoding in ENCODINGS:
            for _ in range(6):
                record = texts.evasion(detector, encoding)
                if record is not None:
                    out.append(record.text)
    out += [texts.mixed(IDS).text for _ in range(100)]
    out += [texts.negative().text for _ in range(400)]
    out += [texts.clean().text for _ in range(100)]
    out += [r.text for r in signal_corpus(seed=3, scale=0.5)]
    return out


CORPUS = _corpus()


def test_the_gate_changes_no_finding_on_the_quality_corpus() -> None:
    differ = [i for i, t in enumerate(CORPUS) if GATED.scan(t) != UNGATED.scan(t)]
    assert differ == [], f"{len(differ)} of {len(CORPUS)} texts scan differently"
    # And it is not a gate that is always open: it closes on the clean texts.
    closed = sum(GATED.clear(t) for t in CORPUS)
    assert closed >= 50


# Fragments that come close to values: digits with separators, context words,
# token prefixes, escapes, look-alike characters.
FRAGMENTS = st.sampled_from(
    [
        "call ",
        "phone: ",
        "tel ",
        "hotel ",
        "excellent ",
        "ssn ",
        "card ",
        "@",
        "a@b",
        ".com",
        "415",
        "555",
        "2671",
        "-",
        " ",
        ".",
        ")",
        "(",
        "+",
        "+1",
        "+44 ",
        "4111",
        "1111",
        "0000",
        "1700000000",
        "12:34:56",
        "::1",
        "10.0.0.",
        "DE89",
        "3704",
        "0044",
        "sk-",
        "task-based ",
        "proj-",
        "AKIA",
        "Asia ",
        "ASIA",
        "eyJ",
        "eyJhbGciOi",
        ".eyJ",
        "AIza",
        "ghp_",
        "xoxb-",
        "-----BEGIN ",
        "%40",
        "%2",
        "&#64;",
        "&commat;",
        "\\u0040",
        "aGVsbG8",
        "QUtJQ",
        "=",
        "\u200b",
        "\u00a0",
        "\uff14",
        "\u0664",
        "K",
        "\u212a",
        "abcdefghijklmnop",
        "ABCDEFGHIJKLMNOP",
        "0123456789abcdef",
        "_",
        "\n",
        # Notation: separators, bare runs that count only with context, field
        # names, national phone formats, split encodings, other scripts.
        "\u2013",
        "\u2212",
        "\t",
        "/",
        "536228417",
        "0151 ",
        "234567",
        "06 ",
        "12 ",
        "ssn: ",
        '"ssn": "',
        "social ",
        " is my cell",
        "secret_key = ",
        "AKIA" + "Q3EGRIC4M5LDTXNV",
        "Zt9pQ2vL8xR4mK7wB1nC5hJ3gF6dS0aYeU2iO8uT",
        "name,ssn\n",
        "%B",
        "^",
        "=\n",
        "=40",
        "\\x67\\x68",
        "6768705f",
        '" + "',
        "\u0430",
        "\uff20",
        "\u200e",
        "请",
        "\u00fc",
        # Pairs asked near: words that hold a context word, names, extensions.
        "meeting ",
        "Text ",
        "customerSsn",
        "MY_NUMBER",
        "phoneNumber",
        "x204",
        " ext ",
        '"created":',
        "a" * 60,
        "\x00",
    ]
)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS, min_size=1, max_size=14))
def test_the_gate_changes_no_finding_on_near_misses(parts: list[str]) -> None:
    text = "".join(parts)
    assert GATED.scan(text) == UNGATED.scan(text)
    if GATED.clear(text):
        assert UNGATED.scan(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "A task-based plan for a risk-free rollout, then ask-me-anything in Asia.",
        '{"id":"chatcmpl-demo","created":1700000000,"model":"bench"}',
        "Use @decorator on the method; the hotel was excellent.",
        "",
    ],
)
def test_common_clean_text_is_cleared(text: str) -> None:
    assert GATED.clear(text)


@pytest.mark.parametrize(
    "text",
    [
        "mobile 4155552671",  # a bare run counts after a context word
        "phone (the desk one, ask for Sam): 4155552671",  # ... up to 48 characters before
        "mail jane.doe@example.com",
        "key %73k-abc",  # looks encoded: the decoded layer is scanned
        "SGVsbG8gd29ybGQsIGhvdyBhcmUgeW91",
    ],
)
def test_text_that_may_hold_a_value_is_not_cleared(text: str) -> None:
    assert UNGATED.scan(text) or "4155552671" not in text
    assert not GATED.clear(text)
    assert not UNGATED.clear(text)  # an ungated scanner never skips


def _spec(**kwargs: object) -> DetectorSpec:
    return DetectorSpec(**{"id": "t", "pattern": "x", **kwargs})  # type: ignore[arg-type]


def test_keywords_open_it_in_any_case_like_the_keyword_pass() -> None:
    gate = Gate([_spec(keywords=("Nightingale", "a.b", "k"))])
    for text in ("project NIGHTINGALE", "x A.B y", "\u212a"):  # Kelvin sign folds to k
        assert fold(text) != text and gate.open(text)
    assert not gate.open("aXb night gale")


def test_a_user_pattern_is_its_own_gate_and_a_bare_builtin_opens_it_always() -> None:
    user = Gate([_spec(pattern="EMP-[0-9]{6}", builtin=False)])
    assert user.open("id EMP-123456")
    assert not user.open("id EMP-12")
    caseless = Gate([_spec(pattern="emp-[0-9]{6}", case_sensitive=False)])
    assert caseless.open("EMP-123456")
    assert Gate([_spec(builtin=True)]).open("anything")


def test_word_lists_gate_on_their_longest_word() -> None:
    spec = keyword_list_spec("custom/codename", ["Project Nightingale"], case_sensitive=False)
    scanner = build_scanner([spec])
    assert not scanner.clear("the nightingale sang")  # the keyword, not the phrase
    assert scanner.clear("a daily build")
    assert [f.detector for f in scanner.scan("about project  nightingale.")] == [spec.id]


JSON_VALUES = st.recursive(
    st.one_of(
        st.lists(FRAGMENTS, max_size=6).map("".join),
        st.integers(min_value=0, max_value=10**19),
        st.booleans(),
        st.none(),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.lists(FRAGMENTS, max_size=3).map("".join), inner, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES, st.sampled_from([None, 0, 2]), st.booleans())
def test_a_raw_json_body_without_escapes_is_cleared_only_if_its_strings_are_clean(
    document: object, indent: int | None, ascii_only: bool
) -> None:
    """What ``bodies.scan_body`` relies on to skip parsing clean bodies."""
    raw = json.dumps(document, indent=indent, ensure_ascii=ascii_only)
    view = json_body.parse(raw)
    scanned = view.joined if view is not None else raw  # a scalar is scanned as text
    if "\\" not in raw and GATED.clear(raw):
        assert UNGATED.scan(scanned) == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aZ9+/_-=. %&\\u", max_size=60))
def test_the_base64_check_agrees_with_the_runs_layers_decode(text: str) -> None:
    assert has_base64_run(text) == (next(base64_runs(text), None) is not None)


def _openai_answer(content: str) -> str:
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        }
    )


def test_a_timestamp_and_a_context_word_far_apart_do_not_open_the_gate() -> None:
    """The epoch in every chat answer and a context word in its text (whole:
    "call", or inside a word: "meeting", "tinted") opened the gate on every
    answer; asked near, on the text that is matched, they do not."""
    text = "Let us call it a day. " * 8 + "The meeting went well; my tinted glasses broke."
    answer = _openai_answer(text)
    joined = json_body.parse(answer)
    assert joined is not None
    gate = Gate(BUILTIN, reach=(REACH, WINDOW))
    assert gate.open(answer)  # anywhere: the raw body proves nothing for its strings
    assert not gate.open(joined.joined, near=True)
    assert UNGATED.scan(joined.joined) == []


@pytest.mark.parametrize(
    "text",
    [
        "call me on 4155552671",
        "4155552671 is my cell",
        "ssn: 536228417",
        '{"customerSsn": "536228417"}',
        "name,phone\nAnn,4155552671\n" + "Bob,x\n" * 200 + "Eve,4155552672",
        "MOBILE_NUMBER=4155552671",
        "order 4155552671 x204 shipped",
    ],
)
def test_a_value_with_its_context_near_opens_the_gate_asked_near(text: str) -> None:
    assert UNGATED.scan(text)
    assert Gate(BUILTIN, reach=(REACH, WINDOW)).open(text, near=True)
    assert GATED.scan(text) == UNGATED.scan(text)


_NAME_PARTS = st.sampled_from(
    ["", "_", "-", ".", "customer", "Customer", "CUSTOMER", "x", "X", "2", "my", "id", "Id"]
)
_CASES = st.sampled_from([str.lower, str.upper, str.capitalize, str.title, lambda w: w])


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["ssn", "social security", "tax id", "ph", "my number", "mobile", "tin"]),
    _CASES,
    _NAME_PARTS,
    _NAME_PARTS,
    st.sampled_from(["", "_", " ", "-"]),
)
def test_context_gate_occurs_wherever_a_name_or_sentence_holds_the_word(
    word: str, case: object, before: str, after: str, join: str
) -> None:
    spelled = join.join(case(part) for part in word.split(" "))  # type: ignore[operator]
    name = before + spelled + after
    pattern = re2.compile(context_gate([word]))
    if in_name(words(name), [phrase(word)]):
        assert pattern.search(name), name
    sentence = f"{before} {case(word)} {after}"  # type: ignore[operator]
    assert pattern.search(sentence), sentence


class _OwnMatches:
    """The reference plan, from the prefilter's contract alone: a detector
    runs within the widest reach of every match of its own prefilter, each
    found by its own pass (no union, no set, no merged spots)."""

    def __init__(self, specs: tuple[DetectorSpec, ...]) -> None:
        owned = [s for s in specs if not s.keywords and s.prefilter is not None]
        self._reach = max(s.max_len for s in owned) + 16
        self._own = [(s.id, compile_pattern(s.prefilter, builtin=False)) for s in owned]

    def find(self, text: str) -> dict[str, list[tuple[int, int]]]:
        plan = {}
        for detector, prefilter in self._own:
            windows = merge_windows(prefilter.finditer(text), self._reach, len(text))
            if windows:
                plan[detector] = windows
        return plan


OWN_MATCHES = build_scanner(BUILTIN, gate=False)
object.__setattr__(OWN_MATCHES, "_prefilter", _OwnMatches(OWN_MATCHES.specs))

# Context words far from their values: a table's column header above its
# cells, a word before a long aside, a value before its word.
_FAR = [
    text
    for word, value in (
        ("routing", "011000015"),
        ("tfn", "884 289 849"),
        ("bsn", "298438677"),
        ("npi", "1697071375"),
        ("ein", "12-3456789"),
        ("sin", "584 332 282"),
        ("aadhaar", "5533 7406 8124"),
        ("phone", "4155552671"),
        ("ssn", "536228417"),
    )
    for gap in range(0, 260, 13)
    for text in (
        f"{word}: {'x' * gap} {value}",
        f"{word},name\n{'foo,bar' * (gap // 8)}\n{value},jo\n",
        f"{value} {'y' * gap} is the {word}",
    )
]


def test_a_detector_keeps_to_its_prefilter_s_spots_and_loses_no_value() -> None:
    differ = [t[:80] for t in CORPUS if UNGATED.scan(t) != OWN_MATCHES.scan(t)]
    assert differ == [], f"{len(differ)} of {len(CORPUS)} texts scan differently"
    # Windows may reach a little further than the contract asks, never less.
    lost = [t[:80] for t in _FAR if not set(OWN_MATCHES.scan(t)) <= set(UNGATED.scan(t))]
    assert lost == []
    # And the plan is narrower: a detector is not run around others' spots.
    plan = UNGATED.plan("card 4111 1111 1111 1111 " + "and so on " * 60 + " mail 10.0.0.1")
    assert "pii/ip_address" in plan and "pii/credit_card" in plan
    assert plan["pii/ip_address"][0][0] > 400 and plan["pii/credit_card"][-1][1] < 500


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS, min_size=1, max_size=14))
def test_a_detector_s_own_spots_lose_nothing_on_near_misses(parts: list[str]) -> None:
    text = "".join(parts)
    assert UNGATED.scan(text) == OWN_MATCHES.scan(text)


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["a", "Z", "9", "f", "0", "+", "/", "_", "-", "=", " ", ".", "\n", "x", "é",
             "deadbeef", "68656c6c6f20776f726c64", "completion_tokens", "aGVsbG8gd29ybGQ"]
        ),
        max_size=40,
    )
)  # fmt: skip
def test_the_encoded_run_check_asks_the_runs_as_the_whole_text_would(parts: list[str]) -> None:
    text = "".join(parts)
    assert has_encoded_run(text) == (has_base64_run(text) or has_hex_text(text))


def test_bytes_that_are_not_text_skip_the_gate_and_scan_as_without_it() -> None:
    # Random bytes as the server reads them (undecodable ones escaped), with
    # an e-mail in a stretch of text among them.
    noise = random.Random(5).randbytes(4096).decode("utf-8", "surrogateescape")
    text = noise[:2000] + " write to jane.doe@example.com today please " + noise[2000:]
    assert not GATED.clear(text)
    assert GATED.scan(text) == UNGATED.scan(text)
    assert "jane.doe@example.com" in [text[f.start : f.end] for f in GATED.scan(text)]
