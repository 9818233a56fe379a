"""Log records as JSON lines (or ``key=value`` text for a terminal).

Records carry decisions and detector ids, never matched values: callers pass
structured ``extra`` fields, and this module only formats them.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {
    "message",
    "asctime",
    "taskName",
}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """Time, level, logger, message, then the structured extras. Of an
    exception only its type: messages of third-party errors may quote input."""
    out: dict[str, Any] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        + f".{int(record.msecs):03d}Z",
        "level": record.levelname.lower(),
        "logger": record.name,
        "message": record.getMessage(),
    }
    for key, value in vars(record).items():
        if key not in _STANDARD and not key.startswith("_"):
            out[key] = value
    if record.exc_info and record.exc_info[0] is not None:
        out["error"] = record.exc_info[0].__name__
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time level logger message key=value ...`` for people at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        head = " ".join(str(fields.pop(k)) for k in ("time", "level", "logger", "message"))
        rest = " ".join(
            f"{k}={json.dumps(v, default=str, ensure_ascii=False, separators=(',', ':'))}"
            for k, v in fields.items()
        )
        return f"{head} {rest}" if rest else head


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
