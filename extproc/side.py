"""One direction of an exchange, as the inspector scans it.

A ``Side`` is built when that direction's headers arrive and holds what
scanning it needs: the policy, what was seen, the content type and its
decoder, the renderer and the text between findings (``gap``), the guard of
volume rules and caps, and how a block is answered. Whole-body scanning
(``extproc.bodies``) and every stream format (``extproc.formats``) take a
``Side``; none of them knows the inspector.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from extproc import answers
from extproc.answers import ClientError
from extproc.detect.finding import Finding
from extproc.detect.tail import build_tail
from extproc.govern.guard import Guard, Stop
from extproc.policy.compile import CompiledPolicy
from extproc.policy.decide import Decision, decide
from extproc.policy.model import Action, AnswerShape, Direction, OnOversize
from extproc.rewrite.encoding import Decoder, TooLarge, Undecodable, decoder
from extproc.rewrite.holdback import Holdback, Inspected
from extproc.rewrite.leaves import kind_of
from extproc.rewrite.pseudonym import Pseudonyms
from extproc.rewrite.redact import Renderer, apply, unchanged
from extproc.rewrite.textfield import Field
from extproc.signals.hooks import Watch
from extproc.tally import Tally
from extproc.verdicts import Immediate, Verdict

# Upper bound on held-back characters per text stream.
MAX_HOLD = 16 * 1024
_CACHE = 512


class Side:
    """Scanning, deciding and answering for one direction of one exchange."""

    __slots__ = (
        "_decoder",
        "_renderer",
        "_tail",
        "_whole_cache",
        "content_type",
        "direction",
        "encoding",
        "failed",
        "guard",
        "judge_failed",
        "limit",
        "policy",
        "pseudonyms",
        "route",
        "seen",
        "shape",
        "shape_failed",
        "tally",
        "watch",
    )

    def __init__(
        self,
        policy: CompiledPolicy,
        direction: Direction,
        tally: Tally,
        renderer: Callable[[], Renderer],
        pseudonyms: Pseudonyms,
        guard: Guard | None,
        content_type: str,
        max_body: int,
    ) -> None:
        self.policy = policy
        self.direction = direction
        self.tally = tally
        self.seen = tally.seen[direction]
        self._renderer = renderer  # the exchange's, built when first needed
        self.pseudonyms = pseudonyms  # the exchange's placeholder map; never logged
        # Volume rules, budgets and size caps (extproc.govern), if the policy sets any.
        self.guard = guard
        self.content_type = content_type
        self.route = ""  # the request's path, without its query (formats read it)
        self.limit = policy.limits.max_body_bytes or max_body
        self.encoding = ""  # a non-identity content-encoding being decoded
        self.failed = False  # the stream's encoding turned out corrupt or too large
        # Answers: the shape the route expects (``extproc.signals``), checked as
        # the text comes when streamed; a violation the policy blocks ends it.
        self.shape: AnswerShape | None = None
        self.watch: Watch | None = None
        self.shape_failed = False
        self.judge_failed = False  # a judge failed closed: the exchange ends
        self._decoder: Decoder | None = None
        self._tail: Callable[[str], int] | None = None
        self._whole_cache: dict[str, tuple[str, bool]] = {}

    @property
    def renderer(self) -> Renderer:
        return self._renderer()

    # -- answers -----------------------------------------------------------

    def gap(self) -> Callable[[str], str]:
        """What happens to text between findings: answers get originals back
        where they repeat a placeholder this exchange issued."""
        if self.direction is Direction.RESPONSE and len(self.pseudonyms):
            return self.pseudonyms.restore
        return unchanged

    def stop(self) -> Stop | None:
        """The volume or size limit that ended this direction (noted in ``seen``)."""
        stop = self.guard.stop(self.direction) if self.guard is not None else None
        if stop is not None:
            self.seen.limited = stop.kind
        return stop

    @property
    def stopped(self) -> bool:
        """A volume or size limit, or the answer's shape, ended this direction."""
        return self.shape_failed or (
            self.guard is not None and self.guard.stop(self.direction) is not None
        )

    def error(self) -> ClientError:
        """Why this direction was blocked, as the client is told."""
        stop = self.stop()
        if stop is not None:
            return answers.stopped(self.direction, stop)
        if self.judge_failed:
            return answers.JUDGE_UNAVAILABLE
        if self.seen.oversize and self.policy.limits.on_oversize is OnOversize.BLOCK:
            return answers.OVERSIZE
        return answers.sensitive(self.direction, self.tally.categories())

    def metadata(self) -> dict[str, object]:
        return self.tally.metadata(self.policy.name)

    def answer(self, error: ClientError) -> Immediate:
        return answers.immediate(error, self.tally.categories(), self.tally.confidence())

    def blocked(self, error: ClientError | None = None) -> Verdict:
        """End the exchange: ``error``, or why this direction was blocked."""
        block = self.answer(error if error is not None else self.error())
        return Verdict(block=block, metadata=self.metadata())

    def oversize(self) -> Verdict:
        """Over the size limit: blocked, or passed unscanned (counted)."""
        self.seen.oversize = True
        if self.policy.limits.on_oversize is OnOversize.BLOCK:
            return self.blocked(answers.OVERSIZE)
        return Verdict(metadata=self.metadata())

    def verdict(self, data: bytes, blocked: bool, final: bool = False) -> Verdict:
        """A streamed piece: ``data`` leaves; on a block it is the in-stream end."""
        if blocked or self.failed:
            return Verdict(data=data, block=self.answer(self.error()), metadata=self.metadata())
        # The end of the body carries the decision for Envoy's access log.
        return Verdict(data=data, metadata=self.metadata() if final else None)

    def stream_error(self, dialect: str) -> tuple[str | None, Any]:
        """The block as a streamed answer's last event, in its provider's shape."""
        return answers.stream_error(self.error(), dialect)

    # -- the answer's shape --------------------------------------------------

    def watch_answer(self, shape: AnswerShape) -> None:
        """Check this (streamed) answer's text against ``shape`` as it comes."""
        self.shape = shape
        self.watch = Watch(shape, self._violations)

    def observe(self, field: Field, text: str) -> None:
        """A piece of a streamed field's text (``rewrite.fields``)."""
        if self.watch is not None and not field.tokens:
            kind = kind_of(field.template, field.event_name)
            thought = dict(field.marks).get("thought") is True
            self.watch.feed(field.path, kind, thought, text)

    def end_of_answer(self) -> None:
        """The streamed answer ended: its whole text is checked."""
        if self.watch is not None:
            watch, self.watch = self.watch, None
            watch.finish()

    def _violations(self, findings: list[Finding]) -> None:
        if not findings:
            return
        decision = decide(findings, "\x00", self.policy, self.direction)
        self.seen.add(decision)
        if decision.blocked:
            self.shape_failed = True

    # -- streamed pieces ---------------------------------------------------

    def decode(self, chunk: bytes, final: bool = False) -> bytes:
        """Undo the content encoding; on corrupt or oversized data, fail the stream."""
        if self.failed:
            return b""
        if not self.encoding:
            return chunk
        try:
            if self._decoder is None:
                self._decoder = decoder(self.encoding, self.limit)
                assert self._decoder is not None  # identity never reaches here
            out = self._decoder.feed(chunk)
            return out + self._decoder.finish() if final else out
        except (Undecodable, TooLarge):
            self.failed = True
            self.seen.undecodable = True
            return b""

    def count(self, n: int) -> bool:
        """Count ``n`` more body bytes scanned; True once over the route's byte cap."""
        self.seen.scanned_bytes += n
        return self.guard is not None and self.guard.on_bytes(self.direction, n) is not None

    def tail(self, text: str) -> int:
        if self._tail is None:
            self._tail = build_tail(self.policy.scanner.specs, MAX_HOLD)
        # Also hold what could begin a placeholder to restore: "<EMA" | "IL_1>".
        return max(self._tail(text), self.pseudonyms.pending(text))

    def holdback(self) -> Holdback:
        """A new text stream (one per streamed field) with this side's hold-back."""
        return Holdback(self._inspect, self._rewrite, self.tail)

    def mirror(self) -> Holdback:
        """A text stream that repeats another (log-prob tokens spell the answer
        again): scanned and rewritten alike, its findings not counted twice."""
        return Holdback(self._inspect, self._rewrite_mirror, self.tail)

    def _rewrite_mirror(
        self, text: str, acted: Sequence[tuple[Finding, Action]], offset: int
    ) -> str:
        rewriting = [p for p in acted if p[1].rewrites]
        return apply(text, rewriting, self.renderer, offset, gap=self.gap())

    def _decide(self, text: str) -> Decision:
        started = time.perf_counter()
        decision = decide(self.policy.scanner.scan(text), text, self.policy, self.direction)
        self.seen.scan_seconds += time.perf_counter() - started
        return decision

    def _inspect(self, text: str) -> Inspected:
        decision = self._decide(text)
        if decision.blocked:
            self.seen.add(decision)
        return Inspected(decision.actions, decision.blocked)

    def _rewrite(self, text: str, acted: Sequence[tuple[Finding, Action]], offset: int) -> str:
        # Called once per released piece: the findings counted here are final.
        if self.guard is not None:
            keep = self.guard.admit(self.direction, text, acted, offset)
            if keep < len(text):  # a limit was crossed here: the rest never leaves
                text = text[:keep]
                acted = [p for p in acted if p[0].end - offset <= keep]
        self.seen.add(Decision(tuple(acted)))
        rewriting = [p for p in acted if p[1].rewrites]
        return apply(text, rewriting, self.renderer, offset, gap=self.gap())

    def whole(self, value: str) -> tuple[str, bool]:
        """A complete value (an id, a name) inside an event: scanned on its own.
        Returns the value to send and whether it blocks."""
        cached = self._whole_cache.get(value)
        if cached is not None:
            return cached
        decision = self._decide(value)
        self.seen.add(decision)
        if self.guard is not None and not decision.blocked:
            kept = self.guard.admit(self.direction, value, decision.actions, counts_text=False)
            if kept < len(value):
                return (value, True)
        if decision.blocked:
            result = (value, True)
        else:
            rewriting = decision.rewrite_actions
            result = (apply(value, rewriting, self.renderer, gap=self.gap()), False)
        if len(self._whole_cache) < _CACHE and not decision.actions:
            self._whole_cache[value] = result
        return result
