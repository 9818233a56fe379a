"""Replace findings in a text: redact, mask, hash (and pseudonymise, via a callback)."""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from extproc.detect.finding import Finding
from extproc.policy.model import Action

MASK_KEEP = 4
MASK_CHAR = "*"
HASH_HEX = 12

Pseudonymise = Callable[[str, str], str | None]  # (detector, value) -> placeholder


@functools.lru_cache(maxsize=1024)
def redaction_text(template: str, detector: str) -> str:
    """The policy's ``redaction`` template for one detector. The template is a
    format string (the loader checks it so: ``{detector}`` its only field,
    ``{{``/``}}`` literal braces)."""
    return template.format(detector=detector)


@dataclass(frozen=True, slots=True)
class Renderer:
    """Turns (finding, value, action) into the replacement text.

    ``hash_key`` keys the HMAC so equal values stay linkable (same key, same
    hash) without a dictionary attack on the short digest recovering them.
    """

    template: str
    hash_key: bytes
    pseudonymise: Pseudonymise | None = None

    def replacement(self, detector: str, value: str, action: Action) -> str | None:
        if action is Action.REDACT:
            return redaction_text(self.template, detector)
        if action is Action.MASK:
            keep = value[-MASK_KEEP:] if len(value) > MASK_KEEP else ""
            return MASK_CHAR * (len(value) - len(keep)) + keep
        if action is Action.HASH:
            digest = hmac.new(self.hash_key, value.encode("utf-8", "surrogatepass"), hashlib.sha256)
            return f"[{detector}:{digest.hexdigest()[:HASH_HEX]}]"
        if action is Action.PSEUDONYMIZE:
            placeholder = self.pseudonymise(detector, value) if self.pseudonymise else None
            if placeholder is None:  # no map, or the map is full: redact
                return redaction_text(self.template, detector)
            return placeholder
        return None  # log, off, block: the text stays


def unchanged(text: str) -> str:
    """The ``gap`` that leaves text between findings as it is."""
    return text


def apply(
    text: str,
    acted: Sequence[tuple[Finding, Action]],
    renderer: Renderer,
    offset: int = 0,
    gap: Callable[[str], str] = unchanged,
) -> str:
    """Rewrite ``text``; finding offsets are relative to ``text`` shifted by ``offset``.

    Findings must be sorted and non-overlapping (the scanner guarantees it).
    ``gap`` rewrites the text between findings (restoring pseudonyms), so a
    replacement made here is never itself rewritten again.
    """
    out: list[str] = []
    pos = 0
    for finding, action in acted:
        start, end = finding.start - offset, finding.end - offset
        new = renderer.replacement(finding.detector, text[start:end], action)
        if new is None or start < pos:
            continue
        out.append(gap(text[pos:start]))
        out.append(new)
        pos = end
    if pos == 0:
        return gap(text)
    out.append(gap(text[pos:]))
    return "".join(out)
