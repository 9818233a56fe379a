"""Every policy error: one fixture file each under bad/, the exact message(s) asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

from extproc.detect.validators import VALIDATORS
from extproc.policy.load import PolicyError, load_policy, parse_policy
from extproc.policy.model import Action, OnOversize, Threshold

BAD = Path(__file__).parent / "bad"
ACTIONS = "block, redact, mask, hash, log, off, pseudonymize"
RESPONSE_ACTIONS = "block, redact, mask, hash, log, off"
SOURCES = "principal, jwt, api_key, address, host, route"
TOP_KEYS = (
    "version, name, description, match, rules, custom_detectors, keyword_lists, allow_list, "
    "redaction, hash_key_env, limits, attribution, budgets, caps, phone_regions, unscanned, "
    "answers, judges"
)

# fixture name -> the messages, in order; {f} stands for the fixture's path.
EXPECTED: dict[str, list[str]] = {
    "syntax": [
        "{f}:5: YAML syntax error: while parsing a flow sequence, "
        "expected ',' or ']', but got '<scalar>'"
    ],
    "two_documents": [
        "{f}:4: YAML syntax error: expected a single document in the stream, "
        "but found another document"
    ],
    "empty": ["{f}:1: policy: empty file (expected version, name and rules)"],
    "not_mapping": ["{f}:1: policy: expected a mapping, got a list"],
    "unknown_top_key": [f"{{f}}:3: owner: unknown key (expected one of: {TOP_KEYS})"],
    "unknown_rule_key": [
        "{f}:6: rules[0].reponse: unknown key "
        "(expected one of: detectors, request, response, threshold, description, "
        "max_values, bulk_action)"
    ],
    "missing_rules": ["{f}:1: rules: required key is missing"],
    "bad_phone_regions": ["{f}:3: phone_regions: unknown region(s) XX, UK (ISO 3166 codes)"],
    "wrong_version": ["{f}:1: version: unsupported version 2 (expected 1)"],
    "version_type": ["{f}:1: version: expected an integer, got a string"],
    "duplicate_key": ["{f}:6: rules[0].request: duplicate key (first at line 5)"],
    "python_tag": [
        "{f}:2: name: expected a string, got a value tagged "
        "'tag:yaml.org,2002:python/name:os.system'"
    ],
    "bad_name": ["{f}:2: name: policy name 'my policy' must be letters, digits, '_', '.' or '-'"],
    "unknown_action": [
        f"{{f}}:7: rules[1].request: unknown action 'blok' (expected one of: {ACTIONS})"
    ],
    "null_action": ["{f}:5: rules[0].request: expected a string, got nothing"],
    "response_pseudonymize": [
        "{f}:6: rules[0].response: 'pseudonymize' applies to requests only "
        f"(expected one of: {RESPONSE_ACTIONS})"
    ],
    "bad_threshold": [
        "{f}:6: rules[0].threshold: unknown threshold 'L5' (expected one of: L1, L2, L3, L4)"
    ],
    "unknown_detector": [
        "{f}:6: rules[0].detectors[1]: unknown detector 'pii/emial' (did you mean 'pii/email'?)"
    ],
    "glob_matches_nothing": [
        "{f}:4: rules[0].detectors[0]: glob 'pii/driver_licen*' matches no detector"
    ],
    "detectors_not_list": ["{f}:4: rules[0].detectors: expected a list, got a string"],
    "empty_detectors": ["{f}:4: rules[0].detectors: must not be empty"],
    "no_direction": ["{f}:4: rules[0]: decides neither request nor response (set at least one)"],
    "bad_regex": ["{f}:5: custom_detectors[0].pattern: unsupported construct: lookahead (?=...)"],
    "custom_id_prefix": [
        "{f}:4: custom_detectors[0].id: id 'employee_id' must start with 'custom/'"
    ],
    "keyword_id_prefix": [
        "{f}:4: keyword_lists[0].id: id 'custom/codenames' must start with 'keyword/'"
    ],
    "duplicate_id": [
        "{f}:7: custom_detectors[1].id: duplicate id 'custom/employee_id' (first defined at line 4)"
    ],
    "unknown_validator": [
        "{f}:7: custom_detectors[0].validator: unknown validator 'checksum' "
        f"(expected one of: {', '.join(sorted(VALIDATORS))})"
    ],
    "confidence_range": ["{f}:7: custom_detectors[0].confidence: must be between 0 and 1"],
    "max_len_type": ["{f}:7: custom_detectors[0].max_len: expected an integer, got a string"],
    "failing_example": [
        "{f}:7: custom_detectors[0].examples[1]: example yields 0 findings of "
        "'custom/employee_id' (expected exactly 1)",
        "{f}:8: custom_detectors[0].negatives[0]: negative yields a finding of "
        "'custom/employee_id' (expected none)",
    ],
    "context_without_confidence": [
        "{f}:7: custom_detectors[0].context: has no effect without context_confidence "
        "(the confidence when a context word is near)"
    ],
    "case_sensitive_type": [
        "{f}:6: keyword_lists[0].case_sensitive: expected true or false, got a string"
    ],
    "empty_words": ["{f}:5: keyword_lists[0].words: must not be empty"],
    "empty_match": [
        "{f}:3: match: lists neither hosts nor path_prefixes "
        "(leave 'match' out to make this policy a default candidate)"
    ],
    "path_prefix": ["{f}:5: match.path_prefixes[0]: path prefix 'v1/' must start with '/'"],
    "allow_list_type": ["{f}:7: allow_list.values: expected a list, got a string"],
    "bad_template": [
        "{f}:6: redaction: unknown placeholder '{{value}}' (only {{detector}} is allowed)"
    ],
    "bad_hash_key_env": ["{f}:3: hash_key_env: 'HASH KEY' is not an environment variable name"],
    "bad_limits": [
        "{f}:7: limits.max_body_bytes: must be a positive number of bytes",
        "{f}:8: limits.on_oversize: unknown action 'drop' (expected one of: block, pass)",
    ],
    "bad_unscanned": [
        "{f}:7: unscanned.headers[1]: 'x api key' is not a header name",
        "{f}:8: unscanned.query_parameters: expected a list, got a string",
        "{f}:9: unscanned.cookies: unknown key (expected one of: headers, query_parameters)",
    ],
    "bad_max_values": [
        "{f}:6: rules[0].max_values: must be a positive integer",
        "{f}:7: rules[0].bulk_action: unknown action 'redact' (expected one of: block, log)",
    ],
    "bulk_action_alone": ["{f}:6: rules[0].bulk_action: has no effect without max_values"],
    "bad_budget": [
        "{f}:7: budgets[0].id: 'Cards Per Hour' must be lower-case letters, digits, '_', '.' "
        "or '-' (at most 63, starting with a letter or digit)",
        "{f}:8: budgets[0].detectors[0]: unknown detector 'pii/credit_crad' "
        "(did you mean 'pii/credit_card'?)",
        "{f}:9: budgets[0].max_values: expected an integer, got a string",
        "{f}:10: budgets[0].window: '1 hour' is not a duration (seconds, or a number followed "
        "by s, m, h or d, such as 90s or 1h; at most 366d)",
        "{f}:11: budgets[0].window_type: unknown window type 'rolling' "
        "(expected one of: sliding, fixed)",
        "{f}:12: budgets[0].direction: unknown direction 'upstream' "
        "(expected one of: request, response, both)",
        "{f}:13: budgets[0].action: unknown action 'redact' (expected one of: block, log)",
        "{f}:14: budgets[0].on_error: unknown mode 'retry' (expected one of: open, closed)",
    ],
    "budget_missing_keys": [
        "{f}:7: budgets[0].detectors: required key is missing",
        "{f}:7: budgets[0].max_values: required key is missing",
        "{f}:7: budgets[0].window: required key is missing",
        "{f}:8: budgets[0].windw: unknown key (expected one of: id, detectors, max_values, "
        "window, window_type, direction, action, on_error, description)",
    ],
    "duplicate_budget": ["{f}:11: budgets[1].id: duplicate id 'cards' (first in budgets[0])"],
    "bad_attribution": [
        f"{{f}}:7: attribution.sources[1]: unknown source 'ip' (expected one of: {SOURCES})",
        "{f}:7: attribution.sources: 'principal' is listed twice",
        "{f}:8: attribution.jwt_header: 'bad header' is not a header name",
        "{f}:10: attribution.groups[0].name: 'other' is the class of every client no group names",
        "{f}:11: attribution.groups[0].clients[0]: unknown source 'spiffe' "
        f"(write SOURCE:GLOB, SOURCE one of: {SOURCES})",
        "{f}:11: attribution.groups[0].clients[1]: unknown source 'mesh' "
        f"(write SOURCE:GLOB, SOURCE one of: {SOURCES})",
    ],
    "empty_sources": ["{f}:7: attribution.sources: must not be empty"],
    "bad_caps": [
        "{f}:7: caps[0].path_prefixes[0]: path prefix 'v1/' must start with '/'",
        "{f}:8: caps[0].answer_tokens: must be a positive integer",
        "{f}:9: caps[1]: sets no cap "
        "(set at least one of: prompt_bytes, prompt_tokens, answer_bytes, answer_tokens)",
    ],
    "several_errors": [
        "{f}:4: rules[0].detectors[0]: unknown detector 'pii/emial' (did you mean 'pii/email'?)",
        f"{{f}}:7: rules[1].request: unknown action 'blok' (expected one of: {ACTIONS})",
        "{f}:8: rules[1].response: 'pseudonymize' applies to requests only "
        f"(expected one of: {RESPONSE_ACTIONS})",
        "{f}:9: rules[1].threshold: unknown threshold 'high' (expected one of: L1, L2, L3, L4)",
        "{f}:10: redaction: {{detector}} takes no format spec or conversion",
    ],
}


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(p.stem for p in BAD.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_policy(name: str) -> None:
    path = str(BAD / f"{name}.yaml")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert list(caught.value.errors) == [m.format(f=path) for m in EXPECTED[name]]
    assert str(caught.value) == "\n".join(caught.value.errors)


def test_unreadable_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.yaml")
    with pytest.raises(PolicyError) as caught:
        load_policy(missing)
    assert caught.value.errors == (f"{missing}: cannot read: No such file or directory",)


def test_messages_never_quote_examples_or_allow_values() -> None:
    text = """\
