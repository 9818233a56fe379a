"""Header sections: the request target and the header fields of one direction, scanned.

One text holds the decoded target (``:path``, requests only) and a
``name: value`` line per header, so a header's name is context for its
value. The caller's credentials and the forwarding headers (the policy's
``unscanned`` lists) are left out. A clean section costs one gate pass (two
when a header holds a timestamp, whose digits open it: an HTTP date or an
RFC 3339 time, nothing else, is a protocol value and is not scanned).
Findings follow the policy as a body's do: a block ends the exchange; a
redaction rewrites the path segment, query value or header value holding it
(``:path`` through the headers answer, which Envoy forwards as rewritten).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from extproc.exchange import Headers
from extproc.policy.decide import Decision, decide
from extproc.policy.model import Direction
from extproc.rewrite import pieces, url
from extproc.rewrite.pieces import Layout, Located
from extproc.side import Side

PATH = ":path"
_TIMESTAMP = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d\d:\d\d:\d\d GMT"
    r"|\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:[Zz]|[+-]\d\d:\d\d)"
)


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
    if scanner.clear(_text(target, skip_query, fields)):
        return None
    if any(_TIMESTAMP.fullmatch(v) for _, v in fields):
        fields = [(n, v) for n, v in fields if not _TIMESTAMP.fullmatch(v)]
        if scanner.clear(_text(target, skip_query, fields)):
            return None
    section = _Section(url.Target(target, skip_query) if target else None, fields)
    decision = decide(scanner.scan(section.text, gate=False), section.text, policy, side.direction)
    side.seen.add(decision)
    if not decision.actions:
        return None
    if side.guard is not None:
        side.guard.admit(side.direction, section.text, decision.actions, counts_text=False)
    return section.rewrite(decision, side)


def _text(target: str, skip_query: frozenset[str], fields: Sequence[tuple[str, str]]) -> str:
    lines = [url.decoded(target, skip_query)] if target else []
    lines.extend(f"{name}: {value}" for name, value in fields)
    return "\n".join(lines)


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
