"""The DLP inspector: one HTTP exchange seen through a policy.

It implements ``extproc.exchange.Inspector``: it picks the policy when the
request headers arrive, scans bodies (JSON-aware), asks the policy what to do
with each finding, and answers with rewritten bytes, risk headers or a block.
Per-exchange state (what was found so far, the placeholder map of
pseudonymisation) lives here and dies with the exchange.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from extproc.answers import (
    error_body,
    json_answer,
    oversize_answer,
    risk_headers,
    undecodable_answer,
)
from extproc.bodies import Scanned, scan_body
from extproc.exchange import BodyMode, BodyStream, Headers, Immediate, Verdict
from extproc.govern.guard import Governor, Guard, Stop
from extproc.policy.compile import CompiledPolicy
from extproc.policy.decide import Decision
from extproc.policy.model import Direction, OnOversize
from extproc.recording import NOOP, Recorder
from extproc.rewrite.encoding import IDENTITY, TooLarge, Undecodable, can_decode, decode_all
from extproc.rewrite.pseudonym import Pseudonyms
from extproc.rewrite.redact import Renderer, unchanged
from extproc.rewrite.text import to_bytes, to_text

log = logging.getLogger("extproc.decision")

REQUEST = Direction.REQUEST
RESPONSE = Direction.RESPONSE

# Envoy's default per-connection buffer is 1 MiB; larger buffered bodies never
# reach the processor. This bounds what the server itself decodes and scans.
DEFAULT_MAX_BODY = 8 * 1024 * 1024

_PROCESS_KEY = os.urandom(32)


def hash_key(policy: CompiledPolicy) -> bytes:
    """The HMAC key for ``hash``: from the policy's env var, else per process."""
    name = policy.hash_key_env
    value = os.environ.get(name) if name else None
    return value.encode() if value else _PROCESS_KEY


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