version: 1
name: p
custom_detectors:
  - id: custom/token
    pattern: 'TOK-[0-9]{8}'
    keywords: ["TOK-"]
    examples: ["TOK-SECRET99"]
rules:
  - detectors: ["custom/token"]
    request: blok
"""
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "p.yaml")
    assert "SECRET99" not in str(caught.value)


FULL = """\
version: 1
name: full
description: every key
match:
  hosts: ["API.OpenAI.com", "*.example.com"]
  path_prefixes: ["/v1/"]
rules:
  - detectors: ["secret/*", "custom/*"]
    request: block
    response: redact
    threshold: L2
    description: credentials
  - detectors: ["pii/*"]
    request: off
    response: mask
  - detectors: ["keyword/*"]
    request: pseudonymize
custom_detectors:
  - id: custom/employee_id
    pattern: 'EMP-\\d{6}'
    keywords: ["EMP-"]
    confidence: 0.95
    context: ["employee"]
    context_confidence: 0.99
    max_len: 10
    case_sensitive: false
    examples: ["id EMP-123456"]
    negatives: ["EMP-12"]
keyword_lists:
  - id: keyword/codenames
    words: ["Project Nightingale", 0123]
allow_list:
  values: ["support@example.com", 4111111111111111]
redaction: "<{detector}>"
hash_key_env: EXTPROC_HASH_KEY
limits:
  max_body_bytes: 1_048_576
  on_oversize: pass
