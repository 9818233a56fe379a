"""Detection quality on a generated, labelled corpus (a script, not a test).

    .venv/bin/python -m bench.quality [--seed 7] [--scale 1] [--keep DIR]
                                      [--write README.md] [--errors N] [--throughput]

Three corpora are generated with Faker from one seed (``bench/corpus/``): the
original one (chat-like texts with values of every built-in detector, and
hard negatives), an evasion one (the same kinds of values with one encoding
applied at random) and a notations one (values written the way people and
tools write them, and ordinary text that looks like values;
``bench/corpus/notations.py``); a signals corpus (injections, refusals,
profanity and their hard negatives in four languages,
``bench/corpus/signals.py``) is scored per text. Each is written as JSON lines and scanned the way
a user would, with ``extproc scan --policy policies/default.yaml --jsonl``;
the findings are matched against the labels.

A finding is a true positive when its detector is the label's and the spans
overlap by at least half of the longer of the two (an exact match counts);
each label matches at most one finding. Unmatched findings are false
positives, unmatched labels false negatives. Micro figures add up all counts.

Throughput against Presidio's pattern recognizers is measured on the same
texts when ``presidio_analyzer`` imports (it is not a project dependency).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bench.corpus.notations import NOTATIONS, notation_corpus
from bench.corpus.people import people_corpus
from bench.corpus.signals import SIGNALS, signal_corpus
from bench.corpus.texts import ENCODINGS, Record, Texts

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "default.yaml"
TARGET = 0.97
NOTATIONS_TARGET = 0.95
# Names and addresses, on the people corpus (names from other sources than the lists).
PEOPLE_TARGETS = {"pii/name with context": 0.85, "pii/address": 0.9}
# Which records each people row is measured on (negatives count against all).
PEOPLE_GROUPS = {
    "pii/name with context": ("pii/name", {"name_context", "negative", "address"}),
    "pii/name in running text (no context)": ("pii/name", {"name_bare", "negative"}),
    "pii/address": ("pii/address", {"address", "negative", "name_context"}),
}


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    exact: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.exact += other.exact

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Scored:
    by_detector: dict[str, Counts] = field(default_factory=dict)
    by_encoding: dict[str, Counts] = field(default_factory=dict)
    errors: list[tuple[str, str, Record, tuple[str, int, int]]] = field(default_factory=list)

    def micro(self) -> Counts:
        total = Counts()
        for counts in self.by_detector.values():
            total.add(counts)
        return total


# --- corpora


def original_corpus(texts: Texts, detectors: list[str], scale: float) -> list[Record]:
    per_detector = round(120 * scale)
    records = [texts.single(d) for d in detectors for _ in range(per_detector)]
    records += [texts.mixed(detectors) for _ in range(round(300 * scale))]
    records += [texts.negative() for _ in range(round(1500 * scale))]
    records += [texts.clean() for _ in range(round(200 * scale))]
    return records


def evasion_corpus(texts: Texts, detectors: list[str], scale: float) -> list[Record]:
    records: list[Record] = []
    per_pair = round(30 * scale)
    for detector in detectors:
        for encoding in ENCODINGS:
            made = 0
            for _ in range(4 * per_pair):  # draws it does not apply to are skipped
                record = texts.evasion(detector, encoding)
                if record is not None:
                    records.append(record)
                    made += 1
                if made == per_pair:
                    break
    for encoding in ENCODINGS:
        records += [texts.evasion_negative(encoding) for _ in range(round(120 * scale))]
    return records


# --- scanning, as a user would


def scan(
    records: list[Record], workdir: Path, name: str, direction: str = "request"
) -> dict[str, list[dict[str, object]]]:
    source = workdir / f"{name}.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps({"id": r.id, "text": r.text}, ensure_ascii=False) + "\n")
    argv = [sys.executable, "-m", "extproc.cli", "scan", "--policy", str(POLICY)]
    argv += ["--direction", direction]
    done = subprocess.run(
        [*argv, "--jsonl", str(source)], capture_output=True, text=True, check=False, cwd=ROOT
    )
    if done.returncode not in (0, 1):  # 1: the policy would block some record
        raise SystemExit(f"extproc scan failed ({done.returncode}): {done.stderr.strip()}")
    (workdir / f"{name}.findings.jsonl").write_text(done.stdout, encoding="utf-8")
    findings: dict[str, list[dict[str, object]]] = {}
    for line in done.stdout.splitlines():
        row = json.loads(line)
        findings[row["id"]] = row["findings"]
    return findings


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter / max(a[1] - a[0], b[1] - b[0]) if inter > 0 else 0.0


def score(records: list[Record], findings: dict[str, list[dict[str, object]]]) -> Scored:
    scored = Scored()

    def counts(table: dict[str, Counts], key: str) -> Counts:
        return table.setdefault(key, Counts())

    for record in records:
        used: set[int] = set()
        for f in findings.get(record.id, []):
            detector, start, end = str(f["detector"]), int(str(f["start"])), int(str(f["end"]))
            hit = next(
                (
                    i
                    for i, (d, s, e) in enumerate(record.labels)
                    if i not in used and d == detector and _overlap((s, e), (start, end)) >= 0.5
                ),
                None,
            )
            outcome = Counts(tp=hit is not None, fp=hit is None)
            if hit is not None:
                used.add(hit)
                outcome.exact = record.labels[hit][1:] == (start, end)
            else:
                scored.errors.append(("FP", detector, record, (detector, start, end)))
            counts(scored.by_detector, detector).add(outcome)
            counts(scored.by_encoding, record.encoding).add(outcome)
        for i, label in enumerate(record.labels):
            if i not in used:
                scored.errors.append(("FN", label[0], record, label))
                counts(scored.by_detector, label[0]).add(Counts(fn=1))
                counts(scored.by_encoding, record.encoding).add(Counts(fn=1))
    return scored


def _values_only(
    found: dict[str, list[dict[str, object]]],
) -> dict[str, list[dict[str, object]]]:
    """Findings of value detectors: content signals are scored on their own corpus."""
    return {
        k: [f for f in v if not str(f["detector"]).startswith("signal/")] for k, v in found.items()
    }


# Content signals are scored per text: does it carry the signal? (A phrase's
# extent is a matter of taste; whether the text is an attack is not.)
SIGNALS_TARGET = 0.95


def score_signals(records: list[Record], findings: dict[str, list[dict[str, object]]]) -> Scored:
    scored = Scored()
    for record in records:
        found = {str(f["detector"]) for f in findings.get(record.id, [])}
        truth = {label[0] for label in record.labels}
        for detector in SIGNALS:
            hit, said = detector in truth, detector in found
            counts = scored.by_detector.setdefault(detector, Counts())
            outcome = Counts(tp=hit and said, fp=said and not hit, fn=hit and not said)
            counts.add(outcome)
            if outcome.fp or outcome.fn:
                kind = "FP" if outcome.fp else "FN"
                scored.errors.append((kind, detector, record, (detector, 0, len(record.text))))
    return scored


def render_signals(records: list[Record], scored: Scored) -> str:
    m = scored.micro()
    negatives = sum(r.kind == "negative" for r in records)
    return "\n".join(
        [
            "",
            f"Signals corpus (``bench/corpus/signals.py``, English, German, French, Spanish): "
            f"{len(records)} texts, {len(records) - negatives} carrying a signal (injections "
            f"in messages, tool results, documents and base64; refusals; profanity), "
            f"{negatives} hard negatives (questions and articles about injections, quoted "
            f"refusals, Scunthorpe words). Scored per text. Micro-F1 **{m.f1:.3f}** "
            f"(target {SIGNALS_TARGET}).",
            "",
            table("signal", sorted(scored.by_detector.items()), m),
            "",
        ]
    )


def _without_people(findings: list[dict[str, object]]) -> list[dict[str, object]]:
    return [f for f in findings if f["detector"] not in ("pii/name", "pii/address")]


def score_people(records: list[Record], findings: dict[str, list[dict[str, object]]]) -> Scored:
    """One row per ``PEOPLE_GROUPS`` entry: its detector's findings on its records only."""
    scored = Scored()
    for row, (detector, kinds) in PEOPLE_GROUPS.items():
        subset = [r for r in records if r.kind in kinds]
        mine = {
            r.id: [f for f in findings.get(r.id, []) if f["detector"] == detector] for r in subset
        }
        labelled = [
            Record(r.id, r.text, [lb for lb in r.labels if lb[0] == detector], r.kind)
            for r in subset
        ]
        part = score(labelled, mine)
        scored.by_detector[row] = part.by_detector.get(detector, Counts())
        scored.errors += part.errors
    return scored


