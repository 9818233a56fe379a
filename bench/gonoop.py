"""Build the Go no-op ext_proc server (``bench/gonoop/main.go``), the compiled
yardstick of ``make bench``, offline from Debian's packages alone.

    .venv/bin/python -m bench.gonoop          # builds bench/.build/gonoop, prints its path

Needs ``golang-go``, ``golang-google-grpc-dev``, ``golang-google-protobuf-dev``,
``golang-github-golang-protobuf-1-5-dev``, ``protoc-gen-go``, ``protoc-gen-go-grpc``
and ``protobuf-compiler`` (GOPATH mode: the Go libraries come from
``/usr/share/gocode``, nothing is downloaded). The Go code for this repository's
``proto/`` is generated into a scratch GOPATH under ``bench/.build``; nothing
generated is committed. ``missing()`` names what is not installed, so the
benchmark can say so instead of failing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "bench" / "gonoop" / "main.go"
BUILD = ROOT / "bench" / ".build"
BINARY = BUILD / "gonoop"
PROTO = ROOT / "proto"
GOCODE = Path("/usr/share/gocode")  # where Debian's golang-*-dev packages put their sources
PACKAGE = "extprocbench"
TOOLS = ("go", "protoc", "protoc-gen-go", "protoc-gen-go-grpc")
PACKAGES = (
    "golang-go golang-google-grpc-dev golang-google-protobuf-dev "
    "golang-github-golang-protobuf-1-5-dev protoc-gen-go protoc-gen-go-grpc protobuf-compiler"
)


def missing() -> list[str]:
    """What the build needs and this machine lacks (empty: it can build)."""
    lacking = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not (GOCODE / "src" / "google.golang.org" / "grpc").is_dir():
        lacking.append("golang-google-grpc-dev")
    return lacking


def build() -> Path:
    """Generate, compile, and return the binary (rebuilt only when a source is newer)."""
    sources = [SOURCE, *PROTO.rglob("*.proto")]
    if BINARY.exists() and BINARY.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
        return BINARY
    lacking = missing()
    if lacking:
        raise RuntimeError(f"cannot build the Go no-op: missing {', '.join(lacking)}")
    gopath = BUILD / "gopath"
    shutil.rmtree(gopath, ignore_errors=True)
    package = gopath / "src" / PACKAGE
    (package / "pb").mkdir(parents=True)
    protos = sorted(p.relative_to(PROTO).as_posix() for p in PROTO.rglob("*.proto"))
    # Every file of the subset goes into one Go package: map each to it.
    mapping = ",".join(f"M{name}={PACKAGE}/pb" for name in protos)
    subprocess.run(
        [
            "protoc",
            f"-I{PROTO}",
            "-I/usr/include",
            f"--go_out={package / 'pb'}",
            f"--go_opt=paths=source_relative,{mapping}",
            f"--go-grpc_out={package / 'pb'}",
            f"--go-grpc_opt=paths=source_relative,{mapping}",
            *protos,
        ],
        check=True,
    )
    # source_relative keeps the proto folders: flatten them into the one package.
    for generated in list((package / "pb").rglob("*.go")):
        generated.rename(package / "pb" / generated.name)
    shutil.copy(SOURCE, package / "main.go")
    env = dict(
        os.environ,
        GO111MODULE="off",
        GOPATH=f"{gopath}:{GOCODE}",
        GOFLAGS="",
        GOCACHE=str(BUILD / "gocache"),
        CGO_ENABLED="0",
    )
    subprocess.run(["go", "build", "-o", str(BINARY), PACKAGE], check=True, env=env, cwd=package)
    return BINARY


if __name__ == "__main__":
    try:
        print(build())
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"bench.gonoop: {exc}", file=sys.stderr)
        if missing():
            print(f"install with: apt-get install {PACKAGES}", file=sys.stderr)
        sys.exit(1)
