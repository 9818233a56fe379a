"""The repository stands alone: no file it holds (code, configs, docs,
comments included) points outside it, so a clone with nothing beside it
builds and passes its tests."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A relative path that climbs (../x); what names the folders that sit beside
# the repository where it is developed (shared/, /work/), or its parent.
CLIMB = re.compile(r"(?<![\w.])((?:\.\./)+[\w./-]*)")
BESIDE = re.compile(r"(?<![\w.-])(?:/work/|shared/)|\bROOT\.parent\b")


def tracked() -> list[Path]:
    done = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, timeout=60, check=False
    )
    if done.returncode == 0 and done.stdout:
        return [ROOT / name for name in done.stdout.decode().split("\0") if name]
    return [p for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts]


def test_no_file_points_outside_the_repository() -> None:
    outside = []
    for path in tracked():
        if path == Path(__file__).resolve():
            continue  # its own patterns and examples
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            if BESIDE.search(line):
                outside.append(f"{where}: {line.strip()}")
            for climb in CLIMB.findall(line):
                target = (path.parent / climb).resolve()
                if target != ROOT and ROOT not in target.parents:
                    outside.append(f"{where}: {climb}")
    assert outside == []


def test_the_check_sees_a_path_outside() -> None:
    assert CLIMB.findall("read ../shared/istio/crd.yaml") == ["../shared/istio/crd.yaml"]
    assert BESIDE.search("see /work/shared/STYLE.md")
    assert BESIDE.search('CRD = ROOT.parent / "shared" / "istio"')
    assert not BESIDE.search("https://example.org/work/x")
