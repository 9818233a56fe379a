"""The server assembled in one place (``extproc.app``): what it builds from
settings, what the process that supervises workers loads, and a quiet start
(each server-wide event said once, whatever ``--workers``)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from extproc.app import inspector_factory, loop_factory
from extproc.dlp import DlpInspector
from extproc.passthrough import PassThroughInspector
from extproc.settings import Settings
from harness.stack import ROOT, free_port, start_server

DEFAULT = ROOT / "policies" / "default.yaml"


def test_a_policy_gives_dlp_inspectors_and_a_reload_step() -> None:
    factory, reload_step = inspector_factory(Settings(policy=str(DEFAULT)))
    assert isinstance(factory({}, {}), DlpInspector)
    assert reload_step is not None
    reload_step()  # unchanged files: nothing to do, nothing raised


def test_passthrough_gives_labelled_pass_inspectors_and_no_reload() -> None:
    factory, reload_step = inspector_factory(Settings(passthrough=True))
    assert isinstance(factory({}, {}), PassThroughInspector)
    assert reload_step is None


def test_the_supervising_process_loads_neither_grpc_nor_the_cli() -> None:
    """Workers are spawned with the target's module: the supervisor that
    imports ``extproc.app`` must stay free of grpc (and of the CLI)."""
    code = (
        "import sys, extproc.app, extproc.wire.workers;"
        "print(sorted(m for m in sys.modules if m == 'grpc' or m == 'extproc.cli'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_each_server_wide_event_is_said_once(tmp_path: Path, workers: str) -> None:
    port = free_port()
    server = start_server(tmp_path, port, DEFAULT, ["--workers", workers], timeout=60)
    assert server.stop(signal.SIGTERM) == 0
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    assert messages.count("serving") == 1, messages
    assert messages.count("stopped") == 1, messages
    assert len(messages) == len(set(messages)), "no line repeated once per worker"
    assert not [line for line in lines if line["level"] != "info"], lines
    assert all(line.startswith("{") for line in server.output().splitlines()), "nothing but logs"


def test_without_uvloop_auto_falls_back_and_asking_for_it_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert loop_factory("asyncio") is None
    assert loop_factory("auto") is not None  # installed here: a dependency
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as where it does not build
    assert loop_factory("auto") is None
    with pytest.raises(ImportError):
        loop_factory("uvloop")
