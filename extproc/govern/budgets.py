"""Per-client budgets over time: the store interface and its in-memory form.

A budget counts the distinct keyed hashes of values a client sent or
received within a window. A ``Charge`` offers new hashes; the store answers
how many distinct values the window then holds and whether that is over the
limit. Over the limit, the hashes are not added (the exchange is blocked, so
the values never left), unless ``commit_over`` (an alerting budget) says to.

Windows: *sliding* (a value counts while it was last seen less than a
window ago) or *fixed* (counts reset when a window of wall-clock time ends,
aligned to the epoch). The Redis store (``redis_store``) implements the same
semantics in one Lua script; the tests run both against the same cases.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Charge:
    key: str  # policy, budget and client hash: no raw identity
    members: tuple[str, ...]  # distinct value hashes
    limit: int
    window_seconds: int
    sliding: bool = True
    commit_over: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    count: int  # distinct values in the window, counting this charge's
    exceeded: bool


class BudgetUnavailable(Exception):
    """The store could not answer (down, slow, refused): the budget's fail mode applies."""


class BudgetStore(Protocol):
    def charge(self, charges: Sequence[Charge]) -> list[Outcome]:
        """One answer per charge, in order, in (at most) one round trip.
        Raises ``BudgetUnavailable``; never waits longer than its configured bound."""
        ...


@dataclass(slots=True)
class _Window:
    seen: dict[str, float] = field(default_factory=dict)  # hash -> last seen, oldest first
    expires: float = 0.0


class MemoryBudgets:
    """Budgets of this process only: the default, nothing to install.

    Bounded: at most ``max_keys`` windows (least recently charged dropped
    first) and ``max_members`` values per window (oldest dropped first)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        max_keys: int = 100_000,
        max_members: int = 100_000,
    ) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._max_members = max_members
        self._windows: OrderedDict[str, _Window] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._windows)

    def charge(self, charges: Sequence[Charge]) -> list[Outcome]:
        with self._lock:
            now = self._clock()
            self._expire(now)
            return [self._charge(c, now) for c in charges]

    def _charge(self, c: Charge, now: float) -> Outcome:
        if c.sliding:
            key, expires = c.key, now + c.window_seconds
        else:
            index = int(now // c.window_seconds)
            key, expires = f"{c.key}:{index}", (index + 1) * c.window_seconds
        window = self._windows.get(key)
        if window is None or window.expires <= now:
            window = _Window()
            self._windows[key] = window
        self._windows.move_to_end(key)
        seen = window.seen
        if c.sliding:
            cutoff = now - c.window_seconds
            for member in list(seen):  # oldest first: stop at the first fresh one
                if seen[member] > cutoff:
                    break
                del seen[member]
        new = sum(1 for m in c.members if m not in seen)
        count = len(seen) + new
        exceeded = count > c.limit
        if not exceeded or c.commit_over:
            for member in c.members:
                seen.pop(member, None)
                seen[member] = now
            while len(seen) > self._max_members:
                del seen[next(iter(seen))]
            window.expires = max(window.expires, expires)
        while len(self._windows) > self._max_keys:
            self._windows.popitem(last=False)
        return Outcome(count, exceeded)

    def _expire(self, now: float, batch: int = 16) -> None:
        """Drop a few expired windows from the least recently charged end."""
        for _ in range(batch):
            if not self._windows:
                return
            key, window = next(iter(self._windows.items()))
            if window.expires > now:
                return
            del self._windows[key]


class Breaker:
    """After a failure, fail fast for ``cooldown`` seconds: while the store is
    down, exchanges get the fail mode at once instead of each waiting out the
    timeout. One exchange per cooldown tries the store again."""

    def __init__(
        self,
        store: BudgetStore,
        cooldown: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._cooldown = cooldown
        self._clock = clock
        self._open_until = 0.0

    def charge(self, charges: Sequence[Charge]) -> list[Outcome]:
        if self._clock() < self._open_until:
            raise BudgetUnavailable("the budget store failed recently")
        try:
            return self._store.charge(charges)
        except BudgetUnavailable:
            self._open_until = self._clock() + self._cooldown
            raise
