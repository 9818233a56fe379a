"""What one exchange says when a limit is crossed or the budget store is
down: a warning and a metric, each limit once per exchange, the client named
by its keyed hash and group only (never its identity, never a value).
"""

from __future__ import annotations

import logging

from extproc.govern.attribution import Client
from extproc.policy.model import Action
from extproc.recording import Recorder

log = logging.getLogger("extproc.govern")


class Alerts:
    """One exchange's alerts."""

    def __init__(self, recorder: Recorder, policy: str) -> None:
        self._recorder = recorder
        self._policy = policy
        self._alerted: set[str] = set()

    def exceeded(
        self,
        name: str,
        client: Client,
        detectors: tuple[str, ...],
        action: Action,
        scope: str,
        count: int,
    ) -> None:
        """Limit ``name`` (a rule's entry, ``budgets:<id>``) was crossed."""
        if name in self._alerted:
            return
        self._alerted.add(name)
        for detector in detectors:
            self._recorder.budget_exceeded(detector, client.group, action.value, scope)
        log.warning(
            "volume limit exceeded",
            extra={
                "policy": self._policy,
                "limit": name,
                "scope": scope,
                "action": action.value,
                "count": count,
                "client": client.id,
                "client_class": client.group,
                "detectors": list(detectors),
            },
        )

    def unavailable(self, mode: str, reason: str) -> None:
        """The budget store did not answer; ``mode``: open or closed."""
        self._recorder.budget_error(mode)
        log.warning(
            "budget store unavailable",
            extra={"policy": self._policy, "fail_mode": mode, "error": reason},
        )
