"""The ``answers`` and ``judges`` sections: one bad fixture per error, with
the exact message; and what good entries read as."""

from __future__ import annotations

from pathlib import Path

import pytest

from extproc.policy.compile import compile_policy
from extproc.policy.judges import judge_ids
from extproc.policy.load import PolicyError, load_policy, parse_policy
from extproc.policy.model import Direction, JudgeApi, OnError

BAD = Path(__file__).parent / "bad_signals"
MODERATIONS = "http://127.0.0.1:8000/v1/moderations"

EXPECTED: dict[str, list[str]] = {
    "answer_prefix": ["{f}:7: answers[0].path_prefixes[0]: path prefix 'v1' must start with '/'"],
    "checks_nothing": ["{f}:7: answers[0]: checks nothing (set expect, languages or both)"],
    "expect_unknown": [
        "{f}:7: answers[0].expect: unknown answer format 'xml' (expected one of: json, text)"
    ],
    "language_code": [
        "{f}:7: answers[0].languages: 'english' is not an ISO 639-1 language code "
        "(two lower-case letters, e.g. en)"
    ],
    "min_chars": ["{f}:8: answers[0].min_chars: must be a positive integer"],
    "schema_invalid": [
        "{f}:8: answers[0].schema: not a valid JSON Schema at type: "
        "12 is not valid under any of the given schemas"
    ],
    "schema_not_mapping": [
        "{f}:8: answers[0].schema: expected a mapping (a JSON Schema), got a list"
    ],
    "schema_without_json": ["{f}:8: answers[0].schema: needs expect: json"],
    "judge_api": [
        "{f}:9: judges[0].api: unknown judge API 'classify' (expected one of: chat, moderation)"
    ],
    "judge_ask": ["{f}:10: judges[0].ask: unknown 'tools' (expected prompt, answer)"],
    "judge_cache": [
        "{f}:10: judges[0].cache: 'forever' is not a duration (seconds, or a number followed "
        "by ms, s, m or h, such as 400ms; at least 0, at most 86400s)"
    ],
    "judge_category": [
        "{f}:10: judges[0].categories.hate: 'Hate-Speech' must be lower-case letters, digits "
        "or '_' (it names signal/judge:Hate-Speech)"
    ],
    "judge_duplicate": ["{f}:10: judges[1].name: duplicate judge 'guard' (first in judges[0])"],
    "judge_key_env": ["{f}:10: judges[0].api_key_env: '9KEY' is not an environment variable name"],
    "judge_missing": [
        "{f}:7: judges[0].url: required key is missing",
        "{f}:7: judges[0].api: required key is missing",
    ],
    "judge_model": ["{f}:7: judges[0]: a chat judge needs a model"],
    "judge_name": ["{f}:7: judges[0].name: 'Guard One' is not a lower-case name"],
    "judge_on_error": [
        "{f}:10: judges[0].on_error: unknown mode 'retry' (expected one of: open, closed)"
    ],
    "judge_threshold": ["{f}:10: judges[0].threshold: must lie in (0, 1]"],
    "judge_timeout": [
        "{f}:10: judges[0].timeout: '20s' is not a duration (seconds, or a number followed by "
        "ms, s, m or h, such as 400ms; more than 0, at most 10s)"
    ],
    "judge_unknown_key": [
        "{f}:10: judges[0].retries: unknown key (expected one of: name, url, api, model, ask, "
        "timeout, on_error, categories, threshold, cache, api_key_env, path_prefixes, "
        "description)"
    ],
    "judge_url": ["{f}:8: judges[0].url: 'ftp://judge' is not an http(s) URL with a host"],
}


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(p.stem for p in BAD.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_section(name: str) -> None:
    path = str(BAD / f"{name}.yaml")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert list(caught.value.errors) == [m.format(f=path) for m in EXPECTED[name]]


GOOD = f"""\
version: 1
name: p
rules:
  - detectors: ["signal/format", "signal/language"]
    response: block
  - detectors: ["signal/judge:hate", "signal/judge:violent_crimes"]
    request: block
    response: log
answers:
  - path_prefixes: ["/v1/chat"]
    expect: json
    schema: {{type: object, required: [answer]}}
    languages: [en, de]
    min_chars: 20
judges:
  - name: guard
    url: http://127.0.0.1:8000/v1/chat/completions
    api: chat
    model: llama-guard
    ask: [prompt, answer]
    timeout: 300ms
    on_error: closed
    cache: 0
  - name: mod
    url: {MODERATIONS}
    api: moderation
    categories: {{hate: hate, harassment: hate}}
    threshold: 0.4
    api_key_env: MOD_KEY
"""


def test_good_sections_read_as_written() -> None:
    policy = parse_policy(GOOD, "p.yaml")
    (shape,) = policy.answers
    assert shape.expect_json and shape.languages == {"en", "de"} and shape.min_chars == 20
    assert dict(shape.schema or {}) == {"type": "object", "required": ["answer"]}
    assert shape.fits("/v1/chat/completions") and not shape.fits("/v1/embeddings")
    guard, mod = policy.judges
    assert guard.api is JudgeApi.CHAT and guard.timeout == pytest.approx(0.3)
    assert guard.directions == (Direction.REQUEST, Direction.RESPONSE)
    assert guard.on_error is OnError.CLOSED and guard.cache_seconds == 0
    assert "signal/judge:violent_crimes" in judge_ids(guard)
    assert "signal/judge:unsafe" in judge_ids(guard)
    assert judge_ids(mod) == ("signal/judge:hate",)
    assert mod.directions == (Direction.REQUEST,) and mod.api_key_env == "MOD_KEY"


def test_judge_ids_are_decided_like_detectors() -> None:
    compiled = compile_policy(parse_policy(GOOD, "p.yaml"))
    assert compiled.resolved[("signal/judge:hate", Direction.REQUEST)][0].value == "block"
    assert compiled.resolved[("signal/format", Direction.RESPONSE)][0].value == "block"
    assert ("signal/format", Direction.REQUEST) not in compiled.resolved
    assert compiled.warnings == ()


def test_unacted_checks_and_slow_judges_are_warned() -> None:
    text = GOOD.replace('["signal/format", "signal/language"]', '["signal/format"]').replace(
        "timeout: 300ms", "timeout: 950ms"
    )
    warnings = compile_policy(parse_policy(text, "p.yaml")).warnings
    assert any("no rule turns signal/language on" in w for w in warnings)
    assert any("judges[0].timeout: 0.95s leaves too little" in w for w in warnings)
