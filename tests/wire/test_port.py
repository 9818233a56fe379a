"""One server per port, through real processes: a second ``extproc serve`` on a
served port fails at once, whatever either server's ``--workers``, and the
first keeps serving every connection with its policy; a lone server does not
set SO_REUSEPORT at all."""

from __future__ import annotations

import errno
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from extproc.wire.inprocess import body_message, headers_message
from extproc.wire.pb import external_processor_pb2 as pb
from extproc.wire.pb import external_processor_pb2_grpc
from extproc.wire.port import PortTaken, claim
from harness.stack import ROOT, Process, free_port, start_server
from tests.values import GITHUB_TOKEN

DEFAULT = ROOT / "policies" / "default.yaml"


def blocked_on_a_new_connection(port: int) -> bool:
    """One exchange with a GitHub token over a connection of its own: blocked?"""
    body = json.dumps({"messages": [{"role": "user", "content": f"use {GITHUB_TOKEN}"}]}).encode()
    messages = [
        headers_message(
            "request_headers",
            {
                ":method": "POST",
                ":path": "/v1/chat/completions",
                "content-type": "application/json",
            },
        ),
        body_message("request_body", body, eos=True),
    ]
    options = [("grpc.use_local_subchannel_pool", 1)]  # a new connection each time
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
        stub = external_processor_pb2_grpc.ExternalProcessorStub(channel)  # type: ignore[no-untyped-call]
        answers: list[pb.ProcessingResponse] = list(stub.Process(iter(messages), timeout=10))
    return any(a.HasField("immediate_response") for a in answers)


@pytest.fixture
def first(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Process, int]]:
    port = free_port()
    workers = str(request.param)
    server = start_server(tmp_path, port, DEFAULT, ["--workers", workers], name="first")
    yield server, port
    assert server.stop() == 0


@pytest.mark.parametrize("second_workers", [1, 2])
@pytest.mark.parametrize("first", [1, 2], indirect=True, ids=lambda n: f"first-workers-{n}")
def test_a_second_server_on_a_served_port_fails_at_once(
    first: tuple[Process, int], second_workers: int
) -> None:
    server, port = first
    argv = [sys.executable, "-m", "extproc.cli", "serve", "--passthrough"]
    argv += ["--listen", f"127.0.0.1:{port}", "--workers", str(second_workers)]
    started = time.monotonic()
    second = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert second.returncode == 1
    lines = second.stderr.splitlines()
    assert len(lines) == 1, second.stderr
    assert f"port {port}" in lines[0] and "already served" in lines[0]
    assert f"(pid {server.proc.pid})" in lines[0]
    assert "Traceback" not in second.stderr and second.stdout == ""
    assert elapsed < 10, "it must fail before loading anything, not after"
    # The first server alone answers every new connection, with its policy.
    assert server.proc.poll() is None
    assert all(blocked_on_a_new_connection(port) for _ in range(12))


def _reuseport_socket() -> socket.socket:
    probe = socket.socket()
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return probe


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="no SO_REUSEPORT here")
def test_a_lone_server_does_not_set_so_reuseport(tmp_path: Path) -> None:
    # The probe joins any port whose listening sockets all set SO_REUSEPORT...
    with _reuseport_socket() as listening, _reuseport_socket() as joiner:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        joiner.bind(listening.getsockname())
    # ...and cannot join the port of a server started with --workers 1.
    port = free_port()
    server = start_server(tmp_path, port, DEFAULT, ["--workers", "1"])
    try:
        with _reuseport_socket() as probe, pytest.raises(OSError) as refused:
            probe.bind(("127.0.0.1", port))
        assert refused.value.errno == errno.EADDRINUSE
        assert blocked_on_a_new_connection(port)
    finally:
        assert server.stop() == 0


def test_a_claim_is_exclusive_and_names_its_holder() -> None:
    held = claim("127.0.0.1:0")
    try:
        assert held.port > 0 and held.listen == f"127.0.0.1:{held.port}"
        with pytest.raises(PortTaken, match=rf"port {held.port} is already served .*\(pid \d+\)"):
            claim(f"127.0.0.1:{held.port}")
    finally:
        held.close()
    again = claim(f"127.0.0.1:{held.port}")  # released on close
    again.close()


def test_a_port_taken_by_another_program_is_named() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(PortTaken, match=rf"cannot listen on 127.0.0.1:{port}: port {port}"):
            claim(f"127.0.0.1:{port}")
