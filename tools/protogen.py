"""Generate the protobuf code in extproc/wire/pb/ from proto/, or check it is up to date.

    python tools/protogen.py generate   # rewrite the committed generated files in place
    python tools/protogen.py check      # exit 1, naming the files, when they differ from proto/

Both run grpcio-tools' protoc with the include path `proto`, so the generated files name
their sources `extproc/wire/pb/<name>.proto` wherever the output goes; that is what makes a
byte-for-byte comparison with a fresh generation in a temporary directory meaningful.
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = "proto"
PACKAGE = Path("extproc/wire/pb")
# The generated files embed the protobuf and grpc versions, so another grpcio-tools
# produces different bytes: a mismatch is reported as the likely cause of a failed check.
PINNED_GRPCIO_TOOLS = "1.85.1"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")
DIFF_LINES = 40


@dataclass(frozen=True)
class Problem:
    """One generated file that does not match proto/."""

    path: Path  # relative to the repository root
    reason: str  # "differs", "missing" or "no proto"
    diff: str = ""


def proto_files(root: Path) -> list[Path]:
    """The .proto files of our subset, relative to `root`, sorted."""
    return sorted(p.relative_to(root) for p in (root / PROTO_DIR / PACKAGE).glob("*.proto"))


def is_generated(name: str) -> bool:
    return name.endswith(GENERATED_SUFFIXES)


def generate(root: Path, out: Path) -> list[Path]:
    """Run protoc over root's protos, writing under `out`; return the files written (relative)."""
    protos = proto_files(root)
    if not protos:
        raise SystemExit(f"protogen: no .proto files under {root / PROTO_DIR / PACKAGE}")
    out.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTO_DIR}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *(str(p) for p in protos),
    ]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"protogen: protoc failed ({result.returncode}):\n{result.stderr}")
    return sorted(p.relative_to(out) for p in (out / PACKAGE).iterdir() if is_generated(p.name))


def _diff(committed: bytes, fresh: bytes, path: Path) -> str:
    lines = list(
        difflib.unified_diff(
            committed.decode("utf-8", "replace").splitlines(),
            fresh.decode("utf-8", "replace").splitlines(),
            f"committed/{path}",
            f"generated/{path}",
            lineterm="",
        )
    )
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"... ({len(lines) - DIFF_LINES} more diff lines)"]
    return "\n".join(lines)


def check(root: Path) -> list[Problem]:
    """Compare root's committed generated files with a fresh generation from root's protos."""
    with tempfile.TemporaryDirectory(prefix="protogen-") as tmp:
        out = Path(tmp)
        fresh = {path: (out / path).read_bytes() for path in generate(root, out)}
    committed_dir = root / PACKAGE
    committed = (
        {p.relative_to(root) for p in committed_dir.iterdir() if is_generated(p.name)}
        if committed_dir.is_dir()
        else set()
    )
    problems: list[Problem] = []
    for path in sorted(fresh.keys() | committed):
        if path not in committed:
            problems.append(Problem(path, "missing"))
        elif path not in fresh:
            problems.append(Problem(path, "no proto"))
        else:
            old = (root / path).read_bytes()
            if old != fresh[path]:
                problems.append(Problem(path, "differs", _diff(old, fresh[path], path)))
    return problems


def installed_grpcio_tools() -> str:
    try:
        return metadata.version("grpcio-tools")
    except metadata.PackageNotFoundError:
        return "not installed"


def report(problems: list[Problem]) -> str:
    """A summary naming every file, then the (bounded) diffs."""
    lines = [f"protogen: {len(problems)} generated file(s) out of date with {PROTO_DIR}/:"]
    lines += [f"  {p.reason:<8}  {p.path}" for p in problems]
    lines += [p.diff for p in problems if p.diff]
    version = installed_grpcio_tools()
    if version != PINNED_GRPCIO_TOOLS:
        lines.append(
            f"note: grpcio-tools {version} is installed but the code is generated with "
            f"{PINNED_GRPCIO_TOOLS}; install that version before regenerating"
        )
    lines.append("fix: python tools/protogen.py generate (and delete files marked 'no proto')")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("mode", choices=("generate", "check"))
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (for tests)")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    if args.mode == "generate":
        for path in generate(root, root):
            print(f"protogen: wrote {path}")
        return 0
    problems = check(root)
    if problems:
        print(report(problems), file=sys.stderr)
        return 1
    print(f"protogen: {len(proto_files(root))} proto file(s), generated code up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
