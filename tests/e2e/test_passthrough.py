"""No silent pass-through, through real processes: without a policy the server
refuses to start and names ``--passthrough``; a server started with it warns
once and labels every exchange it lets through (Envoy's access log, metrics)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from harness.stack import ROOT, free_port, port_open, running_stack, wait_for
from tests.e2e.conftest import chat, post
from tests.values import GITHUB_TOKEN


@pytest.mark.parametrize("workers", ["1", "2"])
def test_no_policy_refuses_to_start_and_names_passthrough(workers: str) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "extproc.cli", "serve", "--listen", f"127.0.0.1:{port}"]
    done = subprocess.run(
        [*argv, "--workers", workers], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("extproc serve: no policy") and "--passthrough" in line
    assert not port_open(port)


def test_policy_and_passthrough_exclude_each_other() -> None:
    argv = [sys.executable, "-m", "extproc.cli", "serve", "--passthrough"]
    argv += ["--policy", str(ROOT / "policies" / "default.yaml"), "--listen", "127.0.0.1:0"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "extproc serve: --policy and --passthrough exclude each other"


def _metric_lines(port: int, name: str) -> list[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return [line for line in text.splitlines() if line.startswith(name)]


def test_passthrough_warns_and_labels_what_it_lets_through(tmp_path: Path) -> None:
    metrics = free_port()
    args = ["--workers", "1", "--prometheus-listen", f"127.0.0.1:{metrics}"]
    with running_stack(tmp_path, policy=None, server_args=args) as stack:
        r = post(stack, chat(f"use {GITHUB_TOKEN}"))
        assert r.status_code == 200, stack.logs()
        assert GITHUB_TOKEN.encode() in stack.upstream.received[-1].body  # nothing was inspected

        assert stack.server is not None
        warnings = [
            json.loads(line)
            for line in stack.server.output().splitlines()
            if line.startswith("{") and '"warning"' in line
        ]
        assert [w["message"].split(":")[0] for w in warnings] == ["passthrough"]

        def counted() -> bool:
            lines = _metric_lines(metrics, "dlp_requests")
            return any('decision="passthrough"' in line for line in lines)

        wait_for(counted, "dlp_requests{decision=passthrough}", timeout=10)
        lines = [line for line in _metric_lines(metrics, "dlp_requests") if "_total{" in line]
        for direction in ("request", "response"):
            (line,) = [line for line in lines if f'direction="{direction}"' in line]
            assert 'decision="passthrough"' in line and line.endswith(" 1.0"), line

        def logged() -> bool:
            assert stack.envoy is not None
            return '"passthrough"' in stack.envoy.output()

        wait_for(logged, "the access log line", timeout=10)
        assert stack.envoy is not None
        (access,) = [
            json.loads(line)
            for line in stack.envoy.output().splitlines()
            if line.startswith("{") and '"dlp"' in line
        ]
        assert access["dlp"]["policy"] == "passthrough"
        assert access["dlp"]["decision"] == "passthrough"