"""


def test_full_policy_parses() -> None:
    policy = parse_policy(FULL, "full.yaml")
    assert policy.name == "full"
    assert policy.description == "every key"
    assert policy.match is not None
    assert policy.match.hosts == ("api.openai.com", "*.example.com")
    assert policy.match.path_prefixes == ("/v1/",)
    first, second, third = policy.rules
    assert first.detectors == ("secret/*", "custom/*")
    assert (first.request, first.response, first.threshold) == (
        Action.BLOCK,
        Action.REDACT,
        Threshold.L2,
    )
    # YAML 1.1 reads a bare `off` as false; the action keeps the word as written.
    assert (second.request, second.response, second.threshold) == (Action.OFF, Action.MASK, None)
    assert (third.request, third.response) == (Action.PSEUDONYMIZE, None)
    (custom,) = policy.custom_detectors
    spec = custom.spec
    assert (spec.id, spec.pattern, spec.keywords) == ("custom/employee_id", "EMP-\\d{6}", ("EMP-",))
    assert (spec.confidence, spec.context, spec.max_len, spec.case_sensitive) == (
        0.95,
        ("employee",),
        10,
        False,
    )
    assert spec.context_confidence == 0.99
    assert not spec.builtin
    (words,) = policy.keyword_lists
    assert words.words == ("Project Nightingale", "0123")  # numbers stay as written
    assert not words.case_sensitive
    assert policy.allow_values == ("support@example.com", "4111111111111111")
    assert policy.redaction == "<{detector}>"
    assert policy.hash_key_env == "EXTPROC_HASH_KEY"
    assert (policy.limits.max_body_bytes, policy.limits.on_oversize) == (1048576, OnOversize.PASS)
    assert policy.at("rules[1].response", "x") == "full.yaml:15: rules[1].response: x"
