"""What a compiled policy resolved per detector and direction: the table
``decide`` reads (``CompiledPolicy.resolved``), read the same way."""

from __future__ import annotations

from extproc.policy.compile import CompiledPolicy
from extproc.policy.model import Action, Direction


def action_for(policy: CompiledPolicy, detector: str, direction: Direction) -> Action:
    """The deciding rule's action; off when no rule enables the detector there."""
    resolved = policy.resolved.get((detector, direction))
    return resolved[0] if resolved else Action.OFF


def min_confidence_for(policy: CompiledPolicy, detector: str, direction: Direction) -> float:
    """Findings below this confidence are suppressed; 1.0 when the detector is off."""
    resolved = policy.resolved.get((detector, direction))
    return resolved[1] if resolved else 1.0
