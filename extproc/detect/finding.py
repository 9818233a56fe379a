"""What a scan reports: which detector, where, how sure. Never the value itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected value.

    ``start``/``end`` are character offsets into the *original* text that was
    scanned (after any normalisation or decoding has been mapped back), so
    ``text[start:end]`` is exactly what a rewrite must replace. The value is
    deliberately not stored: logs and metrics receive findings, never text.
    """

    detector: str
    start: int
    end: int
    confidence: float

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"bad finding span {self.start}..{self.end} for {self.detector}")
