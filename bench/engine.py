"""Scan throughput of the detection engine, best of 3 (a script, not a test).

    .venv/bin/python bench/engine.py [--mb 5]

Clean text: chat-like English with the numbers, times, versions and code
fragments real prompts carry, but no sensitive value. Dense text: the same with
a sensitive value every ~200 characters.
"""

from __future__ import annotations

import argparse
import random
import time

from extproc.detect.catalogue import BUILTIN
from extproc.detect.scanner import Scanner, build_scanner

_VOCABULARY = """
the model answer prompt token budget request user assistant please could you
explain why this function returns none when the list is empty and how should
we handle retries timeout errors in production deploy config review summary
draft email meeting notes tomorrow customer report quarter revenue growth plan
python service latency cache database index query migration rollback release
"""
_WORDS = _VOCABULARY.split()

_EXTRAS = (
    "in 2023",
    "about 15 minutes",
    "at 10:30",
    "version 3.11.4",
    "step 2 of 7",
    "`for i in range(10):`",
    "(see section 4.2)",
    "costs $1,250",
    "PR #4821",
    "on 2024-05-17",
    "task-based",
    "Note:",
    "Asia",
    "e.g.",
)

_VALUES = (
    "jane.doe@example.com",
    "4111 1111 1111 1111",
    "SSN 123-45-6789",
    "call (415) 555-2671",
    "server 192.168.10.20",
    "DE89 3704 0044 0532 0130 00",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_" + "RVDoi5IS8Dsa3NNk1dyqTmuhdh2DkdrCzMur",
    "sk-" + "n3NufGVZVgsGfKDda6HNf3xBhpvGo1Qh",
    "+44 20 7946 0958",
)

# Personal data the default policy redacts (no secrets: it would block those).
PII_VALUES = tuple(v for v in _VALUES if not v.startswith(("AKIA", "ghp_", "sk-")))


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(6, 16))
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), rng.choice(_EXTRAS))
    return " ".join(words).capitalize() + rng.choice((".", ".", "?", "!"))


def clean_text(size: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size:
        sentence = _sentence(rng)
        parts.append(sentence)
        total += len(sentence) + 1
    return " ".join(parts)[:size]


def dense_text(size: int, seed: int = 11, values: tuple[str, ...] = _VALUES) -> str:
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size:
        chunk = _sentence(rng) + " " + _sentence(rng)
        parts.append(chunk[:190] + " " + rng.choice(values) + " ")
        total += len(parts[-1])
    return "".join(parts)[:size]


def best_of(scanner: Scanner, text: str, runs: int = 3) -> tuple[float, int]:
    best = float("inf")
    found = 0
    for _ in range(runs):
        start = time.perf_counter()
        found = len(scanner.scan(text))
        best = min(best, time.perf_counter() - start)
    return best, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=5.0, help="text size in MB (default 5)")
    args = parser.parse_args()
    size = int(args.mb * 1_000_000)
    scanner = build_scanner(BUILTIN)
    for name, text in (("clean", clean_text(size)), ("pii-dense", dense_text(size))):
        seconds, found = best_of(scanner, text)
        rate = len(text) / seconds / 1e6
        size_mb = len(text) / 1e6
        print(f"{name:10s} {size_mb:5.1f} MB  {seconds * 1000:7.1f} ms  {rate:6.1f} MB/s  {found=}")


if __name__ == "__main__":
    main()
