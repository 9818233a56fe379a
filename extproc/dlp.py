"""The DLP inspector: one HTTP exchange seen through a policy.

It implements ``extproc.exchange.Inspector`` and reads top to bottom as the
exchange flows: ``headers`` picks the policy (on the request), opens that
direction's ``Side`` and decides its body mode (``extproc.body_mode``);
``body`` scans a whole body (``extproc.bodies``), then its signals
(``extproc.body_signals``); ``stream`` hands a streamed body to the scanner
of its format (``extproc.formats``); ``close`` logs and records the
decision. Per-exchange state (what was found, the placeholder map of
pseudonymisation) lives here and dies with the exchange.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping

from extproc import answers, body_mode
from extproc.bodies import scan_body
from extproc.body_signals import BodySignals
from extproc.formats import stream_for
from extproc.govern.guard import Governor, Guard
from extproc.govern.keys import action_key
from extproc.headers import scan_head
from extproc.policy.compile import CompiledPolicy
from extproc.policy.model import Direction, OnOversize
from extproc.recording import NOOP, Recorder
from extproc.rewrite import sigv4
from extproc.rewrite.encoding import TooLarge, Undecodable, decode_all
from extproc.rewrite.pseudonym import Pseudonyms
from extproc.rewrite.redact import Renderer
from extproc.side import Side
from extproc.signals import hooks
from extproc.signals.judge import Judges
from extproc.tally import Tally
from extproc.verdicts import BodyMode, BodyStream, Headers, Verdict

log = logging.getLogger("extproc.decision")

REQUEST = Direction.REQUEST
RESPONSE = Direction.RESPONSE

# Envoy's default per-connection buffer is 1 MiB; larger buffered bodies never
# reach the processor. This bounds what the server itself decodes and scans.
DEFAULT_MAX_BODY = 8 * 1024 * 1024
_CLEAN = Verdict()


class DlpInspector:
    """Per exchange. ``select`` picks the policy from host and path."""

    def __init__(
        self,
        select: Callable[[str, str, str | None], CompiledPolicy],
        recorder: Recorder | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        governor: Governor | None = None,
        attributes: Mapping[str, object] | None = None,
        judges: Judges | None = None,
    ) -> None:
        self._select = select
        self._signals = BodySignals(judges)
        self._recorder = recorder or NOOP
        # Servers hand every inspector one (extproc.app); alone, budgets live and die with it.
        self._governor = governor or Governor()
        # Envoy's request attributes (source.address...), read only for attribution.
        self._attributes = attributes if attributes is not None else {}
        self._request_headers: Headers = {}
        self._guard: Guard | None = None
        self._renderer: Renderer | None = None
        self.max_body = max_body
        self.policy: CompiledPolicy | None = None
        self.tally = Tally()
        self.sides: dict[Direction, Side] = {}
        self.pseudonyms = Pseudonyms()  # this exchange's placeholder map; never logged
        self.request_id = ""
        self.traceparent = ""
        self.signature: sigv4.Signature | None = None  # the request's, if signed
        self.hash_header = False  # unsigned, with a body hash a signer reads

    @property
    def route(self) -> str:
        """The request's path without its query, values found in it replaced."""
        return self.tally.route

    # -- headers ---------------------------------------------------------

    def headers(
        self, direction: Direction, headers: Headers, end_of_stream: bool, mode: BodyMode
    ) -> Verdict:
        if direction is REQUEST:
            self._request_headers = headers  # for attribution, when needed
            self.request_id = headers.get("x-request-id", "")
            self.traceparent = headers.get("traceparent", "")
            self.tally.route = headers.get(":path", "").split("?", 1)[0][:200]
        side = self._open(direction, headers)
        guard = side.guard
        length = headers.get("content-length", "")
        if guard is not None and length.isdigit() and guard.on_length(direction, int(length)):
            return side.blocked()
        head = self._head(side, headers)
        if head.block is not None:
            return head
        return body_mode.plan(side, headers, head.set_headers, end_of_stream, mode)

    def _head(self, side: Side, headers: Headers) -> Verdict:
        """The URL and header fields scanned (``extproc.headers``): a block,
        or the headers to rewrite."""
        if side.direction is REQUEST:
            self.signature = sigv4.signature_of(headers)
            self.hash_header = self.signature is None and sigv4.hash_to_update(headers)
        if not side.policy.needs_body(side.direction):
            return _CLEAN
        head = scan_head(side, headers)
        if head is None:
            return _CLEAN
        if head.safe_path is not None:
            self.tally.route = head.safe_path.split("?", 1)[0][:200]
        if head.decision.blocked or side.stopped:
            return side.blocked()
        if head.fixed:
            return self._refuse(side, side.error())
        if self.signature is not None and self.signature.covers(head.rewritten):
            return self._refuse(side, answers.signed(self.tally.categories()))
        if side.direction is REQUEST and head.set_headers:
            return Verdict(set_headers=(*head.set_headers, *self._body_headers(side)))
        return Verdict(set_headers=head.set_headers)

    # -- body (buffered) -------------------------------------------------

    def body(self, direction: Direction, body: bytes, complete: bool) -> Verdict:
        side = self._side(direction)
        seen = side.seen
        seen.touched = True
        encoding = side.encoding
        if len(body) > side.limit or not complete:
            return side.oversize()
        if encoding:
            try:
                body = decode_all(encoding, body, side.limit)
            except TooLarge:
                return side.oversize()
            except Undecodable:
                return side.blocked(answers.UNDECODABLE)
        guard = side.guard
        if guard is not None and guard.on_bytes(direction, len(body)):
            return side.blocked()
        started = time.perf_counter()
        scanned = scan_body(side, body)
        seen.scan_seconds += time.perf_counter() - started
        seen.scanned_bytes += len(body)
        decision = scanned.decision
        seen.add(decision)
        if direction is REQUEST and decision.actions:
            # Where in the prompt a signal came from, blocked or not (labels only).
            for detector, labels in hooks.origins(body, decision).items():
                seen.origins.setdefault(detector, set()).update(labels)
        if decision.blocked:
            return side.blocked()
        if scanned.unreadable:
            seen.undecodable = True
            if side.policy.limits.on_undecodable is OnOversize.BLOCK:
                return side.blocked(answers.UNREADABLE)
        if guard is not None:
            guard.admit(direction, scanned.text, decision.actions, whole=True)
            if guard.stop(direction):
                return side.blocked()
        signalled = self._signals.check(side, self.route, body, scanned)
        if signalled is not None:
            return signalled
        headers = self._body_headers(side)
        if decision.rewrites or (direction is RESPONSE and len(self.pseudonyms)):
            new = scanned.new_body()
            data: bytes | None = new if new != body or encoding else None
            if data is not None and direction is REQUEST:
                signed = self._signed_body(side, data)
                if isinstance(signed, Verdict):
                    return signed
                headers += signed
        else:
            data = body if encoding else None  # decoded: send it on identity-encoded
        return Verdict(data=data, set_headers=headers, metadata=side.metadata())

    def calls_out(self, direction: Direction) -> bool:
        """Whether handling this direction's body may wait on a call-out: a
        judge, or a model-based recogniser beside the scan (the servicer then
        handles it off the event loop)."""
        policy = self.policy
        if policy is None:
            return False
        if policy.scanner.calls_out:
            return True
        return self._signals.asks_judges(policy, self.route, direction)

    def _signed_body(self, side: Side, new: bytes) -> Verdict | tuple[tuple[str, str], ...]:
        """A rewritten request body against its signature: refused if the
        signature covers it; else the body hash a signer further on reads."""
        if self.signature is not None and self.signature.body:
            return self._refuse(side, answers.signed(self.tally.categories()))
        return (sigv4.content_sha256(new),) if self.hash_header else ()

    def _refuse(self, side: Side, error: answers.ClientError) -> Verdict:
        """Block what would be rewritten but cannot be."""
        side.seen.blocked = True
        return side.blocked(error)

    def _body_headers(self, side: Side) -> tuple[tuple[str, str], ...]:
        if side.direction is REQUEST:
            if not side.seen.rewritten:
                return ()
            return (("x-dlp-redacted", ",".join(sorted(side.seen.counts))),)
        return self.tally.risk_headers()

    # -- stream ----------------------------------------------------------

    def stream(self, direction: Direction) -> BodyStream:
        whole = functools.partial(self.body, direction, complete=True)
        return stream_for(self._side(direction), whole)

    # -- close -----------------------------------------------------------

    def close(self) -> dict[str, object]:
        policy = self.policy
        if policy is None:
            return {}
        summary = self.tally.summary()
        seen_all = self.tally.seen
        if any(s.counts or s.oversize or s.limited for s in seen_all.values()):
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
        self._recorder.exchange_done(policy.name, "", self.tally.touched(), self.traceparent)
        return summary

    # -- the exchange's parts --------------------------------------------

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

    def _open(self, direction: Direction, headers: Headers) -> Side:
        """This direction's ``Side``, built as its headers arrive."""
        policy = self.current_policy(headers if direction is REQUEST else None)
        side = Side(
            policy,
            direction,
            self.tally,
            self._renderer_of,
            self.pseudonyms,
            self.guard() if policy.governance.active else None,
            headers.get("content-type", "").lower(),
            self.max_body,
        )
        side.seen.touched = True
        side.route = self.route
        if direction is RESPONSE:
            shape = hooks.shape_for(policy, self.route)
            if shape is not None:
                side.watch_answer(shape)
        self.sides[direction] = side
        return side

    def _renderer_of(self) -> Renderer:
        """One per exchange: pseudonyms keep one map across both directions."""
        if self._renderer is None:
            policy = self.current_policy()
            key = action_key(policy.hash_key_env)
            self._renderer = Renderer(policy.redaction, key, self.pseudonyms.placeholder)
        return self._renderer

    def _side(self, direction: Direction) -> Side:
        side = self.sides.get(direction)
        return side if side is not None else self._open(direction, {})