class DlpInspector:
    """Per exchange. ``select`` picks the policy from host and path."""

    def __init__(
        self,
        select: Callable[[str, str, str | None], CompiledPolicy],
        recorder: Recorder | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        governor: Governor | None = None,
        attributes: Mapping[str, object] | None = None,
    ) -> None:
        self._select = select
        self._recorder = recorder or NOOP
        self._governor = governor or _default_governor()
        # Envoy's request attributes (source.address...), read only for attribution.
        self._attributes = attributes if attributes is not None else {}
        self._request_headers: Headers = {}
        self._guard: Guard | None = None
        self.max_body = max_body
        self.policy: CompiledPolicy | None = None
        self._renderer: Renderer | None = None
        self.seen = {REQUEST: Seen(), RESPONSE: Seen()}
        self.request_id = ""
        self.traceparent = ""
        self.route = ""
        self.content_type = {REQUEST: "", RESPONSE: ""}
        self.encoding = {REQUEST: "", RESPONSE: ""}  # non-identity encoding being decoded
        self.pseudonyms = Pseudonyms()  # this exchange's placeholder map; never logged

    # -- Inspector -------------------------------------------------------

    def headers(
        self, direction: Direction, headers: Headers, end_of_stream: bool, mode: BodyMode
    ) -> Verdict:
        policy = self.current_policy(headers if direction is REQUEST else None)
        seen = self.seen[direction]
        seen.touched = True
        self.content_type[direction] = headers.get("content-type", "").lower()
        if direction is REQUEST:
            self._request_headers = headers  # for attribution, when needed
        guard = self.guard() if policy.governance.active else None
        length = headers.get("content-length", "")
        if guard is not None and length.isdigit() and guard.on_length(direction, int(length)):
            return self._limited(direction)
        wanted: BodyMode | None = None
        if not policy.needs_body(direction) and not (guard and guard.needs_body(direction)):
            wanted = BodyMode.NONE
        elif direction is RESPONSE and "text/event-stream" in self.content_type[direction]:
            # Stream SSE answers (time to first token), whatever the default mode.
            wanted = BodyMode.STREAMED if not mode.streaming else None
        remove: list[str] = []
        set_headers: list[tuple[str, str]] = []
        if direction is REQUEST:
            self.request_id = headers.get("x-request-id", "")
            self.traceparent = headers.get("traceparent", "")
            self.route = headers.get(":path", "").split("?", 1)[0][:200]
            if policy.needs_body(RESPONSE) and "accept-encoding" in headers:
                # Ask upstreams for identity-encoded answers, so they can be scanned.
                remove.append("accept-encoding")
        else:
            set_headers.extend(self._risk_headers())
        effective = wanted if wanted is not None else mode
        encoding = headers.get("content-encoding", "")
        if effective is not BodyMode.NONE and not end_of_stream and encoding.strip():
            if not can_decode(encoding):
                seen.undecodable = True
                if policy.limits.on_undecodable is OnOversize.BLOCK:
                    return Verdict(block=self._undecodable_answer(), metadata=self.metadata())
                wanted = BodyMode.NONE  # pass, unscanned (counted)
            elif encoding.strip().lower() not in IDENTITY:
                # The body is decoded for scanning and sent on identity-encoded.
                self.encoding[direction] = encoding
                remove.append("content-encoding")
        no_body = end_of_stream or (wanted if wanted is not None else mode) is BodyMode.NONE
        return Verdict(
            set_headers=tuple(set_headers),
            remove_headers=tuple(remove),
            body_mode=wanted,
            # The last answer of the exchange carries the decision for the
            # access log: here only if no response body follows.
            metadata=self.metadata() if direction is RESPONSE and no_body else None,
        )

    def body(self, direction: Direction, body: bytes, complete: bool) -> Verdict:
        policy = self.current_policy(None)
        seen = self.seen[direction]
        seen.touched = True
        limit = policy.limits.max_body_bytes or self.max_body
        encoded = self.encoding[direction]
        if len(body) > limit or not complete:
            return self._oversize(policy, seen)
        if encoded:
            try:
                body = decode_all(encoded, body, limit)
            except TooLarge:
                return self._oversize(policy, seen)
            except Undecodable:
                return Verdict(block=self._undecodable_answer(), metadata=self.metadata())
        guard = self.guard() if policy.governance.active else None
        if guard is not None and guard.on_bytes(direction, len(body)):
            return self._limited(direction)
        started = time.perf_counter()
        scanned = self.scan_body(policy, direction, body)
        seen.scan_seconds += time.perf_counter() - started
        seen.scanned_bytes += len(body)
        seen.add(scanned.decision)
        if scanned.decision.blocked:
            return Verdict(block=self.block_answer(direction), metadata=self.metadata())
        if guard is not None:
            guard.admit(direction, scanned.text, scanned.decision.actions, whole=True)
            if guard.stop(direction):
                return self._limited(direction)
        if scanned.decision.rewrites or (direction is RESPONSE and len(self.pseudonyms)):
            new = to_bytes(scanned.new_text())
            data: bytes | None = new if new != body or encoded else None
        else:
            data = body if encoded else None  # decoded: send it on identity-encoded
        return Verdict(
            data=data, set_headers=self._body_headers(direction), metadata=self.metadata()
        )

    def _limited(self, direction: Direction) -> Verdict:
        return Verdict(block=self.block_answer(direction), metadata=self.metadata())

    def _oversize(self, policy: CompiledPolicy, seen: Seen) -> Verdict:
        seen.oversize = True
        if policy.limits.on_oversize is OnOversize.BLOCK:
            return Verdict(block=self._oversize_answer(), metadata=self.metadata())
        return Verdict(metadata=self.metadata())

    def stream(self, direction: Direction) -> BodyStream:
        from extproc.streams import SseStream, TextStream

        if "text/event-stream" in self.content_type[direction]:
            return SseStream(self, direction)
        return TextStream(self, direction)

    def close(self) -> dict[str, object]:
        policy = self.policy
        summary: dict[str, object] = {}
        if policy is None:
            return summary
        for direction, seen in self.seen.items():
            summary[direction.value] = {
                "decision": seen.outcome,
                "detectors": dict(seen.counts),
                "actions": dict(seen.actions),
            }
        if any(s.counts or s.oversize or s.limited for s in self.seen.values()):
            log.info(
                "decision",
                extra={
                    "request_id": self.request_id,
                    "policy": policy.name,
                    "route": self.route,
                    **self.guard().summary(),  # the client's keyed hash and class
                    **summary,
                },
            )
        self._recorder.exchange_done(
            policy.name,
            "",
            {d.value: seen for d, seen in self.seen.items() if seen.touched},
            self.traceparent,
        )
        return summary

    # -- scanning --------------------------------------------------------

    def scan_body(self, policy: CompiledPolicy, direction: Direction, body: bytes) -> Scanned:
        text = to_text(body)
        if direction is REQUEST:
            self.pseudonyms.reserve(text)
        return scan_body(policy, direction, text, self.renderer(policy), self.gap(direction))

    # -- helpers ---------------------------------------------------------

    def current_policy(self, request_headers: Headers | None = None) -> CompiledPolicy:
        if self.policy is None:
            h = request_headers or {}
            host = h.get(":authority") or h.get("host", "")
            self.policy = self._select(host, h.get(":path", ""), None)
        return self.policy

    def guard(self) -> Guard:
        """Governance of this exchange (attribution, volume, budgets, caps)."""
        if self._guard is None:
            policy = self.current_policy()
            self._guard = self._governor.guard(
                policy.name, policy.governance, self._request_headers, self._attributes
            )
        return self._guard

    def stopped(self, direction: Direction) -> Stop | None:
        """The volume or size limit that ended ``direction``, if one did."""
        stop = self._guard.stop(direction) if self._guard is not None else None
        if stop is not None:
            self.seen[direction].limited = stop.kind
        return stop

    def renderer(self, policy: CompiledPolicy) -> Renderer:
        if self._renderer is None:
            self._renderer = Renderer(
                policy.redaction, hash_key(policy), self.pseudonyms.placeholder
            )
        return self._renderer

    def gap(self, direction: Direction) -> Callable[[str], str]:
        """What happens to text between findings: answers get originals back
        where they repeat a placeholder this exchange issued."""
        if direction is RESPONSE and len(self.pseudonyms):
            return self.pseudonyms.restore
        return unchanged

    def metadata(self) -> dict[str, object]:
        """For Envoy's access log: decision per direction and detector ids."""
        out: dict[str, object] = {"policy": self.current_policy().name}
        for direction, seen in self.seen.items():
            if seen.touched:
                out[direction.value] = seen.outcome
        out["detectors"] = ",".join(self._categories())
        return out

    def _categories(self) -> list[str]:
        ids: set[str] = set()
        for seen in self.seen.values():
            ids.update(seen.counts)
        return sorted(ids)

    def _confidence(self) -> float:
        return max(s.max_confidence for s in self.seen.values())

    def _risk_headers(self) -> tuple[tuple[str, str], ...]:
        blocked = any(s.blocked for s in self.seen.values())
        return risk_headers(self._categories(), blocked, self._confidence())

    def _body_headers(self, direction: Direction) -> tuple[tuple[str, str], ...]:
        seen = self.seen[direction]
        if direction is REQUEST:
            if not seen.rewritten:
                return ()
            return (("x-dlp-redacted", ",".join(sorted(seen.counts))),)
        return self._risk_headers()

    def block_body(self, direction: Direction) -> bytes:
        stop = self.stopped(direction)
        if stop is not None:
            return error_body(stop.message, stop.code, stop.detectors)
        categories = self._categories()
        what = "request" if direction is REQUEST else "answer"
        return error_body(
            f"The {what} was blocked because it contains sensitive data ({', '.join(categories)}).",
            "sensitive_data_detected",
            categories,
        )

    def block_answer(self, direction: Direction) -> Immediate:
        body = self.block_body(direction)
        stop = self.stopped(direction)
        status, details = (stop.status, f"dlp_{stop.kind}") if stop else (403, "dlp_blocked")
        return json_answer(status, body, details, self._categories(), self._confidence())

    def _oversize_answer(self) -> Immediate:
        return oversize_answer(self._categories(), self._confidence())

    def _undecodable_answer(self) -> Immediate:
        return undecodable_answer(self._categories(), self._confidence())


