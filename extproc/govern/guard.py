"""Governance of one exchange: who the client is, how many distinct values
each direction carries, what the client's budgets say, how large it may be.

``Governor`` is the process-wide part (key, budget store, recorder), ``Guard``
the per-exchange part. The inspector offers each body, or each released piece
of a streamed body, with the findings acted on; the guard answers with how
much may leave and, once a limit is crossed, a ``Stop`` that says why.
Budget checks cost one store call per body (buffered) or per released piece
that carries a value new to a budget (streamed), never one per value.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from extproc.detect.finding import Finding
from extproc.govern.alerts import Alerts
from extproc.govern.attribution import Attributes, Client, Headers, attribute
from extproc.govern.budgets import Breaker, BudgetStore, BudgetUnavailable, Charge, MemoryBudgets
from extproc.govern.keys import Hasher
from extproc.policy.compile import BudgetLimit, Governance
from extproc.policy.model import Action, Cap, Direction, OnError
from extproc.recording import NOOP, Recorder

CHARS_PER_TOKEN = 4  # OpenAI's rule of thumb for English text
# Content signals (a refusal, an injection) are events, not values: an
# exchange that carries one counts once towards a budget, whatever its words.
SIGNAL_PREFIX = "signal/"

StopKind = Literal["bulk", "budget", "unavailable", "cap"]


@dataclass(frozen=True, slots=True)
class Stop:
    """Why an exchange direction ends, as facts (``extproc.answers`` words them)."""

    kind: StopKind
    limit: int = 0  # bulk and budget: distinct values; cap: bytes or tokens
    unit: Literal["values", "bytes", "tokens"] = "values"
    window: int = 0  # budget: seconds
    detectors: tuple[str, ...] = ()


class Governor:
    """Process-wide: the hash key, the budget store (behind a breaker), the recorder."""

    def __init__(
        self,
        hasher: Hasher | None = None,
        store: BudgetStore | None = None,
        recorder: Recorder | None = None,
        cooldown: float = 1.0,
    ) -> None:
        self.hasher = hasher or Hasher()
        self.store: BudgetStore = Breaker(store or MemoryBudgets(), cooldown)
        self.recorder = recorder or NOOP

    def guard(
        self, policy: str, governance: Governance, headers: Headers, attributes: Attributes
    ) -> Guard:
        return Guard(self, policy, governance, headers, attributes)


@dataclass(slots=True)
class _Side:
    hashes: dict[str, set[str]] = field(default_factory=dict)  # detector -> value hashes
    chars: int = 0
    bytes: int = 0
    stop: Stop | None = None


class Guard:
    def __init__(
        self,
        governor: Governor,
        policy: str,
        governance: Governance,
        headers: Headers,
        attributes: Attributes,
    ) -> None:
        self._governor = governor
        self._policy = policy
        self._gov = governance
        self._headers = headers
        self._attributes = attributes
        self._client: Client | None = None
        self.cap: Cap | None = governance.cap(headers.get(":path", "").split("?", 1)[0])
        self.sides = {d: _Side() for d in Direction}
        self._charged: set[tuple[int, str]] = set()  # (budget index, value hash)
        self._event = os.urandom(16).hex()  # this exchange, as a budget counts signals
        self._alerts = Alerts(governor.recorder, policy)

    @property
    def client(self) -> Client:
        """Attributed on first use (the decision log, a budget): one HMAC."""
        if self._client is None:
            config = self._gov.attribution
            self._client = attribute(config, self._headers, self._attributes, self._governor.hasher)
        return self._client

    def stop(self, direction: Direction) -> Stop | None:
        return self.sides[direction].stop

    def needs_body(self, direction: Direction) -> bool:
        """A size cap needs the body counted even where no detector is on."""
        cap = self.cap
        return cap is not None and (
            cap.max_bytes(direction) is not None or cap.max_tokens(direction) is not None
        )

    def summary(self) -> dict[str, object]:
        """For the decision log: the client's keyed hash, never its identity."""
        client = self.client
        out: dict[str, object] = {
            "client": client.id,
            "client_source": client.source,
            "client_class": client.group,
        }
        stops = {d.value: s.stop.kind for d, s in self.sides.items() if s.stop is not None}
        if stops:
            out["limited"] = stops
        return out

    # -- sizes -----------------------------------------------------------------------

    def on_length(self, direction: Direction, length: int) -> Stop | None:
        """A declared ``content-length`` over the byte cap: stop before the body."""
        limit = self.cap.max_bytes(direction) if self.cap else None
        if limit is not None and length > limit:
            return self._cap(direction, limit, "bytes")
        return None

    def on_bytes(self, direction: Direction, n: int) -> Stop | None:
        side = self.sides[direction]
        side.bytes += n
        limit = self.cap.max_bytes(direction) if self.cap else None
        if side.stop is None and limit is not None and side.bytes > limit:
            return self._cap(direction, limit, "bytes")
        return side.stop

    def _cap(self, direction: Direction, limit: int, unit: Literal["bytes", "tokens"]) -> Stop:
        stop = Stop("cap", limit, unit)
        self.sides[direction].stop = stop
        return stop

    # -- values ----------------------------------------------------------------------

    def admit(
        self,
        direction: Direction,
        text: str,
        actions: Sequence[tuple[Finding, Action]],
        offset: int = 0,
        whole: bool = False,
        counts_text: bool = True,
    ) -> int:
        """How many leading characters of ``text`` may leave (``len(text)``: all).

        ``actions`` are the findings acted on in ``text``, with offsets that
        start at ``offset``. Values are counted, budgets charged and the size
        cap applied; on a limit, ``stop(direction)`` says why, and the text is
        cut where the value or token that crossed it begins. A ``whole`` body
        is blocked entirely on a limit, so its values are then not charged;
        a streamed piece lets its text before the cut leave, charged.
        ``counts_text`` False: not generated text (an id in an SSE event), so
        not counted towards a token cap."""
        side = self.sides[direction]
        if side.stop is not None:
            return 0
        cut = len(text)
        counted = self._gov.counted[direction]
        if counted and actions:
            new: list[tuple[Finding, str]] = []
            hasher = self._governor.hasher
            for finding, _ in actions:
                if finding.detector not in counted:
                    continue
                if finding.detector.startswith(SIGNAL_PREFIX):
                    digest = self._event
                else:
                    value = text[finding.start - offset : finding.end - offset]
                    digest = hasher.value(finding.detector, value)
                seen = side.hashes.setdefault(finding.detector, set())
                if digest in seen:
                    continue
                seen.add(digest)
                new.append((finding, digest))
                if self._over_volume(direction, side, finding.detector):
                    cut = finding.start - offset
                    new.pop()
                    break
            if new and self._gov.budgets and not (whole and side.stop is not None):
                first = self._charge(direction, side, new)
                if first is not None:
                    cut = min(cut, first.start - offset)
        limit = self.cap.max_tokens(direction) if self.cap and counts_text else None
        if limit is not None and side.stop is None:
            room = limit * CHARS_PER_TOKEN - side.chars
            if cut > room:
                cut = max(0, room)
                self._cap(direction, limit, "tokens")
                for finding, _ in actions:  # never let part of a value out
                    if finding.start - offset < cut < finding.end - offset:
                        cut = finding.start - offset
        if counts_text:
            side.chars += cut
        return max(0, cut)

    def _over_volume(self, direction: Direction, side: _Side, detector: str) -> bool:
        for limit in self._gov.volume:
            if direction not in limit.directions or detector not in limit.detectors:
                continue
            count = sum(len(side.hashes.get(d, ())) for d in limit.detectors)
            if count <= limit.max_values:
                continue
            detectors = tuple(sorted(d for d in limit.detectors if side.hashes.get(d)))
            self._alerts.exceeded(
                limit.entry, self.client, detectors, limit.action, "exchange", count
            )
            if limit.action is Action.BLOCK:
                side.stop = Stop("bulk", limit.max_values, detectors=detectors)
                return True
        return False

    def _charge(
        self, direction: Direction, side: _Side, new: list[tuple[Finding, str]]
    ) -> Finding | None:
        """Charge the budgets in one store call; the first finding not let out, if any."""
        client = self.client
        charges: list[Charge] = []
        offered: list[tuple[int, BudgetLimit, list[tuple[Finding, str]]]] = []
        for i, limit in enumerate(self._gov.budgets):
            b = limit.budget
            if direction not in b.directions:
                continue
            values = [
                (f, h)
                for f, h in new
                if f.detector in limit.detectors and (i, h) not in self._charged
            ]
            if not values:
                continue
            charges.append(
                Charge(
                    key=f"{self._policy}:{b.id}:{client.id}",
                    members=tuple(dict.fromkeys(h for _, h in values)),
                    limit=b.max_values,
                    window_seconds=b.window_seconds,
                    sliding=b.sliding,
                    commit_over=b.action is not Action.BLOCK,
                )
            )
            offered.append((i, limit, values))
        if not charges:
            return None
        try:
            outcomes = self._governor.store.charge(charges)
        except BudgetUnavailable as exc:
            return self._unavailable(side, offered, str(exc))
        first: Finding | None = None
        for (i, limit, values), outcome in zip(offered, outcomes, strict=True):
            b = limit.budget
            detectors = tuple(sorted({f.detector for f, _ in values}))
            if not outcome.exceeded:
                self._charged.update((i, h) for _, h in values)
                continue
            name = f"budgets:{b.id}"
            self._alerts.exceeded(name, self.client, detectors, b.action, "window", outcome.count)
            if b.action is not Action.BLOCK:
                self._charged.update((i, h) for _, h in values)
                continue
            if side.stop is None:
                side.stop = Stop(
                    "budget", b.max_values, window=b.window_seconds, detectors=detectors
                )
            candidate = min((f for f, _ in values), key=lambda f: f.start)
            first = candidate if first is None or candidate.start < first.start else first
        return first

    def _unavailable(
        self,
        side: _Side,
        offered: list[tuple[int, BudgetLimit, list[tuple[Finding, str]]]],
        reason: str,
    ) -> Finding | None:
        closed = [
            (limit, values)
            for _, limit, values in offered
            if limit.budget.on_error is OnError.CLOSED
        ]
        mode = "closed" if closed else "open"
        self._alerts.unavailable(mode, reason)
        if not closed:
            return None
        detectors = tuple(sorted({f.detector for _, values in closed for f, _ in values}))
        side.stop = Stop("unavailable", detectors=detectors)
        return min((f for _, values in closed for f, _ in values), key=lambda f: f.start)
