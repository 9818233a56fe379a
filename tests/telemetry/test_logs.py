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
