"""What an exchange found so far, per direction: detector ids and counts,
never values. The risk headers, the access-log metadata, the decision log
and the metrics all read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from extproc.answers import risk_headers
from extproc.policy.decide import Decision
from extproc.policy.model import Direction


@dataclass(slots=True)
class Seen:
    """What one direction of the exchange found so far (ids and counts, no values)."""

    counts: dict[str, int] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    blocked: bool = False
    rewritten: bool = False
    oversize: bool = False
    undecodable: bool = False
    max_confidence: float = 0.0
    suppressed: int = 0
    scanned_bytes: int = 0
    scan_seconds: float = 0.0
    touched: bool = False  # this direction was seen at all
    limited: str = ""  # a volume or size limit ended it: bulk, budget, unavailable, cap
    # Where in a prompt signals were found (``signals.origin``): labels, never text.
    origins: dict[str, set[str]] = field(default_factory=dict)

    def add(self, decision: Decision) -> None:
        for finding, action in decision.actions:
            self.counts[finding.detector] = self.counts.get(finding.detector, 0) + 1
            self.actions[finding.detector] = action.value
            self.max_confidence = max(self.max_confidence, finding.confidence)
        self.blocked = self.blocked or decision.blocked
        self.rewritten = self.rewritten or decision.rewrites
        self.suppressed += decision.suppressed

    @property
    def outcome(self) -> str:
        if self.limited:
            return f"blocked_{self.limited}"
        if self.blocked:
            return "blocked"
        if self.oversize or self.undecodable:
            return "oversize"
        if self.rewritten:
            return "redacted"
        return "pass"


class Tally:
    """Both directions' ``Seen``: answers about the exchange so far."""

    __slots__ = ("route", "seen")

    def __init__(self) -> None:
        self.seen = {Direction.REQUEST: Seen(), Direction.RESPONSE: Seen()}
        # The request's path without its query, each value found in it
        # replaced by its detector id: what Envoy's access log may show.
        self.route = ""

    def categories(self) -> list[str]:
        request, response = self.seen.values()
        if not response.counts:  # the common cases first: most exchanges find nothing
            return sorted(request.counts)
        return sorted(request.counts.keys() | response.counts.keys())

    def confidence(self) -> float:
        return max(s.max_confidence for s in self.seen.values())

    def risk_headers(self) -> tuple[tuple[str, str], ...]:
        categories = self.categories()
        if not categories:
            return ()
        blocked = any(s.blocked for s in self.seen.values())
        return risk_headers(categories, blocked, self.confidence())

    def metadata(self, policy: str) -> dict[str, object]:
        """For Envoy's access log: decision per direction and detector ids."""
        out: dict[str, object] = {"policy": policy}
        for direction, seen in self.seen.items():
            if seen.touched:
                out[direction.value] = seen.outcome
        out["detectors"] = ",".join(self.categories())
        if self.route:
            out["path"] = self.route
        return out

    def summary(self) -> dict[str, object]:
        """For the decision log: per direction, the decision, detectors and actions."""
        out: dict[str, object] = {}
        for direction, seen in self.seen.items():
            entry: dict[str, object] = {
                "decision": seen.outcome,
                "detectors": dict(seen.counts),
                "actions": dict(seen.actions),
            }
            if seen.origins:  # "tool result", "document"...: labels, never content
                entry["origins"] = {d: sorted(labels) for d, labels in seen.origins.items()}
            out[direction.value] = entry
        return out

    def touched(self) -> dict[str, Seen]:
        """The directions that saw traffic, by name (for the recorder)."""
        return {d.value: seen for d, seen in self.seen.items() if seen.touched}
