"""``make run`` (tools/run_local.py) as a user meets it, on free ports: it checks
its ports first and names a taken one; it says "the stack is up" once all
three answer, with Envoy's admin port and the metrics endpoint; the commands
it prints do what they say (an answer redacted as it streams included); and
SIGTERM or SIGHUP stops everything, as Ctrl-C does."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import httpx
import pytest

from harness.stack import free_port, port_open, wait_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "run_local.py"
VALUES = ("jane.doe@contoso.org", "415 555 0132", "4111 1111 1111 1111")


class Run:
    def __init__(self, ports: list[int], env: dict[str, str] | None = None) -> None:
        self.ports = ports
        argv = [sys.executable, str(SCRIPT), "--ports", ",".join(map(str, ports))]
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def children(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if (
                entry.name.isdigit()
                and int(stat[stat.rindex(")") + 2 :].split()[1]) == self.proc.pid
            ):
                found.append(int(entry.name))
        return found

    def up(self) -> None:
        def said() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"run_local exited early:\n{self.output}")
            return "The stack is up" in self.output and "stops everything" in self.output

        wait_for(said, "the stack", timeout=90)


@pytest.fixture
def ports() -> list[int]:
    return [free_port() for _ in range(4)]


def banner_commands(text: str) -> list[tuple[str, list[str]]]:
    """(comment, curl argv) for each command the banner prints."""
    out = []
    for comment, command in re.findall(
        r"# ([^\n]+)\n(?:  # [^\n]+\n)?  (curl .*?)\n\n", text, re.S
    ):
        out.append((comment, shlex.split(command.replace("\\\n", " "))))
    return out


def send(argv: list[str]) -> httpx.Response:
    """What curl would send: POST -d JSON to the URL (curl need not be installed)."""
    url = "http://" + next(a for a in argv if a.startswith("localhost:")).replace(
        "localhost", "127.0.0.1"
    )
    body = argv[argv.index("-d") + 1]
    return httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=10)


def sse_text(body: str) -> str:
    pieces = []
    for line in body.splitlines():
        if line.startswith("data: {"):
            pieces.append(json.loads(line[6:])["choices"][0]["delta"].get("content", ""))
    return "".join(pieces)


def stop_and_check(run: Run, sig: int) -> None:
    children = run.children()
    assert len(children) == 3, run.output
    run.proc.send_signal(sig)
    assert run.proc.wait(30) == 0, run.output
    wait_for(lambda: not any(Path(f"/proc/{p}").exists() for p in children), "children gone", 10)
    assert not any(port_open(p) for p in run.ports), "every port is closed again"


def test_the_stack_answers_what_the_banner_promises_and_stops_on_sigterm(
    ports: list[int],
) -> None:
    metrics = free_port()
    run = Run(ports, {"EXTPROC_PROMETHEUS_LISTEN": f"127.0.0.1:{metrics}"})
    try:
        run.up()
        text = run.output
        assert f"http://127.0.0.1:{ports[1]}/" in text  # Envoy's admin
        assert f"http://127.0.0.1:{metrics}/metrics" in text
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=5) as r:
            assert r.status == 200
        # "Up" means answering: every port was already open when it was said.
        assert all(port_open(p) for p in ports)
        assert "[warning]" not in text, "no toolchain warnings on a normal start"

        commands = banner_commands(text[text.index("The stack is up") :])
        assert len(commands) == 4
        clean, card, token, stream = (send(argv) for _, argv in commands)
        assert clean.status_code == 200 and "Hello there" in clean.text
        assert card.status_code == 200 and "[REDACTED:pii/credit_card]" in card.text
        assert token.status_code == 403
        assert "streams" in commands[3][0]
        answer = sse_text(stream.text)
        assert answer.startswith("Customer record:")
        assert answer.count("[REDACTED:") == 4  # the name, the e-mail, the phone, the card
        assert "[REDACTED:pii/name]" in answer
        for value in VALUES:
            assert value not in stream.text
        stop_and_check(run, signal.SIGTERM)
    finally:
        if run.proc.poll() is None:
            run.proc.kill()


def test_sighup_stops_everything(ports: list[int]) -> None:
    run = Run(ports)
    try:
        run.up()
        assert "Metrics" not in run.output  # not enabled, not announced
        stop_and_check(run, signal.SIGHUP)
    finally:
        if run.proc.poll() is None:
            run.proc.kill()


@pytest.mark.parametrize(
    ("index", "name"), [(0, "Envoy"), (2, "the DLP server"), (3, "the demo upstream")]
)
def test_a_taken_port_is_named_before_anything_starts(
    ports: list[int], index: int, name: str
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", ports[index]))
        holder.listen()
        argv = [sys.executable, str(SCRIPT), "--ports", ",".join(map(str, ports))]
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert f"port {ports[index]} ({name}) is taken" in line
    assert "The stack is up" not in done.stdout
    others = [p for i, p in enumerate(ports) if i != index]
    assert not any(port_open(p) for p in others), "nothing was started"


def test_never_says_up_when_one_of_them_cannot_answer(ports: list[int], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: bad\nrules: [{detectors: ['nope/*'], request: x}]\n")
    argv = [sys.executable, str(SCRIPT), "--ports", ",".join(map(str, ports))]
    env = {**os.environ, "EXTPROC_POLICY": str(bad)}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    assert done.returncode == 1
    assert "The stack is up" not in done.stdout
    assert "make run: the DLP server exited with status 2" in done.stderr
    assert not any(port_open(p) for p in ports), "what had started was stopped"
