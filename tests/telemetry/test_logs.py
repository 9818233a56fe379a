"""Log lines: structured extras in both formats, exception messages never."""

from __future__ import annotations

import json
import logging

import pytest

from extproc.telemetry import JsonFormatter, TextFormatter


def record(exc: bool = False) -> logging.LogRecord:
    logger = logging.getLogger("extproc.decision")
    exc_info = None
    if exc:
        try:
            raise ValueError("card 4111 1111 1111 1111")
        except ValueError:
            import sys

            exc_info = sys.exc_info()
    rec = logger.makeRecord(
        "extproc.decision", logging.INFO, __file__, 1, "decision", (), exc_info,
        extra={"policy": "default", "request": {"decision": "redacted"}},
    )  # fmt: skip
    return rec


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()], ids=["json", "text"])
def test_extras_and_no_exception_text(formatter: logging.Formatter) -> None:
    line = formatter.format(record(exc=True))
    assert "4111" not in line
    assert "ValueError" in line
    assert "default" in line and "redacted" in line


def test_json_line_is_one_object() -> None:
    out = json.loads(JsonFormatter().format(record()))
    assert out["policy"] == "default"
    assert out["request"] == {"decision": "redacted"}
    assert out["level"] == "info"


def test_text_line_reads_as_key_values() -> None:
    line = TextFormatter().format(record())
    assert line.split(" ", 1)[1].startswith("info extproc.decision decision ")
    assert 'policy="default"' in line
    assert 'request={"decision":"redacted"}' in line


def test_log_action_reports_ids_not_values(caplog: pytest.LogCaptureFixture) -> None:
    # "log" is the action that exists to report: it must report detector ids
    # and counts, never what matched.
    from extproc.dlp import DlpInspector
    from extproc.policy.model import Direction
    from extproc.policy.store import load_policy_set
    from extproc.verdicts import BodyMode

    policies = load_policy_set("policies/examples/audit.yaml")
    card, token = "4111 1111 1111 1111", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    body = json.dumps({"content": f"card {card} token {token}"}).encode()
    inspector = DlpInspector(policies.select)
    inspector.headers(Direction.REQUEST, {":path": "/v1/chat"}, False, BodyMode.BUFFERED)
    with caplog.at_level(logging.INFO):
        verdict = inspector.body(Direction.REQUEST, body, True)
        inspector.close()
    assert verdict.block is None and verdict.data is None  # log only: unchanged
    lines = [JsonFormatter().format(r) for r in caplog.records]
    assert any("secret/github_token" in line for line in lines)
    for line in lines:
        assert card not in line and card.replace(" ", "") not in line and token not in line
