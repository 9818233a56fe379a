"""decide(): actions per finding, thresholds, allow-list, direction; what an
exchange sums up from its decisions (``tally``)."""

from __future__ import annotations

import textwrap

from extproc.detect.finding import Finding
from extproc.policy.compile import CompiledPolicy, compile_policy
from extproc.policy.decide import NOTHING, Decision, decide
from extproc.policy.load import parse_policy
from extproc.policy.model import Action, Direction
from extproc.tally import Tally

REQ, RESP = Direction.REQUEST, Direction.RESPONSE

POLICY = """\
version: 1
name: t
rules:
  - detectors: ["secret/*"]
    request: block
    response: redact
  - detectors: ["pii/credit_card"]
    request: redact
    response: redact
    threshold: L1
  - detectors: ["pii/email"]
    request: mask
    response: log
  - detectors: ["pii/ip_address"]
    response: hash
allow_list:
  values: ["support@example.com", "John  Smith"]
"""


def _policy() -> CompiledPolicy:
    return compile_policy(parse_policy(textwrap.dedent(POLICY), "t.yaml"))


def _tally(*decisions: Decision) -> Tally:
    """What an exchange's request sums up from ``decisions``."""
    tally = Tally()
    for decision in decisions:
        tally.seen[REQ].add(decision)
    return tally


def _find(text: str, value: str, detector: str, confidence: float = 0.95) -> Finding:
    start = text.index(value)
    return Finding(detector, start, start + len(value), confidence)


def test_actions_per_finding() -> None:
    text = "mail bob@corp.com, card 4111 1111 1111 1111"
    email = _find(text, "bob@corp.com", "pii/email")
    card = _find(text, "4111 1111 1111 1111", "pii/credit_card")
    decision = decide([email, card], text, _policy(), REQ)
    assert decision.actions == ((email, Action.MASK), (card, Action.REDACT))
    assert not decision.blocked
    assert decision.rewrites
    assert decision.rewrite_actions == decision.actions
    assert _tally(decision).categories() == ["pii/credit_card", "pii/email"]
    assert _tally(decision).confidence() == 0.95
    assert decision.suppressed == 0


def test_block() -> None:
    text = "key AKIAABCDEFGHIJKLMNOP"
    key = _find(text, "AKIAABCDEFGHIJKLMNOP", "secret/aws_access_key")
    assert decide([key], text, _policy(), REQ).blocked
    response = decide([key], text, _policy(), RESP)
    assert not response.blocked
    assert response.actions == ((key, Action.REDACT),)


def test_threshold_suppresses_but_counts() -> None:
    text = "card 4111 1111 1111 1111"
    weak = _find(text, "4111 1111 1111 1111", "pii/credit_card", confidence=0.85)
    decision = decide([weak], text, _policy(), REQ)
    assert decision.actions == ()
    assert decision.suppressed == 1
    assert _tally(decision).categories() == []
    assert _tally(decision).confidence() == 0.0
    exact = _find(text, "4111 1111 1111 1111", "pii/credit_card", confidence=0.9)
    assert decide([exact], text, _policy(), REQ).actions == ((exact, Action.REDACT),)


def test_allow_list_is_exact_after_whitespace_folding() -> None:
    text = "write to support@example.com or Support@example.com; John \n Smith"
    allowed = _find(text, "support@example.com", "pii/email")
    other_case = _find(text, "Support@example.com", "pii/email")
    name = _find(text, "John \n Smith", "pii/email")
    decision = decide([allowed, other_case, name], text, _policy(), REQ)
    assert decision.actions == ((other_case, Action.MASK),)
    assert decision.suppressed == 2


def test_off_in_this_direction_is_neither_acted_on_nor_suppressed() -> None:
    text = "host 10.1.2.3"
    ip = _find(text, "10.1.2.3", "pii/ip_address")
    request = decide([ip], text, _policy(), REQ)
    assert request == NOTHING
    assert decide([ip], text, _policy(), RESP).actions == ((ip, Action.HASH),)


def test_log_only() -> None:
    text = "bob@corp.com"
    email = _find(text, text, "pii/email", confidence=0.6)
    decision = decide([email], text, _policy(), RESP)
    assert decision.actions == ((email, Action.LOG),)
    assert not decision.blocked
    assert not decision.rewrites
    assert decision.rewrite_actions == ()
    assert _tally(decision).categories() == ["pii/email"]
    assert _tally(decision).confidence() == 0.6


def test_tally_sums_up_many_texts() -> None:
    policy = _policy()
    first_text, second_text = "a@b.co", "AKIAABCDEFGHIJKLMNOP and support@example.com"
    email = _find(first_text, "a@b.co", "pii/email", confidence=0.7)
    key = _find(second_text, "AKIAABCDEFGHIJKLMNOP", "secret/aws_access_key", confidence=0.99)
    allowed = _find(second_text, "support@example.com", "pii/email")
    tally = _tally(
        decide([email], first_text, policy, REQ),
        decide([key, allowed], second_text, policy, REQ),
        NOTHING,
    )
    seen = tally.seen[REQ]
    assert seen.counts == {"pii/email": 1, "secret/aws_access_key": 1}
    assert seen.actions == {"pii/email": "mask", "secret/aws_access_key": "block"}
    assert seen.blocked
    assert seen.rewritten
    assert tally.categories() == ["pii/email", "secret/aws_access_key"]
    assert tally.confidence() == 0.99
    assert seen.suppressed == 1
    assert seen.outcome == "blocked"
    assert _tally().categories() == []
    assert _tally().seen[REQ].outcome == "pass"
