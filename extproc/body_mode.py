"""What a direction's headers decide about its body: the body mode (an
answer streamed or buffered by its type and length), the content encoding
(decoded for scanning, sent on identity-encoded), the request's
accept-encoding; or a block.
"""

from __future__ import annotations

from extproc import answers
from extproc.formats import ENVOY_BUFFER, is_event_stream
from extproc.policy.model import Direction, OnOversize
from extproc.rewrite.encoding import IDENTITY, can_decode
from extproc.side import Side
from extproc.verdicts import BodyMode, Headers, Verdict

REQUEST = Direction.REQUEST
RESPONSE = Direction.RESPONSE


def plan(
    side: Side,
    headers: Headers,
    head_headers: tuple[tuple[str, str], ...],
    end_of_stream: bool,
    mode: BodyMode,
) -> Verdict:
    """The headers' verdict once their own scan passed (``head_headers``:
    the header fields it rewrites)."""
    policy, guard, direction = side.policy, side.guard, side.direction
    length = headers.get("content-length", "")
    wanted: BodyMode | None = None
    if not policy.needs_body(direction) and not (guard and guard.needs_body(direction)):
        wanted = BodyMode.NONE
    elif direction is RESPONSE:
        if length.isdigit() and int(length) > side.limit:
            too_big = side.oversize()
            if too_big.block is not None:
                return too_big
            wanted = BodyMode.NONE  # passed unscanned (counted)
        else:
            wanted = answer_mode(side.content_type, length, mode)
    remove: list[str] = []
    set_headers: list[tuple[str, str]] = list(head_headers)
    if direction is REQUEST:
        if policy.needs_body(RESPONSE) and "accept-encoding" in headers:
            # Ask upstreams for identity-encoded answers, so they can be scanned.
            remove.append("accept-encoding")
    else:
        set_headers.extend(side.tally.risk_headers())
    effective = wanted if wanted is not None else mode
    encoding = headers.get("content-encoding", "")
    if effective is not BodyMode.NONE and not end_of_stream and encoding.strip():
        if not can_decode(encoding):
            side.seen.undecodable = True
            if policy.limits.on_undecodable is OnOversize.BLOCK:
                return side.blocked(answers.UNDECODABLE)
            wanted = BodyMode.NONE  # pass, unscanned (counted)
        elif encoding.strip().lower() not in IDENTITY:
            # The body is decoded for scanning and sent on identity-encoded.
            side.encoding = encoding
            remove.append("content-encoding")
    no_body = end_of_stream or (wanted if wanted is not None else mode) is BodyMode.NONE
    return Verdict(
        set_headers=tuple(set_headers),
        remove_headers=tuple(remove),
        body_mode=wanted,
        # The last answer of the exchange carries the decision for the
        # access log: here only if no response body follows.
        metadata=side.metadata() if direction is RESPONSE and no_body else None,
    )


def answer_mode(content_type: str, length: str, mode: BodyMode) -> BodyMode | None:
    """The body mode an answer needs, if not the configured one. Streams of
    events are streamed from the first byte (time to first token); another
    answer is buffered when its length is known to fit Envoy's buffer (one
    round trip, a real status on a block) and streamed otherwise, so that no
    answer meets Envoy's own 500 for outgrowing the buffer."""
    if mode is BodyMode.NONE or mode is BodyMode.FULL_DUPLEX_STREAMED:
        return None
    if is_event_stream(content_type):
        return BodyMode.STREAMED
    if length.isdigit() and int(length) <= ENVOY_BUFFER:
        return BodyMode.BUFFERED if mode is BodyMode.STREAMED else None
    return BodyMode.STREAMED
