"""Whole bodies (buffered): read by their type, scanned, decided, rewritten on demand.

* JSON (a body that parses as an object or array): the text of its decoded
  strings and keys, the pieces of text a model reads joined as it reads
  them (``rewrite.json_body``);
* ``application/x-www-form-urlencoded``: names and values, decoded
  (``rewrite.url``);
* ``multipart/form-data``: part by part (``rewrite.multipart``);
* anything else: plain text.

A body in UTF-16, UTF-32 or another declared charset is decoded first and
encoded back the same way (``rewrite.charset``). A body or a part that
cannot be read is flagged ``unreadable``, for ``limits.on_undecodable``.
The decision's offsets refer to ``Scanned.text``; ``new_body()`` builds the
rewritten body only when something changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from extproc.detect.finding import Finding
from extproc.detect.scanner import Scanner
from extproc.policy.decide import NOTHING, Decision, decide
from extproc.policy.model import Direction
from extproc.rewrite import json_body, multipart, pieces
from extproc.rewrite.charset import Unreadable, sniff
from extproc.rewrite.pieces import Layout, Located
from extproc.rewrite.redact import apply, unchanged
from extproc.rewrite.text import to_bytes, to_text
from extproc.rewrite.url import Target
from extproc.side import Side

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
SEPARATOR = json_body.SEPARATOR


@dataclass(frozen=True, slots=True)
class Scanned:
    """A whole body, scanned and decided."""

    decision: Decision
    new_body: Callable[[], bytes]
    text: str = ""  # what the decision's offsets refer to
    unreadable: bool = False  # some of it could not be read as text


def scan_body(side: Side, body: bytes) -> Scanned:
    """Scan and decide ``body`` for ``side``; its ``gap`` rewrites the text
    between findings (restoring pseudonyms)."""
    media = side.content_type.partition(";")[0].strip()
    if media == MULTIPART:
        return _multipart(side, body)
    try:
        charset = sniff(body, side.content_type)
        text = charset.decode(body) if charset is not None else to_text(body)
    except Unreadable:
        return Scanned(NOTHING, lambda: body, unreadable=True)
    encode = charset.encode if charset is not None else to_bytes
    if side.direction is Direction.REQUEST:
        side.pseudonyms.reserve(text)
    if media == FORM:
        decision, new_text, scanned = _form(side, text)
    else:
        decision, new_text, scanned = _text(side, text)
    return Scanned(decision, lambda: encode(new_text()), scanned)


_Found = tuple[Decision, Callable[[], str], str]


def _text(side: Side, text: str) -> _Found:
    policy, direction, renderer, gap = side.policy, side.direction, side.renderer, side.gap()
    scanner = policy.scanner
    checked = gap is unchanged and not policy.governance.active and "\\" not in text
    if checked and scanner.clear(text) and _reading_clear(side, text):
        # Without escapes every JSON string, key and number is a verbatim piece
        # of the body: nothing can be found in the body, so nothing in them;
        # nor where the text a model reads joins. Skips parsing clean bodies.
        # (Governance counts the parsed text.)
        return NOTHING, lambda: text, text
    view = json_body.parse(text)
    # Gated again, near (``Gate.open``): the raw text may have opened the gate
    # only with a context word and a value far apart.
    if view is None:
        decision = decide(scanner.scan(text), text, policy, direction)
        return decision, lambda: apply(text, decision.rewrite_actions, renderer, gap=gap), text
    return _json(side, view)


def _reading_clear(side: Side, text: str) -> bool:
    """The text a model reads, joined, holds nothing (a value split across
    two pieces of it may open the gate where neither piece does)."""
    texts = json_body.reading_texts(text)
    return len(texts) < 2 or side.policy.scanner.clear("".join(texts))


def _json(side: Side, view: json_body.JsonView) -> _Found:
    policy, gap = side.policy, side.gap()
    found = _split_values(view, policy.scanner.scan(view.joined), policy.scanner)
    decision = decide(found, view.joined, policy, side.direction)
    located: list[Located] = []
    for shares, (f, action) in view.locate([(f, (f, a)) for f, a in decision.actions]):
        if len(shares) > 1:  # across reading pieces: the value as the reader sees it
            value = view.joined[f.start : f.end]
        else:
            at = view.segments[shares[0].piece].start
            value = view.joined[at + shares[0].start : at + shares[0].end]
        located.append(Located(f, action, value, shares))

    def new_text() -> str:
        segments = view.segments
        edits = pieces.edits(located, side.renderer)
        new: dict[int, str] = {}
        for i, seg in enumerate(segments) if gap is not unchanged else ():
            # Restoring pseudonyms rewrites text between findings: visit every string.
            if i not in edits and seg.kind is not json_body.Kind.NUMBER:
                old = view.content(seg)
                if (restored := gap(old)) != old:
                    new[i] = restored
        for i, piece_edits in edits.items():
            new[i] = pieces.splice(view.content(segments[i]), piece_edits, gap)
        new = json_body.unique_keys(view, new)
        only = [segments[i] for i in sorted(new)]
        by_segment = {segments[i]: content for i, content in new.items()}
        return json_body.rewrite(view, by_segment.get, only)

    return decision, new_text, view.joined


def _split_values(
    view: json_body.JsonView, found: list[Finding], scanner: Scanner
) -> list[Finding]:
    """Keep a value found across reading pieces only if no piece, read
    alone, has a value where it lies: else those values, not the joined one.

    Joined with nothing between them, a message ending in an address and the
    next one's first word read as one longer address; the pieces alone show
    the address. A value split on purpose (``ghp_ab`` + ``c...``) has none
    (or a tail, ``oe@example.com``, which is then redacted: what is left of
    the value in the other piece no longer tells it)."""
    out: list[Finding] = []
    for f in found:
        spans = view.crossed(f.start, f.end)
        local = [
            Finding(g.detector, g.start + lo, g.end + lo, g.confidence)
            for lo, hi in spans
            for g in scanner.scan(view.joined[lo:hi])
            if g.start + lo < f.end and f.start < g.end + lo
        ]
        out.extend(local or [f])
    return out


def _separated(
    side: Side, text: str, layout: Layout, content: Callable[[int], str]
) -> tuple[Decision, Callable[[], dict[int, str]]]:
    """Scan a text of separated pieces; the new content of each piece that changes."""
    policy = side.policy
    decision = decide(policy.scanner.scan(text), text, policy, side.direction)
    located = []
    for f, action in decision.actions:
        share = layout.owner(f.start, f.end)
        if share is not None:
            value = content(share.piece)[share.start : share.end]
            located.append(Located(f, action, value, (share,)))

    def new_pieces() -> dict[int, str]:
        gap = side.gap()
        edits = pieces.edits(located, side.renderer)
        return {i: pieces.splice(content(i), e, gap) for i, e in edits.items()}

    return decision, new_pieces


def _form(side: Side, text: str) -> _Found:
    form = Target(text, form=True)
    decision, new_pieces = _separated(side, form.text, form.layout, form.content)
    return decision, lambda: form.rewrite(new_pieces()), form.text


def _multipart(side: Side, body: bytes) -> Scanned:
    boundary = multipart.boundary_of(side.content_type)
    try:
        if boundary is None:
            raise multipart.Malformed("no boundary")
        parts = multipart.parse(body, boundary)
    except multipart.Malformed:
        # Not what it says it is: scanned as text, as any other body.
        decision, new_text, scanned = _text(side, to_text(body))
        return Scanned(decision, lambda: to_bytes(new_text()), scanned)
    # Each part: its field name, file name and (text parts) content, as pieces.
    texts: list[str] = []
    for part in parts:
        content = part.text if part.kind is multipart.Kind.TEXT else ""
        texts.extend((part.name, part.filename or "", content))
    spans, pos = [], 0
    for piece in texts:
        spans.append((pos, pos + len(piece)))
        pos += len(piece) + 1
    text = SEPARATOR.join(texts)
    if side.direction is Direction.REQUEST:
        side.pseudonyms.reserve(text)
    decision, new_pieces = _separated(side, text, Layout(spans), texts.__getitem__)
    unreadable = any(part.kind is multipart.Kind.UNREADABLE for part in parts)

    def new_body() -> bytes:
        new = new_pieces()
        if not new:
            return body
        out = []
        for n, part in enumerate(parts):
            name, filename, content = (new.get(3 * n + k) for k in range(3))
            if name is not None or filename is not None:
                part = multipart.renamed(
                    part,
                    part.name if name is None else name,
                    part.filename if filename is None else filename,
                )
            if content is not None:
                part = multipart.retexted(part, content)
            out.append(part)
        return multipart.build(out, boundary)

    return Scanned(decision, new_body, text, unreadable)
