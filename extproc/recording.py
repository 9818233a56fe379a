"""What the server reports about its work, as one small interface.

The pure layers call these methods and know nothing of OpenTelemetry;
``extproc.telemetry.recorder`` implements them with real instruments. The default
records nothing. Arguments are ids, counts and durations: never values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class DirectionSummary(Protocol):
    """What one direction of an exchange found (see ``extproc.tally.Seen``)."""

    @property
    def counts(self) -> Mapping[str, int]: ...  # detector id -> findings acted on

    @property
    def actions(self) -> Mapping[str, str]: ...  # detector id -> action taken

    @property
    def scanned_bytes(self) -> int: ...

    @property
    def scan_seconds(self) -> float: ...

    @property
    def outcome(self) -> str: ...  # pass | redacted | blocked | oversize | error, or a

    # volume decision: blocked_bulk | blocked_budget | blocked_cap | blocked_unavailable


class Recorder:
    """Calls about one stream come from that stream's own task, in this order:
    ``stream_started``, ``message_handled``..., ``stream_failed`` (if it failed),
    ``exchange_done`` (if a policy saw it), ``stream_ended``."""

    def stream_started(self) -> None:
        """An ext_proc stream (one HTTP exchange) opened."""

    def stream_ended(self) -> None:
        """It closed, however it ended."""

    def message_handled(self, direction: str, seconds: float) -> None:
        """One ext_proc message answered (``direction``: request or response)."""

    def exchange_done(
        self,
        policy: str,
        route_class: str,
        directions: Mapping[str, DirectionSummary],
        traceparent: str = "",
    ) -> None:
        """The exchange's verdict per direction that saw traffic. ``traceparent``
        is the request's W3C header (or ""): the stream's span continues it."""

    def stream_failed(self, direction: str) -> None:
        """An exchange failed inside the server (counted as decision=error)."""

    def policy_reload(self, ok: bool) -> None:
        """A changed policy was loaded (ok) or refused (the last good one stays)."""

    def budget_exceeded(self, detector: str, client_class: str, action: str, scope: str) -> None:
        """A volume limit was crossed (``dlp.budget.exceeded``): ``scope`` is
        ``exchange`` (a rule's max_values) or ``window`` (a per-client budget);
        ``action`` block or log; ``client_class`` a policy group or ``other``."""

    def budget_error(self, fail_mode: str) -> None:
        """The budget store could not answer in time (``dlp.budget.errors``);
        ``fail_mode``: open (the exchange passed) or closed (it was blocked)."""

    def judge_call(self, judge: str, outcome: str) -> None:
        """A judge was asked (``dlp.judge.calls``): ``outcome`` ok, cached,
        timeout, error or busy (the last three apply the judge's fail mode)."""

    def caller_refused(self) -> None:
        """A caller whose certificate names no allowed client was refused
        (``dlp.callers.refused``), before any message was read."""


NOOP = Recorder()
