"""Compile detectors once; scan text into sorted, non-overlapping findings."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from extproc.detect.context import REACH as NAME_REACH
from extproc.detect.context import WINDOW, Context, in_name, phrase
from extproc.detect.decode import (
    BASE64_RUN,
    ESCAPED,
    Budget,
    has_encoded_run,
    layers,
    maybe_encoded,
)
from extproc.detect.finding import Finding
from extproc.detect.normalize import normalize
from extproc.detect.prepass import Gate, KeywordIndex, Prefilter, Span, fold, merge_windows
from extproc.detect.recognizers import ModelPass, merge
from extproc.detect.regex import CompiledPattern, PatternError, compile_pattern
from extproc.detect.scorers import SCORERS, Scorer
from extproc.detect.spec import DetectorSpec
from extproc.detect.validators import VALIDATORS, shannon_entropy

# How far before (and after) a value context words are looked for, in characters.
CONTEXT_WINDOW = WINDOW
# How far from a value its companion (``DetectorSpec.companion``) is looked for.
COMPANION_WINDOW = 256
# What a streaming scanner keeps of released text so that the context of a
# value still arriving is seen: the companion window, which is the widest.
CONTEXT_REACH = COMPANION_WINDOW
# Negative context words come right before a value: at most this many
# characters of punctuation and space between ('"version": "').
NEGATIVE_GAP = 4
# Decoded layers within decoded layers: ``%2540`` is two deep.
MAX_DEPTH = 2
# How far around an escape a decoding window reaches (plus the context window).
MAX_DECODE_RADIUS = 1024


@dataclass(frozen=True, slots=True)
class _Detector:
    """A spec with everything resolved: compiled patterns, validator functions."""

    id: str
    pattern: CompiledPattern
    validator: Callable[[str], bool] | None
    context: Words
    phrases: tuple[str, ...]  # the context words as field-name words
    heads: re.Pattern[str]  # any of their longest words: a cheap test before naming
    negative: tuple[str, ...]
    negative_phrases: tuple[str, ...]  # the negative words as field-name words
    negative_heads: re.Pattern[str]
    negative_any: re.Pattern[str]  # any negative word, boundaries aside
    negative_window: Words
    exact: CompiledPattern | None
    needs_context: CompiledPattern | None
    context_validator: Callable[[str], bool] | None
    weak_validator: Callable[[str], bool] | None
    companion: CompiledPattern | None
    spec: DetectorSpec
    scorer: Scorer | None = None
    allow: tuple[CompiledPattern, ...] = ()

    def score(self, ctx: Context, start: int, end: int) -> float | None:
        """Confidence of the value at ``start``..``end``, or None to drop it."""
        spec = self.spec
        if self.negative and (
            _word_right_before(ctx.folded, start, self.negative, self.negative_any)
            or (
                ctx.may_name(start, self.negative_heads)
                and in_name(ctx.name(start, end), self.negative_phrases, glued=False)
            )
        ):
            return None
        value = ctx.text[start:end]
        near: bool | None = None
        if self.negative_window and self.negative_window.within(
            ctx.folded, ctx.before(start, end), start
        ):
            near = self.context_near(ctx, start, end)
            if not near:
                return None
        if self.needs_context is not None and self.needs_context.fullmatch(value):
            near = self.context_near(ctx, start, end)
            if not near:
                return None
        confidence = spec.confidence
        if spec.min_entropy is not None and shannon_entropy(value) <= spec.min_entropy:
            return None
        if self.allow and any(a.search(value) for a in self.allow):
            return None
        if self.scorer is not None:
            rated = self.scorer(ctx.text, start, end)
            if rated is None:
                return None
            confidence = rated
        elif self.validator is not None and not self.validator(value):
            if near is None:
                near = self.context_near(ctx, start, end)
            weak = self.weak_validator is not None and self.weak_validator(value)
            if near:
                if self.context_validator is not None and self.context_validator(value):
                    return max(spec.confidence, spec.context_confidence or 0.0)
                # With context, a failing value counts where it has the shape
                # (any, or the weak one when there is one): "phone: 555-0147".
                if spec.invalid_confidence is not None and (self.weak_validator is None or weak):
                    return spec.invalid_confidence
            return spec.weak_confidence if weak else None
        if (
            self.exact is not None
            and spec.exact_confidence is not None
            and self.exact.fullmatch(value)
        ):
            confidence = max(confidence, spec.exact_confidence)
        if spec.context_confidence is not None and spec.context_confidence > confidence:
            if near is None:
                near = self.context_near(ctx, start, end)
            if near:
                confidence = spec.context_confidence
        return confidence

    def context_near(self, ctx: Context, start: int, end: int) -> bool:
        """True if a context word is in the value's field name or its sentence,
        or a companion is near."""
        if self.context:
            folded, words = ctx.folded, self.context
            # The plain windows first: the sentence and field limits only narrow them.
            low = max(0, start - CONTEXT_WINDOW)
            if words.within(folded, low, start) and words.within(
                folded, ctx.before(start, end), start
            ):
                return True
            if ctx.may_name(start, self.heads) and in_name(ctx.name(start, end), self.phrases):
                return True
            high = end + CONTEXT_WINDOW
            if words.within(folded, end, high) and words.within(folded, end, ctx.after(end)):
                return True
        if self.companion is not None:
            text = ctx.text
            low, high = max(0, start - COMPANION_WINDOW), min(len(text), end + COMPANION_WINDOW)
            for s, e in self.companion.finditer(text, low, high):
                if e <= start or s >= end:
                    return True
        return False


# Command-line options between a command and its argument ("ssh -p 22 -i key").
_OPTIONS = re.compile(r"(?:[ \t]+-{1,2}[\w-]+(?:[ =][^\s-][^\s]*)?)+[ \t]*\Z")


def _word_right_before(
    folded: str, start: int, words: tuple[str, ...], screen: re.Pattern[str]
) -> bool:
    """True if one of ``words`` ends right before ``start`` (punctuation or
    command-line options between)."""
    longest = len(words[0])  # the longest first (see build_scanner)
    ends = [start]
    if "-" in folded[max(0, start - 120) : start]:
        options = _OPTIONS.search(folded, max(0, start - 120), start)
        if options:
            ends.append(options.start())
    for limit in ends:
        # Cheap first: is any of the words right there at all?
        if screen.search(folded, max(0, limit - longest - NEGATIVE_GAP), limit) is None:
            continue
        # Every end within the gap: a word may be punctuation itself ("==").
        end = limit
        while True:
            for word in words:
                at = end - len(word)
                if (
                    at >= 0
                    and folded.startswith(word, at)
                    and not (at and word[0].isalnum() and folded[at - 1].isalnum())
                ):
                    return True
            if end == 0 or limit - end >= NEGATIVE_GAP or folded[end - 1].isalnum():
                break
            end -= 1
    return False


class Words:
    """Context words, each matched as a whole word: an alphanumeric edge must
    not be glued to another letter or digit ("key=" needs no boundary after)."""

    __slots__ = ("_any", "words")

    def __init__(self, words: tuple[str, ...]) -> None:
        self.words = words
        # Any of them, boundaries aside: one search screens most windows out.
        ordered = sorted(words, key=len, reverse=True)
        self._any = re.compile("|".join(map(re.escape, ordered)) if words else "(?!)")

    def __bool__(self) -> bool:
        return bool(self.words)

    def within(self, folded: str, low: int, high: int) -> bool:
        """True if one of the words lies within ``folded[low:high]``."""
        if low >= high or self._any.search(folded, low, high) is None:
            return False
        for word in self.words:
            at = folded.find(word, low, high)
            while at >= 0:
                after = at + len(word)
                glued_before = at > 0 and word[0].isalnum() and folded[at - 1].isalnum()
                glued_after = after < len(folded) and word[-1].isalnum() and folded[after].isalnum()
                if not glued_before and not glued_after:
                    return True
                at = folded.find(word, at + 1, high)
        return False


def _heads(phrases: Iterable[str]) -> re.Pattern[str]:
    """The longest word of each phrase, as one pattern: it occurs, folded, in any
    text that names it (never matches when there are none)."""
    words = sorted({max(p.split(" "), key=len) for p in phrases if p}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)) if words else "(?!)")


def _check(spec: DetectorSpec) -> None:
    if not spec.id:
        raise ValueError("detector with an empty id")
    for name in (
        "confidence",
        "context_confidence",
        "exact_confidence",
        "invalid_confidence",
        "weak_confidence",
    ):
        value = getattr(spec, name)
        if value is not None and not 0.0 <= value <= 1.0:
            raise ValueError(f"detector {spec.id}: {name} must lie in [0, 1]")
    if spec.max_len < 1:
        raise ValueError(f"detector {spec.id}: max_len must be positive")
    if spec.validator is not None and spec.validator not in VALIDATORS:
        raise ValueError(f"detector {spec.id}: unknown validator {spec.validator!r}")
    if spec.scorer is not None and spec.scorer not in SCORERS:
        raise ValueError(f"detector {spec.id}: unknown scorer {spec.scorer!r}")
    if (spec.exact is None) != (spec.exact_confidence is None):
        raise ValueError(f"detector {spec.id}: exact and exact_confidence go together")
    if spec.invalid_confidence is not None and (spec.validator is None or not spec.context):
        raise ValueError(f"detector {spec.id}: invalid_confidence needs a validator and context")
    for name in ("context_validator", "weak_validator"):
        value = getattr(spec, name)
        if value is not None and value not in VALIDATORS:
            raise ValueError(f"detector {spec.id}: unknown {name} {value!r}")
        if value is not None and spec.validator is None:
            raise ValueError(f"detector {spec.id}: {name} needs a validator")
    if (spec.weak_validator is None) != (spec.weak_confidence is None):
        raise ValueError(f"detector {spec.id}: weak_validator and weak_confidence go together")
    if spec.needs_context is not None and not spec.context and spec.companion is None:
        raise ValueError(f"detector {spec.id}: needs_context needs context words or a companion")


def _compile(
    spec: DetectorSpec,
    pattern: str,
    *,
    builtin: bool,
    case_sensitive: bool = True,
    group: int | None = None,
) -> CompiledPattern:
    try:
        return compile_pattern(pattern, builtin=builtin, case_sensitive=case_sensitive, group=group)
    except PatternError as err:
        raise PatternError(f"detector {spec.id}: {err}") from None


Candidate = tuple[float, int, int, int]  # confidence, start, end, detector index


def _priority(candidate: Candidate) -> tuple[float, int, int, int]:
    confidence, start, end, index = candidate
    return (-confidence, start - end, start, index)


def _resolve(candidates: list[Candidate]) -> list[Candidate]:
    """Keep non-overlapping candidates: higher confidence first, then the longer span.

    Candidates are cut into clusters of transitively overlapping spans (almost
    always of one); the greedy choice runs inside each cluster only.
    """
    candidates.sort(key=lambda c: (c[1], c[2]))
    kept: list[Candidate] = []
    cluster: list[Candidate] = []
    reach = -1
    for candidate in candidates:
        if cluster and candidate[1] >= reach:
            kept.extend(_choose(cluster))
            cluster = []
        cluster.append(candidate)
        reach = max(reach, candidate[2]) if len(cluster) > 1 else candidate[2]
    kept.extend(_choose(cluster))
    return kept


def _overlay(plain: list[Candidate], decoded: list[Candidate]) -> list[Candidate]:
    """Plain findings, with decoded ones laid over them.

    A decoded value replaces the plain findings it overlaps only when it
    covers all of them at no lower confidence (a phone number's escaped digits
    after the ``+3`` that alone looked like something). Otherwise it is most
    often a view of the same characters (the payload of a JWT), and the plain,
    direct evidence wins.
    """
    starts = [c[1] for c in plain]
    dropped: set[int] = set()
    extra = []
    for candidate in _resolve(decoded):
        confidence, start, end, _ = candidate
        covered = []
        i = bisect_right(starts, end - 1) - 1
        while i >= 0 and plain[i][2] > start:
            covered.append(i)
            i -= 1
        if all(
            start <= plain[j][1] and plain[j][2] <= end and plain[j][0] <= confidence
            for j in covered
        ):
            dropped.update(covered)
            extra.append(candidate)
    kept = [c for i, c in enumerate(plain) if i not in dropped]
    return sorted(kept + extra, key=lambda c: c[1])


def _choose(cluster: list[Candidate]) -> list[Candidate]:
    if len(cluster) < 2:
        return cluster
    chosen: list[Candidate] = []
    for candidate in sorted(cluster, key=_priority):
        if all(candidate[2] <= c[1] or c[2] <= candidate[1] for c in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda c: c[1])


# Characters each side of a value looked at to tell binary data from text.
_BINARY_REACH = 32


def _in_binary(text: str, start: int, end: int) -> bool:
    """A value amid bytes that are not text (escaped invalid UTF-8): at least
    a quarter of the characters around it. In binary data (random bytes,
    media, archives) an e-mail-shaped run is chance, and rewriting it would
    corrupt the data; text in a legacy charset has the odd escaped byte only."""
    window = text[max(0, start - _BINARY_REACH) : end + _BINARY_REACH]
    escaped = sum(1 for char in window if "\udc80" <= char <= "\udcff")
    return escaped * 4 >= len(window)


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

    _detectors: tuple[_Detector, ...]
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
        self, detectors: Sequence[_Detector], gate: bool = True, model: ModelPass | None = None
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
        return self._gate is not None and not self._gate.open(subject, near)

    def _scan(self, text: str, depth: int, budget: Budget, gate: bool = True) -> list[Candidate]:
        normalized = normalize(text)
        subject = normalized.text
        if gate and self._closed(subject, near=True):
            return []
        found = _resolve(self._match(subject, fold(subject)))
        if depth < MAX_DEPTH and maybe_encoded(subject):
            decoded: list[Candidate] = []
            for layer in layers(subject, self._radius, CONTEXT_WINDOW, budget):
                for confidence, start, end, index in self._scan(layer.text, depth + 1, budget):
                    if layer.touches_encoded(start, end):
                        start, end = layer.original_span(start, end)
                        decoded.append((confidence, start, end, index))
            if decoded:
                found = _overlay(found, decoded)
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

    def resolve(name: str | None) -> Callable[[str], bool] | None:
        return table[name] if name is not None else None

    seen: set[str] = set()
    detectors = []
    for spec in specs:
        _check(spec)
        if spec.id in seen:
            raise ValueError(f"detector {spec.id}: duplicate id")
        seen.add(spec.id)
        detectors.append(
            _Detector(
                id=spec.id,
                pattern=_compile(
                    spec,
                    spec.pattern,
                    builtin=spec.builtin,
                    case_sensitive=spec.case_sensitive,
                    group=spec.value_group,
                ),
                validator=resolve(spec.validator),
                context=Words(tuple(dict.fromkeys(fold(w) for w in spec.context if w.strip()))),
                phrases=tuple(dict.fromkeys(phrase(w) for w in spec.context if w.strip())),
                heads=_heads(phrase(w) for w in spec.context if w.strip()),
                negative=tuple(
                    sorted(
                        dict.fromkeys(fold(w) for w in spec.negative_context if w.strip()),
                        key=len,
                        reverse=True,
                    )
                ),
                negative_window=Words(
                    tuple(dict.fromkeys(fold(w) for w in spec.negative_window if w.strip()))
                ),
                negative_phrases=tuple(
                    dict.fromkeys(phrase(w) for w in spec.negative_context if len(w.strip()) > 2)
                ),
                negative_any=_heads(fold(w) for w in spec.negative_context if w.strip()),
                negative_heads=_heads(
                    phrase(w) for w in spec.negative_context if len(w.strip()) > 2
                ),
                exact=_compile(spec, spec.exact, builtin=spec.builtin) if spec.exact else None,
                needs_context=(
                    _compile(spec, spec.needs_context, builtin=spec.builtin)
                    if spec.needs_context
                    else None
                ),
                context_validator=resolve(spec.context_validator),
                weak_validator=resolve(spec.weak_validator),
                companion=(
                    _compile(spec, spec.companion, builtin=spec.builtin) if spec.companion else None
                ),
                spec=spec,
                scorer=SCORERS[spec.scorer] if spec.scorer is not None else None,
                allow=tuple(_compile(spec, a, builtin=False) for a in spec.allow),
            )
        )
        for extra in (spec.prefilter, spec.gate):
            if extra is not None:
                _compile(spec, extra, builtin=False)
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