POLICY_METADATA = "x-dlp-policy"


@functools.cache
def _default_governor() -> Governor:
    """Budgets in memory and a random key, for inspectors built without one."""
    return Governor()


def policy_inspectors(
    path: str, recorder: Recorder | None = None, governor: Governor | None = None
) -> tuple[Callable[[Mapping[str, str], Mapping[str, object]], DlpInspector], Callable[[], None]]:
    """A per-stream inspector factory over the policies at ``path``, and the
    reload step the server runs periodically. Each stream takes one snapshot
    of the policy set when it starts; a reload swaps the reference for new ones.

    A route can name its policy: Envoy's ``ExtProcPerRoute`` adds gRPC initial
    metadata ``x-dlp-policy: NAME`` to the streams of that route. An unknown
    name fails the stream, so Envoy applies the operator's failure mode.

    ``governor`` holds the hash key and the budget store shared by every
    stream (default: in memory, a random key); ``attributes`` are Envoy's
    request attributes of the stream, for attribution."""
    from extproc.policy.store import PolicyStore

    store = PolicyStore(path)
    shared = governor or Governor(recorder=recorder)

    def new_inspector(
        stream_metadata: Mapping[str, str], attributes: Mapping[str, object] | None = None
    ) -> DlpInspector:
        snapshot = store.current()
        name = stream_metadata.get(POLICY_METADATA) or None
        if name is not None:
            chosen = snapshot.select("", "", name)  # raises UnknownPolicyError
            return DlpInspector(
                lambda _h, _p, _n: chosen, recorder, governor=shared, attributes=attributes
            )
        return DlpInspector(snapshot.select, recorder, governor=shared, attributes=attributes)

    def reload() -> None:
        result = store.reload_if_changed()
        if result is None:
            return
        (recorder or NOOP).policy_reload(result.ok)
        if result.ok:
            log.info("policy reloaded", extra={"path": path})
        else:
            log.error("policy reload refused", extra={"path": path, "errors": list(result.errors)})

    return new_inspector, reload
