"""Whole bodies (buffered): scanned JSON-aware, decided, and rewritten on demand.

A JSON body is scanned as the text of its decoded strings (see
``rewrite.json_body``); anything else as plain text. The decision's offsets
refer to ``Scanned.text``; ``new_text()`` builds the rewritten body only
when something changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from extproc.detect.finding import Finding
from extproc.policy.decide import NOTHING, Decision, decide
from extproc.policy.model import REWRITING, Action
from extproc.rewrite import json_body
from extproc.rewrite.redact import apply, unchanged
from extproc.side import Side


@dataclass(frozen=True, slots=True)
class Scanned:
    """A whole body, scanned and decided."""

    decision: Decision
    new_text: Callable[[], str]
    text: str = ""  # what the decision's offsets refer to


def scan_body(side: Side, text: str) -> Scanned:
    """Scan and decide ``text`` for ``side``; its ``gap`` rewrites the text
    between findings (restoring pseudonyms)."""
    policy, direction, renderer, gap = side.policy, side.direction, side.renderer, side.gap()
    checked = gap is unchanged and not policy.governance.active and "\\" not in text
    if checked and policy.scanner.clear(text):
        # Without escapes every JSON string, key and number is a verbatim piece
        # of the body: nothing can be found in the body, so nothing in them.
        # Skips parsing clean bodies. (Governance counts the parsed text.)
        return Scanned(NOTHING, lambda: text, text)
    view = json_body.parse(text)
    if view is None:
        decision = decide(policy.scanner.scan(text, gate=not checked), text, policy, direction)
        return Scanned(
            decision, lambda: apply(text, decision.rewrite_actions, renderer, gap=gap), text
        )
    found = policy.scanner.scan(view.joined, gate=not checked)
    decision = decide(found, view.joined, policy, direction)
    per_segment: dict[json_body.Segment, list[tuple[Finding, Action]]] = {}
    kept: list[tuple[Finding, Action]] = []
    for seg, rel, (original, action) in view.locate([(f, (f, a)) for f, a in decision.actions]):
        per_segment.setdefault(seg, []).append((rel, action))
        kept.append((original, action))
    decision = Decision(tuple(kept), decision.suppressed)

    def new_text() -> str:
        def content(seg: json_body.Segment) -> str | None:
            acted = [p for p in per_segment.get(seg, ()) if p[1] in REWRITING]
            old = view.content(seg)
            if not acted and seg.kind is json_body.Kind.NUMBER:
                return None
            new = apply(old, acted, renderer, gap=gap)
            return None if new == old and not acted else new

        # Text between findings changes only when ``gap`` restores pseudonyms:
        # otherwise only the segments with findings are visited.
        only = sorted(per_segment) if gap is unchanged else None  # body order
        return json_body.rewrite(view, content, only)

    return Scanned(decision, new_text, view.joined)
