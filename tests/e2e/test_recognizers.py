"""A deployment's model-based recogniser, plugged in with ``--recognizers``,
through the real Envoy: its findings follow the policy like the catalogue's,
a slow one is abandoned at its budget, a bad entry stops the start."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from extproc.policy.store import PolicyStore
from harness.recognizers import NAMES
from harness.stack import Stack
from tests.e2e.conftest import StackFor, chat, post, sent_json

POLICY = """\
version: 1
name: names
rules:
  - detectors: ["pii/name"]
    request: redact
    response: redact
"""
PROMPT = f"The ticket was closed by {NAMES[0]} yesterday; ask {NAMES[1].lower()} why."


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("policy") / "names.yaml"
    path.write_text(POLICY)
    return path


def test_the_catalogue_alone_does_not_know_these_names(policy: Path) -> None:
    scanner = PolicyStore(str(policy)).current().select("", "/", None).scanner
    assert scanner.scan(PROMPT) == []


def test_a_recognisers_findings_are_redacted(stack_for: StackFor, policy: Path) -> None:
    stack: Stack = stack_for(
        policy=policy, server_args=["--recognizers", "harness.recognizers:names"]
    )
    r = post(stack, chat(PROMPT))
    assert r.status_code == 200
    sent = sent_json(stack)["messages"][0]["content"]
    for name in NAMES:
        assert name.lower() not in sent.lower()
    assert sent.startswith("The ticket was closed by ")


def test_a_slow_recogniser_is_abandoned_at_its_budget(stack_for: StackFor, policy: Path) -> None:
    stack: Stack = stack_for(
        policy=policy,
        server_args=["--recognizers", "harness.recognizers:slow", "--recognizer-budget", "0.2"],
    )
    started = time.monotonic()
    r = post(stack, chat(PROMPT), timeout=10)
    took = time.monotonic() - started
    assert r.status_code == 200
    # Its 5 s answer is not waited for: the prompt goes on unredacted in time.
    assert took < 4.0, took
    assert NAMES[0] in sent_json(stack)["messages"][0]["content"]


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("harness.no_such_module:names", "cannot import"),
        ("harness.recognizers:nothing", "no Recognizer"),
    ],
)
def test_a_bad_entry_stops_the_start_with_one_line(policy: Path, entry: str, says: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "extproc.cli", "serve", "--policy", str(policy),
         "--listen", "127.0.0.1:0", "--workers", "1", "--recognizers", entry],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and entry in lines[0], done.stderr
