"""Header sections: the request target and the header fields of one direction, scanned.

One text holds the decoded target (``:path``, requests only) and a
``name: value`` line per header, so a header's name is context for its
value. The caller's credentials and the forwarding headers (the policy's
``unscanned`` lists) are left out, and so are header values that are only
an HTTP date, an RFC 3339 time, a UUID or a trace context (protocol values,
whose digits or runs would open the gate on most exchanges). A clean
section costs at most one gate pass, over the lines not seen clean before.
Findings follow the policy as a body's do: a block ends the exchange; a
redaction rewrites the path segment, query value or header value holding it
(``:path`` through the headers answer, which Envoy forwards as rewritten).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from extproc.detect.scanner import Scanner
from extproc.policy.decide import Decision, decide
from extproc.policy.model import Direction
from extproc.rewrite import pieces, url
from extproc.rewrite.pieces import Layout, Located
from extproc.side import Side
from extproc.verdicts import Headers

PATH = ":path"
_DAYS = frozenset({"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"})
_HEX = frozenset("abcdefABCDEF")
# HTTP dates, RFC 3339 times, UUIDs and W3C traceparent values: protocol
# values that carry nothing a detector looks for.
_PROTOCOL = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d\d:\d\d:\d\d GMT"
    r"|\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:[Zz]|[+-]\d\d:\d\d)"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}"
)


def _protocol_value(value: str) -> bool:
    """A timestamp or an id: its digits or its long run would open the gate."""
    first = value[:1]
    if not (first.isdigit() or first in _HEX or value[:3] in _DAYS):
        return False
    return _PROTOCOL.fullmatch(value) is not None


def _fixed(name: str) -> bool:
    """Headers Envoy lets no processor change (by default): routing and its own."""
    return name == "host" or name.startswith("x-envoy-")


@dataclass(frozen=True, slots=True)
class HeadScan:
    """What the header section held: the decision, the headers to set, and
    whether a needed rewrite is one Envoy would refuse (``fixed``)."""

    decision: Decision
    set_headers: tuple[tuple[str, str], ...] = ()
    fixed: bool = False
    # The path with every finding in it replaced by its detector id, for logs.
    safe_path: str | None = None

    @property
    def rewritten(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.set_headers)


def scan_head(side: Side, headers: Headers) -> HeadScan | None:
    """Scan the header section; None when it is clean (the common case).

    What is found is counted in ``side.seen`` (and by the guard)."""
    policy = side.policy
    skip_headers = policy.unscanned.headers
    skip_query = policy.unscanned.query_parameters
    target = headers.get(PATH, "") if side.direction is Direction.REQUEST else ""
    fields = [(n, v) for n, v in headers.items() if n[:1] != ":" and n not in skip_headers]
    scanner = policy.scanner
    known = _clean_lines(scanner)
    lines = [(f"{name}: {value}", value) for name, value in fields]
    if target:
        decoded = url.decoded(target, skip_query)
        lines.append((decoded, decoded))
    unknown = [line for line, value in lines if line not in known and not _protocol_value(value)]
    if not unknown:
        return None
    if scanner.clear("\n".join(unknown)):
        if len(known) + len(unknown) > _MAX_CLEAN_LINES:
            known.clear()
        known.update(unknown)
        return None
    fields = [(n, v) for n, v in fields if not _protocol_value(v)]
    section = _Section(url.Target(target, skip_query) if target else None, fields)
    decision = decide(scanner.scan(section.text), section.text, policy, side.direction)
    side.seen.add(decision)
    if not decision.actions:
        return None
    if side.guard is not None:
        side.guard.admit(side.direction, section.text, decision.actions, counts_text=False)
    return section.rewrite(decision, side)


# Lines (``name: value``, or the decoded target) the gate proved clean, per
# scanner: most repeat from one exchange to the next (user agents, content
# types, SDK headers, routes), so a steady stream costs no gate pass at all.
# A line is scanned on its own terms: no value runs from one line into the next.
_CLEAN: dict[Scanner, set[str]] = {}
_MAX_CLEAN_LINES = 4096
_MAX_SCANNERS = 8  # policies in use at once (a reload replaces them)


def _clean_lines(scanner: Scanner) -> set[str]:
    lines = _CLEAN.get(scanner)
    if lines is None:
        if len(_CLEAN) >= _MAX_SCANNERS:
            _CLEAN.clear()
        lines = _CLEAN[scanner] = set()
    return lines


class _Section:
    """The scanned text with its pieces: target pieces first, then header values."""

    def __init__(self, target: url.Target | None, fields: Sequence[tuple[str, str]]) -> None:
        self.target = target
        self.fields = fields
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = 0
        if target is not None:
            parts.append(target.text)
            spans.extend(zip(target.layout.starts, target.layout.ends, strict=True))
            pos = len(target.text) + 1
        for name, value in fields:
            start = pos + len(name) + 2
            spans.append((start, start + len(value)))
            parts.append(f"{name}: {value}")
            pos = start + len(value) + 1
        self.text = "\n".join(parts)
        self.layout = Layout(spans)
        self.in_target = len(target.layout) if target is not None else 0

    def content(self, piece: int) -> str:
        return self.text[self.layout.starts[piece] : self.layout.ends[piece]]

    def rewrite(self, decision: Decision, side: Side) -> HeadScan:
        fixed = False
        located: list[Located] = []
        marks: list[Located] = []  # every finding in the target, for the log's path
        for finding, action in decision.actions:
            share = self.layout.owner(finding.start, finding.end)
            if share is None:  # inside a header name: nothing to rewrite in place
                fixed = fixed or action.rewrites
                continue
            value = self.content(share.piece)[share.start : share.end]
            item = Located(finding, action, value, (share,))
            if action.rewrites:
                located.append(item)
            if share.piece < self.in_target:
                marks.append(item)
        new = {
            piece: pieces.splice(self.content(piece), piece_edits)
            for piece, piece_edits in pieces.edits(located, side.renderer).items()
        }
        out: list[tuple[str, str]] = []
        target_new = {p: text for p, text in new.items() if p < self.in_target}
        if target_new and self.target is not None:
            out.append((PATH, self.target.rewrite(target_new)))
        for piece, text in sorted(new.items()):
            if piece >= self.in_target:
                name = self.fields[piece - self.in_target][0]
                fixed = fixed or _fixed(name)
                out.append((name, text))
        return HeadScan(decision, tuple(out), fixed, self._safe_path(marks))

    def _safe_path(self, marks: Sequence[Located]) -> str | None:
        if not marks or self.target is None:
            return None
        named: dict[int, list[pieces.Edit]] = {}
        for item in marks:
            share = item.shares[0]
            named.setdefault(share.piece, []).append(
                (share.start, share.end, f"[{item.finding.detector}]")
            )
        return self.target.rewrite(
            {p: pieces.splice(self.content(p), sorted(e)) for p, e in named.items()}
        )
