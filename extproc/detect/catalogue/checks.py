"""Signals that no pattern finds, by id: checks of an answer's shape
(``extproc.signals.shape``) and the verdicts of judges
(``extproc.signals.judge``). Rules name them like any detector."""

from __future__ import annotations

FORMAT = "signal/format"
LANGUAGE = "signal/language"
JUDGE_PREFIX = "signal/judge:"
CHECK_IDS = (FORMAT, LANGUAGE)
