"""Signals in an exchange: after a whole body is scanned (``after_scan``),
and as a streamed answer's text accumulates (``Watch``).

For a whole body: the origin of every phrase signal in a JSON prompt
(``origin``), the answer's shape (``shape``), and the judges of this
direction (``judge``), asked about the text as the policy's rewriting left
it. Each returns findings that the policy decides like any other; a judge
that fails closed ends the exchange (``Side.judge_failed``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from extproc.detect.finding import Finding
from extproc.policy.compile import CompiledPolicy
from extproc.policy.decide import NOTHING, Decision, decide
from extproc.policy.model import AnswerShape, Direction, Judge, OnError
from extproc.rewrite import json_body
from extproc.rewrite.text import to_text
from extproc.signals import origin, shape, text
from extproc.signals.judge import Judges

# The phrase signals whose origin in a prompt is logged.
ORIGIN_SIGNALS = ("signal/prompt_injection",)
# How much of the (redacted) prompt is kept for a judge of the answer.
CONTEXT_CHARS = 8 * 1024


def shape_for(policy: CompiledPolicy, route: str) -> AnswerShape | None:
    """The first ``answers`` entry whose path prefixes fit ``route``."""
    return next((s for s in policy.parsed.answers if s.fits(route)), None)


def judges_for(policy: CompiledPolicy, route: str, direction: Direction) -> list[Judge]:
    """The judges asked about this direction of this route."""
    return [j for j in policy.parsed.judges if direction in j.directions and j.fits(route)]


def origins(body: bytes, decision: Decision) -> dict[str, set[str]]:
    """Detector id -> where in the prompt its findings came from."""
    found = [(f, f) for f, _ in decision.actions if f.detector in ORIGIN_SIGNALS]
    if not found:
        return {}
    view = json_body.parse(to_text(body))
    out: dict[str, set[str]] = {}
    if view is None:
        for f, _ in found:
            out.setdefault(f.detector, set()).add(origin.OTHER)
        return out
    labels = origin.Origins(view.body)
    for shares, f in view.locate(found):
        position = view.segments[shares[0].piece].raw_start
        out.setdefault(f.detector, set()).add(labels.at(position))
    return out


def _parsed(body: bytes) -> Any:
    raw = to_text(body)
    if not json_body.looks_like_json(raw):
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def answer_texts(body: bytes) -> dict[int, str]:
    """The answer's text per choice; a body that is not JSON is all text."""
    root = _parsed(body)
    if root is None:
        return {0: to_text(body)}
    return text.answer_texts(root)


def prompt_text(body: bytes) -> str:
    root = _parsed(body)
    return to_text(body) if root is None else text.prompt_text(root)


def shape_findings(rule: AnswerShape, texts: dict[int, str]) -> tuple[list[Finding], str]:
    """Findings of the answer's shape violations, over the text they refer to."""
    joined = "\x00".join(texts.values()) or "\x00"
    findings = []
    for choice, answer in texts.items() or ((0, ""),):
        for v in shape.check_text(rule, answer, choice):
            findings.append(Finding(v.detector, 0, len(joined), v.confidence))
    if rule.expect_json and not texts:
        findings.append(Finding("signal/format", 0, len(joined), 1.0))
    return findings, joined


def ask_judges(
    judges: Judges,
    chosen: Sequence[Judge],
    direction: Direction,
    said: str,
    context: str = "",
) -> tuple[list[Finding], bool]:
    """Every chosen judge's findings over ``said``; True if one failed closed."""
    findings: list[Finding] = []
    closed = False
    span = max(1, len(said))
    for judge in chosen:
        asked = judges.ask(judge, direction, said, context)
        if asked.failed:
            closed = closed or judge.on_error is OnError.CLOSED
            continue
        findings += [Finding(d, 0, span, c) for d, c in asked.verdicts]
    return findings, closed


def decided(
    policy: CompiledPolicy, direction: Direction, findings: list[Finding], over: str
) -> Decision:
    if not findings:
        return NOTHING
    return decide(findings, over or "\x00", policy, direction)


class Watch:
    """A streamed answer's text, fed field by field (``Side.observe``)."""

    def __init__(self, rule: AnswerShape, on_violation: Callable[[list[Finding]], None]) -> None:
        self._watch = shape.AnswerWatch(rule)
        self._report = on_violation

    def feed(self, path: text.Path, kind: str | None, thought: bool, piece: str) -> None:
        if text.is_answer(path, kind, thought):
            self._report(_as_findings(self._watch.feed(text.choice_of(path), piece)))

    def feed_text(self, piece: str) -> None:
        """A body without fields (plain text): all of it is the answer's text."""
        self._report(_as_findings(self._watch.feed(0, piece)))

    def finish(self) -> None:
        self._report(_as_findings(self._watch.finish()))


def _as_findings(violations: list[shape.Violation]) -> list[Finding]:
    return [Finding(v.detector, 0, 1, v.confidence) for v in violations]
