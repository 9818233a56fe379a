"""Content signals in budgets: a refusal (an event, not a value) counts once
per exchange, whatever its words, so a budget over ``signal/refusal`` counts
the answers with a refusal a client received in its window."""

from __future__ import annotations

from extproc.detect.finding import Finding
from extproc.govern.guard import Governor
from extproc.policy.compile import compile_policy
from extproc.policy.load import parse_policy
from extproc.policy.model import Action, Direction

POLICY = """\
version: 1
name: refusals
rules:
  - detectors: ["signal/refusal"]
    response: log
attribution:
  sources: [api_key]
budgets:
  - id: refusals
    detectors: ["signal/refusal"]
    max_values: 2
    window: 1h
    direction: response
"""
REFUSAL = "I'm sorry, but I can't help with that."


def answer(guard_of: Governor, key: str, text: str = REFUSAL, times: int = 1) -> bool:
    """One exchange whose answer carries ``times`` refusals; True if it may leave."""
    policy = compile_policy(parse_policy(POLICY, "p.yaml"))
    guard = guard_of.guard(policy.name, policy.governance, {"x-api-key": key}, {})
    findings = [(Finding("signal/refusal", 0, len(text), 0.9), Action.LOG)] * times
    kept = guard.admit(Direction.RESPONSE, text * times, findings, whole=True)
    return guard.stop(Direction.RESPONSE) is None and kept == len(text) * times


def test_the_same_refusal_counts_once_per_exchange() -> None:
    governor = Governor()
    assert answer(governor, "a", times=3)  # three refusals, one exchange: one event
    assert answer(governor, "a")
    assert not answer(governor, "a")  # the third exchange with a refusal is over budget
    assert answer(governor, "b")  # another client has a budget of its own
