"""Findings + policy -> what to do with each. Pure: no I/O, no logging, no values kept."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from extproc.detect.finding import Finding
from extproc.policy.compile import CompiledPolicy
from extproc.policy.model import Action, Direction


@dataclass(frozen=True, slots=True)
class Decision:
    """The findings acted on (or logged), each with its action, and a count of the rest.

    ``suppressed`` counts findings dropped by the allow-list or the rule's threshold.
    A merged decision summarises several texts: its offsets then refer to each
    finding's own text, so rewrite with the per-text decisions.
    """

    actions: tuple[tuple[Finding, Action], ...] = ()
    suppressed: int = 0

    @property
    def blocked(self) -> bool:
        return any(action is Action.BLOCK for _, action in self.actions)

    @property
    def rewrites(self) -> bool:
        return any(action.rewrites for _, action in self.actions)

    @property
    def rewrite_actions(self) -> tuple[tuple[Finding, Action], ...]:
        """The findings whose text is replaced, in text order."""
        return tuple(pair for pair in self.actions if pair[1].rewrites)

    @property
    def categories(self) -> tuple[str, ...]:
        """Sorted unique detector ids reported; safe for headers and metric labels."""
        return tuple(sorted({finding.detector for finding, _ in self.actions}))

    @property
    def max_confidence(self) -> float:
        return max((finding.confidence for finding, _ in self.actions), default=0.0)

    @classmethod
    def merge(cls, decisions: Iterable[Decision]) -> Decision:
        """One summary for the many texts of a body (e.g. every string of a JSON document)."""
        actions: list[tuple[Finding, Action]] = []
        suppressed = 0
        for decision in decisions:
            actions.extend(decision.actions)
            suppressed += decision.suppressed
        return cls(tuple(actions), suppressed)


NOTHING = Decision()


def decide(
    findings: Sequence[Finding], text: str, policy: CompiledPolicy, direction: Direction
) -> Decision:
    """Attach its action to each finding in ``text`` that passes threshold and allow-list."""
    actions: list[tuple[Finding, Action]] = []
    suppressed = 0
    for finding in findings:
        resolved = policy.resolved.get((finding.detector, direction))
        if resolved is None:
            continue  # off in this direction: scanned only for the other one
        action, min_confidence = resolved
        if finding.confidence < min_confidence or policy.is_allowed(
            text[finding.start : finding.end]
        ):
            suppressed += 1
            continue
        actions.append((finding, action))
    return Decision(tuple(actions), suppressed)
