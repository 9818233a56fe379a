"""A body whose content type says nothing useful (``text/plain``, none,
``application/octet-stream``), told apart by its first bytes: SSE where it
is evidently SSE (``data:`` and other field lines), JSON values where it
opens with ``{`` or ``[``, else plain text."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from extproc.side import Side
from extproc.verdicts import BodyStream, Verdict

_BOM = b"\xef\xbb\xbf"
_SSE = re.compile(rb"(?:data|event|id|retry)?:")
_FIELDS = (b"data", b"event", b"id", b"retry")
SNIFF = 64  # bytes looked at, at most


def sniff(head: bytes, final: bool) -> str | None:
    """``sse``, ``json`` or ``text`` for a body starting with ``head``; None: more needed."""
    body = head.removeprefix(_BOM).lstrip(b" \t\r\n")
    if not body:
        return "text" if final or len(head) >= SNIFF else None
    if body[:1] in (b"{", b"["):
        return "json"
    if _SSE.match(body):
        return "sse"
    could_be_field = any(name.startswith(body) for name in _FIELDS)  # "dat" may become "data:"
    if could_be_field and not final and len(head) < SNIFF:
        return None
    return "text"


class Sniffed:
    def __init__(self, side: Side, scanners: Mapping[str, Callable[[Side], BodyStream]]) -> None:
        self._side = side
        self._scanners = scanners
        self._head = b""
        self._inner: BodyStream | None = None

    def feed(self, chunk: bytes) -> Verdict:
        if self._inner is not None:
            return self._inner.feed(chunk)
        self._head += chunk
        kind = sniff(self._head, final=False)
        if kind is None:
            return Verdict(data=b"")
        return self._start(kind).feed(self._take())

    def finish(self) -> Verdict:
        if self._inner is None:
            inner = self._start(sniff(self._head, final=True) or "text")
            head = self._take()
            first = inner.feed(head)
            if first.block is not None:
                return first
            last = inner.finish()
            data = (head if first.data is None else first.data) + (last.data or b"")
            return Verdict(data=data, block=last.block, metadata=last.metadata)
        return self._inner.finish()

    def _start(self, kind: str) -> BodyStream:
        self._inner = self._scanners[kind](self._side)
        return self._inner

    def _take(self) -> bytes:
        head, self._head = self._head, b""
        return head
