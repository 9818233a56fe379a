"""Findings + policy -> what to do with each. Pure: no I/O, no logging, no values kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from extproc.detect.finding import Finding
from extproc.policy.compile import CompiledPolicy
from extproc.policy.model import REWRITING, Action, Direction


@dataclass(frozen=True, slots=True)
class Decision:
    """The findings acted on (or logged), each with its action, and a count of the rest.

    ``suppressed`` counts findings dropped by the allow-list or the rule's threshold.
    """

    actions: tuple[tuple[Finding, Action], ...] = ()
    suppressed: int = 0
    # Derived once: a body can carry tens of thousands of findings.
    blocked: bool = field(init=False, default=False)
    rewrites: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        used = {action for _, action in self.actions}
        object.__setattr__(self, "blocked", Action.BLOCK in used)
        object.__setattr__(self, "rewrites", not used.isdisjoint(REWRITING))

    @property
    def rewrite_actions(self) -> tuple[tuple[Finding, Action], ...]:
        """The findings whose text is replaced, in text order."""
        if not self.rewrites:
            return ()
        return tuple(pair for pair in self.actions if pair[1] in REWRITING)


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
