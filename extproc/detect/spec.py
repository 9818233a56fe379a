"""A detector is data: one small declarative entry, no class per detector."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DetectorSpec:
    """One detector. ``id`` is also the metric label and the header value.

    pattern      regular expression; the match (or the named group ``value`` if
                 present) is the sensitive value.
    keywords     literals for the Aho-Corasick pre-pass (matched case-insensitively);
                 the regex runs only when one occurs. Empty: the detector has no
                 usable literal and always runs (``policy check`` warns).
    validator    name in ``extproc.detect.validators.VALIDATORS``, or None.
    confidence   confidence of a match that passes its validator.
    context      words that, found shortly before the value, raise confidence.
    max_len      longest value this detector can match, in characters: bounds
                 how much a streaming scanner must hold back.
    examples     texts that must yield exactly one finding of this detector.
    negatives    texts that must yield no finding of this detector.
    builtin      built-in patterns are vetted and may use Python ``re``;
                 user patterns always run on the linear-time engine.
    """

    id: str
    pattern: str
    keywords: tuple[str, ...] = ()
    validator: str | None = None
    confidence: float = 0.8
    context: tuple[str, ...] = ()
    max_len: int = 256
    case_sensitive: bool = True
    examples: tuple[str, ...] = ()
    negatives: tuple[str, ...] = ()
    builtin: bool = False
