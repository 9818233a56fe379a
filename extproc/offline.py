"""Offline scanning (``extproc scan``): the server's engine over plain text.

Offsets are character offsets into the text as given; findings carry the
detector id, span, action and confidence, never the value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from extproc.govern.keys import action_key
from extproc.policy.compile import CompiledPolicy
from extproc.policy.decide import Decision, decide
from extproc.policy.model import Direction
from extproc.rewrite.redact import Renderer, apply


def scan_text(policy: CompiledPolicy, text: str, direction: Direction) -> Decision:
    return decide(policy.scanner.scan(text), text, policy, direction)


def findings_json(decision: Decision) -> list[dict[str, Any]]:
    return [
        {
            "detector": f.detector,
            "start": f.start,
            "end": f.end,
            "action": action.value,
            "confidence": round(f.confidence, 3),
        }
        for f, action in decision.actions
    ]


def redact_text(policy: CompiledPolicy, text: str, decision: Decision) -> str:
    renderer = Renderer(policy.redaction, action_key(policy.hash_key_env))
    return apply(text, decision.rewrite_actions, renderer)


class JsonlError(ValueError):
    pass


def scan_jsonl(
    policy: CompiledPolicy, lines: Iterable[str], direction: Direction, redact: bool = False
) -> Iterator[str]:
    """One output line per input record ``{"id": ..., "text": ...}``."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = record["text"]
            if not isinstance(text, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise JsonlError(
                f"line {number}: expected a JSON object with a string 'text'"
            ) from None
        decision = scan_text(policy, text, direction)
        out: dict[str, Any] = {"id": record.get("id"), "findings": findings_json(decision)}
        if redact:
            out["redacted"] = redact_text(policy, text, decision)
        yield json.dumps(out, ensure_ascii=False)


def write_text_report(out: TextIO, decision: Decision) -> None:
    for f, action in decision.actions:
        out.write(f"{f.detector}\t{f.start}\t{f.end}\t{action.value}\t{f.confidence:.2f}\n")
