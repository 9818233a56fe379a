"""The server on each event loop it offers: uvloop (the default where it is
installed) and asyncio's own (the fallback), through a real Envoy."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.stack import ROOT, running_stack
from tests.e2e.conftest import chat, post, sent_json
from tests.values import CARD


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_the_server_redacts_on_either_event_loop(tmp_path: Path, loop: str) -> None:
    policy = ROOT / "policies" / "default.yaml"
    args = ["--workers", "1", "--event-loop", loop]
    with running_stack(tmp_path, policy=policy, server_args=args) as stack:
        r = post(stack, chat(f"pay with {CARD}"))
        assert r.status_code == 200, stack.logs()
        assert CARD not in sent_json(stack)["messages"][0]["content"]
