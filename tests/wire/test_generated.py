"""The committed code in extproc/wire/pb/ is exactly what tools/protogen.py makes of proto/."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "protogen.py"


def _load_protogen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("protogen", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is being built.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


protogen = _load_protogen()
PB = ROOT / "extproc" / "wire" / "pb"


def test_committed_code_matches_proto() -> None:
    problems = protogen.check(ROOT)
    assert not problems, protogen.report(problems)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of proto/ and the committed generated code, to tamper with."""
    shutil.copytree(ROOT / "proto", tmp_path / "proto")
    shutil.copytree(PB, tmp_path / "extproc" / "wire" / "pb")
    assert protogen.check(tmp_path) == [], "the pristine copy must pass"
    return tmp_path


def _by_path(problems: list[Any]) -> dict[str, str]:
    return {str(p.path): p.reason for p in problems}


def test_edited_generated_file_is_detected(tree: Path) -> None:
    target = tree / "extproc/wire/pb/external_processor_pb2.pyi"
    target.write_text(target.read_text().replace("end_of_stream", "end_of_streem", 1))

    problems = protogen.check(tree)

    assert _by_path(problems) == {"extproc/wire/pb/external_processor_pb2.pyi": "differs"}
    assert "-" in problems[0].diff and "end_of_streem" in problems[0].diff


def test_changed_proto_is_detected(tree: Path) -> None:
    # A wrong field number changes the serialised descriptor (_pb2.py) only.
    proto = tree / "proto/extproc/wire/pb/external_processor.proto"
    text = proto.read_text()
    assert "bool observability_mode = 10;" in text
    proto.write_text(text.replace("bool observability_mode = 10;", "bool observability_mode = 12;"))

    assert _by_path(protogen.check(tree)) == {
        "extproc/wire/pb/external_processor_pb2.py": "differs"
    }


def test_stale_and_missing_files_are_detected(tree: Path) -> None:
    (tree / "extproc/wire/pb/base_pb2_grpc.py").unlink()
    (tree / "extproc/wire/pb/removed_pb2.py").write_text("# generated from a deleted proto\n")
    (tree / "extproc/wire/pb/__init__.py").write_text("")  # not generated: ignored

    assert _by_path(protogen.check(tree)) == {
        "extproc/wire/pb/base_pb2_grpc.py": "missing",
        "extproc/wire/pb/removed_pb2.py": "no proto",
    }


def test_cli_exit_codes_and_summary(tree: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(SCRIPT), *args, "--root", str(tree)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert run("check").returncode == 0

    target = tree / "extproc/wire/pb/http_status_pb2.py"
    target.write_bytes(target.read_bytes() + b"# drift\n")
    failed = run("check")
    assert failed.returncode == 1
    assert "differs   extproc/wire/pb/http_status_pb2.py" in failed.stderr
    assert "+# drift" not in failed.stderr and "-# drift" in failed.stderr

    generated = run("generate")
    assert generated.returncode == 0, generated.stderr
    assert "wrote extproc/wire/pb/http_status_pb2.py" in generated.stdout
    assert run("check").returncode == 0
