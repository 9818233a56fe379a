"""One detector with everything resolved: compiled patterns, validator
functions, context words; and how it rates a match (``Detector.score``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from extproc.detect.context import WINDOW, Context, in_name, phrase
from extproc.detect.prepass import fold
from extproc.detect.regex import CompiledPattern, PatternError, compile_pattern
from extproc.detect.scorers import SCORERS, Scorer
from extproc.detect.spec import DetectorSpec
from extproc.detect.validators import VALIDATORS, shannon_entropy
from extproc.detect.words import Words, heads, word_right_before

# How far before (and after) a value context words are looked for, in characters.
CONTEXT_WINDOW = WINDOW
# How far from a value its companion (``DetectorSpec.companion``) is looked for.
COMPANION_WINDOW = 256


@dataclass(frozen=True, slots=True)
class Detector:
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
            word_right_before(ctx.folded, start, self.negative, self.negative_any)
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


def check(spec: DetectorSpec) -> None:
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


def compile_detector(
    spec: DetectorSpec, resolve: Callable[[str | None], Callable[[str], bool] | None]
) -> Detector:
    """Check ``spec`` and compile it once; errors name the detector id.
    ``resolve``: a validator name to its function (None: none)."""
    check(spec)
    detector = Detector(
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
        heads=heads(phrase(w) for w in spec.context if w.strip()),
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
        negative_any=heads(fold(w) for w in spec.negative_context if w.strip()),
        negative_heads=heads(phrase(w) for w in spec.negative_context if len(w.strip()) > 2),
        exact=_compile(spec, spec.exact, builtin=spec.builtin) if spec.exact else None,
        needs_context=(
            _compile(spec, spec.needs_context, builtin=spec.builtin) if spec.needs_context else None
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
    for extra in (spec.prefilter, spec.gate):
        if extra is not None:
            _compile(spec, extra, builtin=False)
    return detector
