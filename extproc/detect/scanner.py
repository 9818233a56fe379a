"""Compile detectors once; scan text into sorted, non-overlapping findings."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from extproc.detect.context import REACH as NAME_REACH
from extproc.detect.context import Context
from extproc.detect.decode import (
    BASE64_RUN,
    ESCAPED,
    Budget,
    has_encoded_run,
    layers,
    maybe_encoded,
)
from extproc.detect.detector import (
    COMPANION_WINDOW,
    CONTEXT_WINDOW,
    Detector,
    compile_detector,
)
from extproc.detect.finding import Finding
from extproc.detect.gate import Gate
from extproc.detect.normalize import normalize
from extproc.detect.overlaps import Candidate, overlay, resolve
from extproc.detect.prepass import KeywordIndex, Prefilter, Span, fold, merge_windows
from extproc.detect.recognizers import ModelPass, merge
from extproc.detect.spec import DetectorSpec
from extproc.detect.validators import VALIDATORS

# What a streaming scanner keeps of released text so that the context of a
# value still arriving is seen: the companion window, which is the widest.
CONTEXT_REACH = COMPANION_WINDOW
# Decoded layers within decoded layers: ``%2540`` is two deep.
MAX_DEPTH = 2
# How far around an escape a decoding window reaches (plus the context window).
MAX_DECODE_RADIUS = 1024


# Characters each side of a value looked at to tell binary data from text.
_BINARY_REACH = 32


def _in_binary(text: str, start: int, end: int) -> bool:
    """A value amid bytes that are not text (escaped invalid UTF-8): at least
    a quarter of the characters around it. In binary data (random bytes,
    media, archives) an e-mail-shaped run is chance, and rewriting it would
    corrupt the data; text in a legacy charset has the odd escaped byte only."""
    window = text[max(0, start - _BINARY_REACH) : end + _BINARY_REACH]
    return _escaped_bytes(window) * 4 >= len(window)


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _escaped_bytes(text: str) -> int:
    """How many characters of ``text`` are escaped bytes that are not UTF-8."""
    return 0 if text.isascii() else len(_ESCAPED_BYTE.findall(text))


def _bulk_bytes(text: str) -> bool:
    """Bytes that are not text make up a good part of ``text`` (one in eight
    characters or more). The gate opens on such data anyway (random bytes
    hold a digit run or a "+1" somewhere), and its automaton meets so many
    states there that the first such body a process sees cost a second:
    it is not asked."""
    escaped = _escaped_bytes(text)
    return escaped > 0 and escaped * 8 >= len(text)


class Scanner:
    """Immutable after ``build_scanner``; safe to share across threads and tasks."""

    __slots__ = (
        "_detectors",
        "_gate",
        "_keywords",
        "_model",
        "_prefilter",
        "_radius",
        "detector_ids",
        "max_len",
        "specs",
        "without_keywords",
    )

    _detectors: tuple[Detector, ...]
    _gate: Gate | None
    _keywords: KeywordIndex
    _model: ModelPass | None
    _prefilter: Prefilter
    _radius: int
    detector_ids: frozenset[str]
    max_len: int
    specs: tuple[DetectorSpec, ...]
    without_keywords: tuple[str, ...]

    def __init__(
        self, detectors: Sequence[Detector], gate: bool = True, model: ModelPass | None = None
    ) -> None:
        specs = tuple(detector.spec for detector in detectors)
        fields = {
            "_model": model,
            "_detectors": tuple(detectors),
            # Decoded layers are scanned too: an escape opens the gate, and so
            # does a run that ``layers`` would try as base64 (a long run is
            # found in the same pass; whether it holds a capital, in Python).
            "_gate": (
                Gate(
                    specs,
                    also=(ESCAPED,),
                    weak=(BASE64_RUN, has_encoded_run),
                    reach=(max(NAME_REACH, CONTEXT_WINDOW), CONTEXT_WINDOW),
                )
                if gate
                else None
            ),
            "_keywords": KeywordIndex(specs),
            "_prefilter": Prefilter(specs),
            "specs": specs,
            "detector_ids": frozenset(s.id for s in specs),
            "max_len": max((s.max_len for s in specs), default=0),
            "_radius": min(max((s.max_len for s in specs), default=0), MAX_DECODE_RADIUS)
            + CONTEXT_WINDOW,
            # Detectors that scan every text whole: no keyword, no prefilter.
            "without_keywords": tuple(
                s.id for s in specs if not s.keywords and s.prefilter is None
            ),
        }
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Scanner is immutable (tried to set {name})")

    @property
    def calls_out(self) -> bool:
        """Whether a scan may wait on a model (a ``ModelPass``, up to its
        budget): the servicer then handles the message off its event loop."""
        return self._model is not None

    def plan(self, text: str) -> dict[str, list[Span]]:
        """Detector id -> the windows of ``text`` its regex would run over (no entry: skipped)."""
        subject = normalize(text).text
        return self._plan(subject, fold(subject))

    def _plan(self, text: str, folded: str) -> dict[str, list[Span]]:
        size = len(text)
        keyword_hits = self._keywords.find(folded)
        plan = self._prefilter.find(text)
        for detector in self._detectors:
            spec = detector.spec
            if spec.keywords:
                spans = keyword_hits.get(spec.id)
                if spans:
                    plan[spec.id] = merge_windows(spans, spec.max_len, size)
            elif spec.prefilter is None:
                plan[spec.id] = [(0, size)]
        return plan

    def scan(self, text: str, gate: bool = True) -> list[Finding]:
        """Findings in ``text``, sorted by start, never overlapping.

        Values hidden in an encoding (``extproc.detect.decode``) are found in
        decoded layers, up to ``MAX_DEPTH`` deep; such a finding spans every
        original character that encodes the value and keeps the confidence
        the decoded value earns (see ``_overlay`` for overlaps with plain ones).
        ``gate=False``: the caller already saw the gate open (on the raw form
        of this text), so this text is scanned without asking it again.
        """
        if not text:
            return []
        collect = None
        if self._model is not None:
            # Started first, so that a model runs while the regex scan does.
            # Every text: a model finds what the gate has no cue for.
            collect = self._model.start(text, self.detector_ids)
        found = self._scan(text, 0, Budget(), gate)
        findings = [
            Finding(self._detectors[i].id, s, e, c)
            for c, s, e, i in found
            if not _in_binary(text, s, e)
        ]
        return findings if collect is None else merge(findings, collect())

    def clear(self, text: str) -> bool:
        """True if scanning ``text`` certainly finds nothing (one pass; False: scan it).

        Also true of any text made by rearranging the pieces of ``text``
        (the strings of a JSON body, header lines): a context word and a
        value count even far apart here (``Gate.open``)."""
        if not text:
            return True
        if self._gate is None or self._model is not None:
            return False
        return self._closed(normalize(text).text)

    def _closed(self, subject: str, near: bool = False) -> bool:
        if self._gate is None or _bulk_bytes(subject):
            return False
        return not self._gate.open(subject, near)

    def _scan(self, text: str, depth: int, budget: Budget, gate: bool = True) -> list[Candidate]:
        normalized = normalize(text)
        subject = normalized.text
        if gate and self._closed(subject, near=True):
            return []
        found = resolve(self._match(subject, fold(subject)))
        if depth < MAX_DEPTH and maybe_encoded(subject):
            decoded: list[Candidate] = []
            for layer in layers(subject, self._radius, CONTEXT_WINDOW, budget):
                for confidence, start, end, index in self._scan(layer.text, depth + 1, budget):
                    if layer.touches_encoded(start, end):
                        start, end = layer.original_span(start, end)
                        decoded.append((confidence, start, end, index))
            if decoded:
                found = overlay(found, decoded)
        out = []
        for confidence, start, end, index in found:
            start, end = normalized.original_span(start, end)
            out.append((confidence, start, end, index))
        return out

    def _match(self, subject: str, folded: str) -> list[Candidate]:
        plan = self._plan(subject, folded)
        ctx = Context(subject, folded)
        candidates: list[Candidate] = []
        for index, detector in enumerate(self._detectors):
            windows = plan.get(detector.id)
            if not windows:
                continue
            for window_start, window_end in windows:
                for start, end in detector.pattern.finditer(subject, window_start, window_end):
                    if start >= end:
                        continue
                    confidence = detector.score(ctx, start, end)
                    if confidence is not None:
                        candidates.append((confidence, start, end, index))
        return candidates


def build_scanner(
    specs: Sequence[DetectorSpec],
    gate: bool = True,
    validators: Mapping[str, Callable[[str], bool]] | None = None,
    model: ModelPass | None = None,
) -> Scanner:
    """Check and compile every detector once; errors name the detector id.

    ``gate=False`` builds a scanner that never skips a text (for tests that
    prove the gate changes nothing). ``validators`` replaces entries of the
    validator table for this scanner (a policy's phone regions). ``model``:
    recognisers a deployment adds (``extproc.detect.recognizers``), run beside
    the scan within a budget.
    """
    table = {**VALIDATORS, **(validators or {})}

    def validator(name: str | None) -> Callable[[str], bool] | None:
        return table[name] if name is not None else None

    seen: set[str] = set()
    detectors = []
    for spec in specs:
        if spec.id in seen:
            raise ValueError(f"detector {spec.id}: duplicate id")
        seen.add(spec.id)
        detectors.append(compile_detector(spec, validator))
    return Scanner(detectors, gate, model)


def keyword_list_spec(id: str, words: Sequence[str], case_sensitive: bool) -> DetectorSpec:
    """A detector for a policy's list of words or phrases ("Project Nightingale").

    Words match whole (not inside longer words); whitespace inside a phrase may
    be any short run of spaces. The pre-pass keyword is each phrase's longest part.
    """
    phrases = sorted(
        {" ".join(word.split()) for word in words if word.strip()}, key=len, reverse=True
    )
    if not phrases:
        raise ValueError(f"detector {id}: empty word list")
    parts = [phrase.split(" ") for phrase in phrases]
    alternation = "|".join(r"\s{1,4}".join(re.escape(p) for p in phrase) for phrase in parts)
    return DetectorSpec(
        id=id,
        # Escaped literals cannot backtrack badly; Python re also gives
        # Unicode-aware word boundaries, which RE2's ASCII \b lacks.
        pattern=rf"(?<![^\W_])(?:{alternation})(?![^\W_])",
        keywords=tuple(dict.fromkeys(max(phrase, key=len) for phrase in parts)),
        confidence=1.0,
        max_len=max(len(phrase) + 3 * (len(phrase.split(" ")) - 1) for phrase in phrases),
        case_sensitive=case_sensitive,
        builtin=True,
    )
