"""The model-recogniser seam: findings merged, time budget kept, failures contained."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence

import pytest

from extproc.detect.catalogue import BUILTIN
from extproc.detect.finding import Finding
from extproc.detect.recognizers import ModelPass, load_recognizers, merge
from extproc.detect.scanner import build_scanner
from extproc.policy.compile import compile_policy
from extproc.policy.load import parse_policy

SPECS = [s for s in BUILTIN if s.id in ("pii/email", "pii/name")]


class Toy:
    """Stands for a NER model: finds one made-up name the lists do not hold."""

    detectors = frozenset({"pii/name"})

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls = 0

    def recognize(self, text: str) -> Sequence[Finding]:
        self.calls += 1
        time.sleep(self.delay)
        return [Finding("pii/name", m.start(), m.end(), 0.8) for m in re.finditer("Zorblax", text)]


class Broken:
    detectors = frozenset({"pii/name"})

    def recognize(self, text: str) -> Sequence[Finding]:
        raise RuntimeError("model crashed")


def toy_factory() -> Toy:
    return Toy()


def test_model_findings_join_the_catalogue_ones() -> None:
    scanner = build_scanner(SPECS, model=ModelPass([Toy()], budget=2.0))
    text = "Ask Zorblax at zorblax@example.org, please"
    found = [(f.detector, text[f.start : f.end]) for f in scanner.scan(text)]
    assert found == [("pii/name", "Zorblax"), ("pii/email", "zorblax@example.org")]


def test_a_slow_model_is_abandoned_at_the_budget() -> None:
    model = ModelPass([Toy(delay=0.5)], budget=0.05)
    scanner = build_scanner(SPECS, model=model)
    started = time.monotonic()
    found = scanner.scan("Ask Zorblax at zorblax@example.org")
    assert time.monotonic() - started < 0.4
    assert [f.detector for f in found] == ["pii/email"]
    assert model.late == 1


def test_a_failing_model_loses_nothing_else() -> None:
    model = ModelPass([Broken()], budget=1.0)
    found = build_scanner(SPECS, model=model).scan("mail zorblax@example.org")
    assert [f.detector for f in found] == ["pii/email"] and model.failed == 1


def test_a_model_sees_what_the_gate_clears_but_not_for_disabled_detectors() -> None:
    toy = Toy()
    scanner = build_scanner(SPECS, model=ModelPass([toy], budget=1.0))
    assert not scanner.clear("a note from Zorblax")  # the gate has no cue, the model may
    assert [f.detector for f in scanner.scan("a note from Zorblax")] == ["pii/name"]
    assert toy.calls == 1
    email_only = build_scanner([SPECS[0]], model=ModelPass([toy], budget=1.0))
    assert [f.detector for f in email_only.scan("Zorblax x@example.org")] == ["pii/email"]
    assert toy.calls == 1  # it reports no detector this policy enables


def test_catalogue_evidence_wins_an_overlap() -> None:
    kept = [Finding("pii/email", 4, 20, 0.9)]
    extra = [Finding("pii/name", 0, 8, 0.99), Finding("pii/name", 22, 30, 0.8)]
    assert merge(kept, extra) == [kept[0], extra[1]]


def test_a_policy_compiles_with_a_model() -> None:
    policy = parse_policy(
        'version: 1\nname: p\nrules:\n  - detectors: ["pii/name"]\n    request: redact\n', "p"
    )
    compiled = compile_policy(policy, ModelPass([Toy()], budget=1.0))
    assert [f.detector for f in compiled.scanner.scan("Dear Zorblax Quux,")] == ["pii/name"]


def test_recognizers_load_from_module_and_factory() -> None:
    (loaded,) = load_recognizers(f"{__name__}:toy_factory")
    assert isinstance(loaded, Toy)
    with pytest.raises(ValueError, match="cannot import"):
        load_recognizers("no.such.module:factory")
    with pytest.raises(ValueError, match="no Recognizer"):
        load_recognizers(f"{__name__}:test_model_findings_join_the_catalogue_ones")


def test_the_pass_never_leaves_threads_running_past_close() -> None:
    model = ModelPass([Toy()], budget=1.0)
    build_scanner(SPECS, model=model).scan("Ask Zorblax")
    model.close()
    assert not [t for t in threading.enumerate() if t.name.startswith(model.thread_prefix)]
