"""A detector is data: one small declarative entry, no class per detector."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DetectorSpec:
    """One detector. ``id`` is also the metric label and the header value.

    pattern      regular expression; the match (or the named group ``value`` if
                 present) is the sensitive value.
    keywords     literals for the Aho-Corasick pre-pass (matched case-insensitively);
                 the regex runs only when one occurs, and only within ``max_len``
                 characters of it, so a keyword must lie inside or right beside
                 the value. Empty: the detector has no usable literal and always
                 runs (``policy check`` warns) unless it has a ``prefilter``.
    validator    name in ``extproc.detect.validators.VALIDATORS``, or None.
    confidence   confidence of a match that passes its validator, with no
                 context word near it.
    context      words that raise confidence when found in the name of the field
                 that holds the value (a JSON/YAML key, an assignment, a CSV
                 column header, a Kubernetes ``name:``), or within 48
                 characters before or after the value in the same sentence
                 (``extproc.detect.context``). A field name is compared word
                 by word: "access_key" matches ``accessKey`` and ``ACCESS-KEY``.
    max_len      longest value this detector can match, in characters: bounds
                 how much a streaming scanner must hold back.
    examples     texts that must yield exactly one finding of this detector.
    negatives    texts that must yield no finding of this detector at 0.5 or
                 above (a weak candidate, which only an L4 rule acts on, may
                 be reported).
    builtin      built-in patterns are vetted and may use Python ``re``;
                 user patterns always run on the linear-time engine.

    Evidence beyond the pattern (all optional):

    context_confidence  confidence when a ``context`` word is near (None: same
                        as ``confidence``). For ambiguous values (phones, IPs)
                        ``confidence`` is the lowered no-context figure.
    exact               a regex the whole value matches when it has the exact
                        published format (provider tokens);
    exact_confidence    ... and the confidence such a value earns.
    invalid_confidence  a match that FAILS its validator is still reported, at
                        this confidence, but only when a context word is near
                        (an SSN-shaped ITIN after "ssn:") and, when the spec
                        has a ``weak_validator``, it passes that (a fictional
                        555-01xx number after "phone:", not a prefix such as
                        "+56"). None: failures drop.
    prefilter           for detectors without keywords: a cheap RE2 pattern that
                        matches inside every value (a necessary condition); the
                        detector then runs only within ``max_len`` of its hits.
    gate                a cheap RE2 pattern, matched on the whole text, that
                        occurs wherever this detector can report anything (a
                        necessary condition, context words included): texts
                        where no detector's gate occurs skip scanning. None:
                        the keywords, else the prefilter, else (user patterns,
                        which run on RE2) the pattern itself. Set it where the
                        default is weak ("sk-" occurs in "task-based").
                        ``A[\\s\\S]*B``: a context word A, then a value B; on
                        the text scanned, A must end within the context's
                        reach of B (``gate.Gate``); ``B[\\s\\S]*?A``: a
                        value, then a context word in its sentence.
    needs_context       a regex: a value that fully matches it is reported only
                        with context (a context word or a companion); bare
                        digit runs ("536228417" is an SSN only under "ssn").
    context_validator   a validator name: a value that fails ``validator`` but
                        has context is reported (at ``context_confidence``) if
                        it passes this looser check (phone numbers of any
                        region after "phone").
    weak_validator      a validator name, with ``weak_confidence``: a value that
    weak_confidence     fails ``validator`` but passes this check is reported at
                        this low confidence (under 0.5: only an L4 rule acts):
                        shapes typed as examples every day (SSN shapes outside
                        the SSA ranges, fictional 555-01xx numbers).
    companion           a regex: a match of it within 256 characters before or
                        after the value counts as context (an AWS key id next
                        to a secret key that has no name).
    negative_window     words that, anywhere in the value's sentence before it
                        (``context.WINDOW`` characters), say it is something else
                        unless a ``context`` word says otherwise ("Changes in
                        1.2.3.4", "Bump Standards-Version to 4.6.0.1").
    scorer              name in ``extproc.detect.scorers.SCORERS``: a function
                        ``(text, start, end) -> confidence or None`` that
                        rates a match from the value AND what lies around it
                        (a "Dear" before a name, a password's strength). It
                        takes the place of ``validator`` and ``confidence``;
                        ``exact`` and ``context`` still raise its figure.
    value_group         which capture group is the value: None (the group
                        named ``value``, else the whole match), a number, or
                        ``regex.FIRST_GROUP`` (the first that matched:
                        gitleaks' rule when ``secretGroup`` is unset).
    min_entropy         a value whose Shannon entropy (bits per character) is
                        at most this is dropped (gitleaks' ``entropy``).
    allow               RE2 patterns: a value one of them matches (anywhere
                        in it) is dropped (gitleaks' allowlist ``regexes`` and
                        ``stopwords``).
    negative_context    words that, right before the value (nothing but a few
                        spaces or punctuation between), say it is something
                        else: the match is dropped ("version 1.2.3.0" is no
                        IP address, "EAN 4334751161885" no card).
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
    context_confidence: float | None = None
    exact: str | None = None
    exact_confidence: float | None = None
    invalid_confidence: float | None = None
    prefilter: str | None = None
    negative_context: tuple[str, ...] = ()
    gate: str | None = None
    needs_context: str | None = None
    context_validator: str | None = None
    weak_validator: str | None = None
    weak_confidence: float | None = None
    companion: str | None = None
    negative_window: tuple[str, ...] = ()
    scorer: str | None = None
    value_group: int | None = None
    min_entropy: float | None = None
    allow: tuple[str, ...] = ()
