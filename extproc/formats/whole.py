"""A body that may be small enough to scan whole, streamed all the same.

A JSON or text answer of unknown length (chunked), or larger than Envoy's
buffer, is streamed (``STREAMED``) so that Envoy never answers its own 500
for a body that outgrew its buffer. Most such answers are small: up to
``WHOLE_UP_TO`` bytes are held, and a body that ends within them is scanned
whole, exactly as a buffered one is (JSON-aware, values across strings); a
longer one is handed, held bytes first, to its streaming scanner.
"""

from __future__ import annotations

from collections.abc import Callable

from extproc.verdicts import BodyStream, Verdict

# Envoy's default buffer: what a buffered body may hold anyway.
WHOLE_UP_TO = 1024 * 1024

Whole = Callable[[bytes], Verdict]  # a complete body -> the buffered verdict


class WholeFirst:
    def __init__(
        self, whole: Whole, streaming: Callable[[], BodyStream], up_to: int = WHOLE_UP_TO
    ) -> None:
        self._whole = whole
        self._streaming = streaming
        self._up_to = up_to
        self._held: list[bytes] = []
        self._size = 0
        self._inner: BodyStream | None = None

    def feed(self, chunk: bytes) -> Verdict:
        if self._inner is not None:
            return self._inner.feed(chunk)
        self._held.append(chunk)
        self._size += len(chunk)
        if self._size <= self._up_to:
            return Verdict(data=b"")
        self._inner = self._streaming()
        held, self._held = b"".join(self._held), []
        return self._inner.feed(held)

    def finish(self) -> Verdict:
        if self._inner is not None:
            return self._inner.finish()
        body, self._held = b"".join(self._held), []
        verdict = self._whole(body)
        if verdict.block is not None:
            # Said in the body: the status may already have left.
            return Verdict(data=verdict.block.body, block=verdict.block, metadata=verdict.metadata)
        data = verdict.data if verdict.data is not None else body
        return Verdict(data=data, metadata=verdict.metadata)
