"""The benchmark's own parts (no timing asserted anywhere: the machine is shared)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench import procs
from bench.profile import summarise
from bench.run import KINDS, SIZES, chat_body
from bench.stacks import chat_answer, front_config, upstream_config
from extproc.policy.store import load_policy_set
from harness.stack import EXT_PROC_FILTER, ROOT, envoy_binary


@pytest.mark.parametrize("size", list(SIZES.values()))
@pytest.mark.parametrize("kind", KINDS)
def test_bodies_have_the_exact_size_and_are_chat_json(size: int, kind: str) -> None:
    body = chat_body(size, kind)
    assert len(body) == size
    assert json.loads(body)["messages"][-1]["role"] == "user"


def test_dense_bodies_are_redacted_not_blocked_by_the_default_policy() -> None:
    from extproc import offline
    from extproc.policy.model import Direction

    policy = load_policy_set(str(ROOT / "policies" / "default.yaml")).default
    clean = chat_body(2_000, "clean").decode()
    dense = chat_body(2_000, "pii-dense").decode()
    assert not offline.scan_text(policy, clean, Direction.REQUEST).actions
    decision = offline.scan_text(policy, dense, Direction.REQUEST)
    assert len(decision.actions) >= 5
    assert not decision.blocked


def _filters(config: dict[str, Any]) -> list[str]:
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    return [f["name"] for f in hcm["typed_config"]["http_filters"]]


def _validate(tmp_path: Path, config: dict[str, Any]) -> None:
    path = tmp_path / "envoy.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    argv = [envoy_binary(), "--mode", "validate", "-c", str(path), "-l", "error"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.e2e
def test_rendered_envoy_configs_are_valid(tmp_path: Path) -> None:
    ports: dict[str, Any] = {"listen": 10001, "admin": 10002, "extproc": 10003, "upstream": 10004}
    alone = front_config(**ports, ext_proc=False)
    assert EXT_PROC_FILTER not in _filters(alone)
    tuned = front_config(
        **ports,
        max_concurrent_streams=4,
        disabled_prefix="/v1/models",
        processing_mode={"response_header_mode": "SKIP"},
        filter_settings={"send_body_without_waiting_for_header_response": True},
    )
    assert EXT_PROC_FILTER in _filters(tuned)
    answers = {kind: chat_answer("hello") for kind in KINDS}
    for config in (alone, tuned, upstream_config(10005, 10006, answers)):
        _validate(tmp_path, config)


def test_proc_helpers_see_this_process() -> None:
    pid = os.getpid()
    assert procs.cpu_seconds(pid) > 0
    assert procs.memory_kb(pid)["VmHWM"] >= procs.memory_kb(pid)["VmRSS"] > 0
    assert pid in procs.tree(os.getppid())
    assert "python" in procs.cmdline(pid) or "pytest" in procs.cmdline(pid)


def test_profile_summary_counts_self_and_total(tmp_path: Path) -> None:
    raw = tmp_path / "profile.txt"
    raw.write_text(
        "thread (1);main (/x/extproc/cli.py:1);scan (/x/extproc/detect/scanner.py:9) 3\n"
        "thread (1);main (/x/extproc/cli.py:1) 1\n"
    )
    lines = summarise(raw, 5)
    assert lines[0] == "4 samples (non-idle)"
    assert " 75.0  scan (extproc/detect/scanner.py)" in lines
    assert "100.0  main (extproc/cli.py)" in lines
