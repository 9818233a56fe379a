"""The README's offline examples run as written, on the files in examples/,
and do what the README says they do."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Example:
    command: str  # as written in the README
    comment: str


def offline_examples() -> list[Example]:
    """The shell block that follows "Scan text offline" in the README."""
    start = README.index("Scan text offline")
    block = re.search(r"```sh\n(.*?)```", README[start:], re.S)
    assert block is not None
    out = []
    for line in block.group(1).splitlines():
        command, _, comment = line.partition("#")
        if command.strip():
            out.append(Example(command.strip(), comment.strip()))
    return out


EXAMPLES = offline_examples()


def run(example: Example) -> subprocess.CompletedProcess[str]:
    # As written, with this test run's virtualenv standing in for .venv.
    command = example.command.replace(".venv/bin/", f"{shlex.quote(str(VENV_BIN))}/")
    return subprocess.run(
        command, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_every_file_an_example_names_is_shipped() -> None:
    assert len(EXAMPLES) >= 5
    for example in EXAMPLES:
        assert example.command.startswith(".venv/bin/extproc "), example.command
        for word in shlex.split(example.command):
            if word.startswith("examples/"):
                assert (ROOT / word).is_file(), word


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.command.split(" ", 1)[1] for e in EXAMPLES])
def test_the_example_runs_as_the_readme_says(example: Example) -> None:
    done = run(example)
    assert "Traceback" not in done.stderr
    expected = 1 if "exit 1" in example.comment else 0
    assert done.returncode == expected, done.stderr
    words = shlex.split(example.command)
    if "--redact" in words and done.returncode == 1:
        assert done.stdout == ""  # nothing of a blocked text
        assert done.stderr.startswith("extproc scan: blocked:")
        assert "secret/github_token" in done.stderr
    elif "--redact" in words:
        original = (ROOT / words[-1]).read_text(encoding="utf-8")
        for value in ("jane.doe@contoso.org", "4111 1111 1111 1111", "415 555 0132"):
            assert value in original and value not in done.stdout
        if "pseudonymize" in example.command:
            assert "<EMAIL_1>" in done.stdout and "<EMAIL_2>" in done.stdout
    elif "--jsonl" in words:
        records = [json.loads(line) for line in done.stdout.splitlines()]
        assert len(records) == len((ROOT / words[-1]).read_text().splitlines())
        assert [r["blocked"] for r in records].count(True) == 1
    elif words[1] == "scan":
        detectors = [line.split("\t", 1)[0] for line in done.stdout.splitlines()]
        assert detectors[0] == "pii/name" and "pii/email" in detectors  # "Jane Doe" first
    else:
        assert all(": OK: " in line for line in done.stdout.splitlines())
