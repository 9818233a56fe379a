"""A stand-in for a model-based recogniser (``--recognizers``), for tests.

A real deployment plugs in a NER model or a cloud DLP call
(``docs/recognizers.md``); this one knows two made-up names that no name
list holds, so a test can tell its findings from the catalogue's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from extproc.detect.finding import Finding

# Names no census list holds, capitalised or not.
NAMES = ("Zorblax Quintavious", "Mirelda Vantrosk")
_NAMES = re.compile("|".join(re.escape(n) for n in NAMES), re.IGNORECASE)


class MadeUpNames:
    """Reports the made-up names as ``pii/name``."""

    detectors = frozenset({"pii/name"})

    def recognize(self, text: str) -> Sequence[Finding]:
        return [Finding("pii/name", m.start(), m.end(), 0.85) for m in _NAMES.finditer(text)]


class Slow(MadeUpNames):
    """Answers after five seconds: always over any sensible budget."""

    def recognize(self, text: str) -> Sequence[Finding]:
        time.sleep(5.0)
        return super().recognize(text)


def names() -> MadeUpNames:
    return MadeUpNames()


def slow() -> Slow:
    return Slow()


def nothing() -> list[object]:
    return []