# --- reporting


def table(title: str, rows: Iterable[tuple[str, Counts]], total: Counts | None) -> str:
    lines = [
        f"| {title} | labels | TP | FP | FN | precision | recall | F1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def row(name: str, c: Counts) -> str:
        return (
            f"| {name} | {c.tp + c.fn} | {c.tp} | {c.fp} | {c.fn} | "
            f"{c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} |"
        )

    lines += [row(f"`{name}`", c) for name, c in rows]
    if total is not None:
        lines.append(row("**micro**", total))
    return "\n".join(lines)


def show_errors(scored: Scored, limit: int) -> None:
    seen: Counter[tuple[str, str]] = Counter()
    for kind, detector, record, (_, start, end) in scored.errors:
        seen[(kind, detector)] += 1
        if seen[(kind, detector)] > limit:
            continue
        text = record.text
        marked = f"{text[max(0, start - 60) : start]}[[{text[start:end]}]]{text[end : end + 30]}"
        print(f"{kind} {detector} {record.id} {record.encoding}: {marked!r}", file=sys.stderr)


def throughput(texts: list[str], detectors: list[str]) -> list[tuple[str, float, float]]:
    """MB/s of the engine, and of Presidio's pattern recognizers where they import."""
    from extproc.detect.catalogue import BUILTIN
    from extproc.detect.scanner import build_scanner

    size = sum(len(t.encode()) for t in texts) / 1e6
    shared = ["pii/email", "pii/credit_card", "pii/us_ssn", "pii/ip_address", "pii/iban"]
    engines: list[tuple[str, Callable[[str], object]]] = [
        (f"engine, all {len(detectors)} detectors", build_scanner(BUILTIN).scan),
        (
            "engine, the 5 detectors Presidio also has",
            build_scanner([s for s in BUILTIN if s.id in shared]).scan,
        ),
    ]
    try:
        from presidio_analyzer.predefined_recognizers import (  # type: ignore[import-not-found]
            CreditCardRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            IpRecognizer,
            UsSsnRecognizer,
        )
    except ImportError:
        pass
    else:
        recognizers = [
            r()
            for r in (
                EmailRecognizer,
                CreditCardRecognizer,
                UsSsnRecognizer,
                IpRecognizer,
                IbanRecognizer,
            )
        ]

        def presidio(text: str) -> object:
            return [r.analyze(text, r.supported_entities, None) for r in recognizers]

        engines.append(("Presidio pattern recognizers (same 5)", presidio))
    joined = "\n".join(texts)
    results = []
    for name, run in engines:
        rates = []
        for batch in (texts, [joined]):
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                for text in batch:
                    run(text)
                best = min(best, time.perf_counter() - started)
            rates.append(size / best)
        results.append((name, rates[0], rates[1]))
    return results


BEGIN, END = "<!-- quality:begin -->", "<!-- quality:end -->"


def write_between_markers(path: Path, report: str) -> None:
    """Replace the generated block of ``path`` (the text around it stays)."""
    old = path.read_text(encoding="utf-8") if path.exists() else f"{BEGIN}\n{END}\n"
    head, found, rest = old.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} block to replace")
    path.write_text(f"{head}{BEGIN}\n{report}{END}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="corpus size factor")
    parser.add_argument("--keep", type=Path, help="write the corpora and findings here")
    parser.add_argument(
        "--write", type=Path, help="put the tables in this Markdown file, between its markers"
    )
    parser.add_argument("--errors", type=int, default=0, help="print N errors per detector")
    parser.add_argument("--throughput", action="store_true", help="also measure MB/s")
    args = parser.parse_args()

    from extproc.detect.catalogue import BUILTIN

    detectors = [spec.id for spec in BUILTIN if spec.id not in SIGNALS]
    texts = Texts(args.seed)
    original = original_corpus(texts, detectors, args.scale)
    evasion = evasion_corpus(texts, detectors, args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        first = score(original, _values_only(scan(original, workdir, "original")))
        second = score(evasion, _values_only(scan(evasion, workdir, "evasion")))
        notations = notation_corpus(args.seed, args.scale)
        # That corpus labels no names or addresses (its frames hold Faker's
        # people): those two detectors are left out of its score.
        found = scan(notations, workdir, "notations")
        found = _values_only(found)
        third = score(notations, {k: _without_people(v) for k, v in found.items()})
        people = people_corpus(args.seed, args.scale)
        fourth = score_people(people, _values_only(scan(people, workdir, "people")))
        signals = signal_corpus(args.seed, args.scale)
        # Prompts and answers: injections are a prompt's signal, refusals an answer's.
        as_prompts = scan(signals, workdir, "signals-prompts")
        as_answers = scan(signals, workdir, "signals-answers", "response")
        fifth = score_signals(
            signals, {k: v + as_answers.get(k, []) for k, v in as_prompts.items()}
        )
    if args.errors:
        for scored in (first, second, third, fourth, fifth):
            show_errors(scored, args.errors)
    speed = throughput([r.text for r in original], detectors) if args.throughput else []
    report = render(args.seed, original, evasion, first, second, speed)
    report += render_notations(notations, third)
    report += render_people(people, fourth)
    report += render_signals(signals, fifth)
    print(report)
    if args.write:
        write_between_markers(args.write, report)
    for name, scored, target in (
        ("original", first, TARGET),
        ("evasion", second, TARGET),
        ("notations", third, NOTATIONS_TARGET),
        ("signals", fifth, SIGNALS_TARGET),
    ):
        if scored.micro().f1 < target:
            raise SystemExit(
                f"{name}: micro-F1 {scored.micro().f1:.3f} is under the target {target}"
            )
    for row, target in PEOPLE_TARGETS.items():
        if fourth.by_detector[row].f1 < target:
            raise SystemExit(f"{row}: F1 {fourth.by_detector[row].f1:.3f} is under {target}")


def render(
    seed: int,
    original: list[Record],
    evasion: list[Record],
    first: Scored,
    second: Scored,
    speed: list[tuple[str, float, float]],
) -> str:
    kinds = Counter(r.kind for r in original)
    m1, m2 = first.micro(), second.micro()
    parts = [
        f"Original corpus (seed {seed}): {len(original)} texts, "
        f"{sum(len(r.labels) for r in original)} labelled values, "
        f"{kinds['negative']} hard negatives, {kinds['clean']} clean paragraphs. "
        f"Micro-F1 **{m1.f1:.3f}** (target {TARGET}); {m1.exact} of {m1.tp} true positives "
        "have the exact labelled span.",
        "",
        table("detector", sorted(first.by_detector.items()), m1),
        "",
        f"Evasion corpus: {len(evasion)} texts, {sum(len(r.labels) for r in evasion)} "
        f"encoded values, {sum(r.kind == 'negative' for r in evasion)} encoded hard "
        f"negatives. Micro-F1 **{m2.f1:.3f}**.",
        "",
        table("detector", sorted(second.by_detector.items()), m2),
        "",
        table(
            "encoding",
            [(e, second.by_encoding[e]) for e in ENCODINGS if e in second.by_encoding],
            None,
        ),
    ]
    if speed:
        parts += [
            "",
            f"| scanner, one core, the original corpus | MB/s, {len(original)} texts | "
            "MB/s, as one text |",
            "| --- | ---: | ---: |",
            *[f"| {name} | {each:.2f} | {whole:.2f} |" for name, each, whole in speed],
        ]
    return "\n".join(parts) + "\n"


def render_notations(records: list[Record], scored: Scored) -> str:
    m = scored.micro()
    clean = sum(r.kind == "negative" for r in records)
    parts = [
        "",
        f"Notations corpus: {len(records)} texts, {sum(len(r.labels) for r in records)} "
        f"labelled values, {clean} clean look-alikes. Micro-F1 **{m.f1:.3f}** "
        f"(target {NOTATIONS_TARGET}).",
        "",
        table("detector", sorted(scored.by_detector.items()), m),
        "",
        table(
            "notation",
            [(n, scored.by_encoding.get(n, Counts())) for n in NOTATIONS],
            None,
        ),
    ]
    return "\n".join(parts) + "\n"


def render_people(records: list[Record], scored: Scored) -> str:
    kinds = Counter(r.kind for r in records)
    return "\n".join(
        [
            "",
            f"People corpus: {len(records)} texts ({kinds['name_context']} names with context, "
            f"{kinds['name_bare']} in running text, {kinds['address']} addresses, "
            f"{kinds['negative']} hard negatives); names from Faker locales other than the "
            "shipped lists' source. Targets: "
            + ", ".join(f"{row} F1 >= {t}" for row, t in PEOPLE_TARGETS.items())
            + ".",
            "",
            table("measured on", scored.by_detector.items(), None),
            "",
        ]
    )


if __name__ == "__main__":
    main()
