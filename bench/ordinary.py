"""False positives on ordinary text found on the machine (a script, not a test).

    .venv/bin/python -m bench.ordinary [--mb 8] [--usr-share-doc] [--policy FILE]
                                       [--list N] [--show-values]

The text is real, not generated: the Python sources and documentation of the
packages installed in the repository's own virtualenv (``.venv``: ``*.py``,
``*.pyi``, ``*.rst``, ``*.md``, ``*.txt`` and package ``METADATA``), read in a
fixed order that mixes packages (by a hash of each path; each file capped at
256 KB) until
``--mb`` megabytes are collected. ``--usr-share-doc`` adds the changelogs,
READMEs and copyright files under ``/usr/share/doc`` (outside the repository:
for measurement only; nothing in the tests reads it).

Each file is scanned as one text with the policy (default:
``policies/default.yaml``) the way ``extproc scan`` does, and only findings
the policy acts on are counted. The report gives findings per MB by detector
and lists each finding as ``detector path:line`` with the value masked
(``--show-values`` prints it, for judging by hand; never paste those into a
report).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from extproc.offline import scan_text
from extproc.policy.compile import compile_policy
from extproc.policy.load import load_policy
from extproc.policy.model import Direction

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = {".py", ".pyi", ".rst", ".md", ".txt"}
MAX_FILE = 256 * 1024


def _mixed(paths: list[Path], base: Path) -> Iterator[Path]:
    """``paths`` in a fixed order that mixes packages (by a hash of the relative path)."""
    yield from sorted(paths, key=lambda p: hashlib.sha1(str(p.relative_to(base)).encode()).digest())


def venv_files() -> Iterator[Path]:
    for site in sorted((ROOT / ".venv" / "lib").glob("python*/site-packages")):
        found = [
            path
            for path in site.rglob("*")
            if path.is_file() and (path.suffix in SUFFIXES or path.name == "METADATA")
        ]
        yield from _mixed(found, site)


def doc_files() -> Iterator[Path]:
    base = Path("/usr/share/doc")
    found = [
        path
        for path in base.rglob("*")
        if path.is_file()
        and not path.is_symlink()
        and path.name.lower().startswith(("changelog", "readme", "copyright", "news"))
    ]
    yield from _mixed(found, base)


def read(path: Path) -> str | None:
    try:
        raw = path.read_bytes()[: MAX_FILE * 8]
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        return raw[:MAX_FILE].decode("utf-8")
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile):
        return None


def collect(sources: list[Iterator[Path]], budget: int) -> Iterator[tuple[Path, str]]:
    """Files of each source in turn, up to ``budget`` bytes per source."""
    for source in sources:
        taken = 0
        for path in source:
            text = read(path)
            if not text:
                continue
            yield path, text
            taken += len(text.encode())
            if taken >= budget:
                break


def mask(value: str) -> str:
    return value[:2] + "*" * max(0, len(value) - 4) + value[-2:] if len(value) > 6 else "***"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=8.0, help="megabytes per source (default 8)")
    parser.add_argument("--usr-share-doc", action="store_true", help="also /usr/share/doc")
    parser.add_argument("--policy", type=Path, default=ROOT / "policies" / "default.yaml")
    parser.add_argument("--list", type=int, default=100, help="list at most N findings")
    parser.add_argument("--show-values", action="store_true", help="print values unmasked")
    args = parser.parse_args()

    policy = compile_policy(load_policy(str(args.policy)))
    sources = [venv_files()] + ([doc_files()] if args.usr_share_doc else [])
    size = 0
    files = 0
    per_detector: Counter[str] = Counter()
    listed: list[str] = []
    for path, text in collect(sources, int(args.mb * 1_000_000)):
        files += 1
        size += len(text.encode())
        decision = scan_text(policy, text, Direction.REQUEST)
        for finding, _ in decision.actions:
            per_detector[finding.detector] += 1
            if len(listed) < args.list:
                value = text[finding.start : finding.end]
                shown = value if args.show_values else mask(value)
                line = text.count("\n", 0, finding.start) + 1
                where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                listed.append(
                    f"{finding.detector}\t{finding.confidence:.2f}\t{where}:{line}\t{shown!r}"
                )
    mb = size / 1e6
    total = sum(per_detector.values())
    print(f"{files} files, {mb:.1f} MB, {total} findings, {total / mb:.2f} per MB")
    print()
    print("| detector | findings | per MB |")
    print("| --- | ---: | ---: |")
    for detector, count in sorted(per_detector.items()):
        print(f"| `{detector}` | {count} | {count / mb:.2f} |")
    print(f"| **all** | {total} | {total / mb:.2f} |")
    if listed:
        print(file=sys.stderr)
        for row in listed:
            print(row, file=sys.stderr)


if __name__ == "__main__":
    main()
