"""Offline scanning (``extproc scan``): the server's engine over plain text.

Offsets are character offsets into the text as given; findings carry the
detector id, span, action and confidence, never the value. A rewritten text
is what the server would send on: redactions, masks, hashes, and for
``pseudonymize`` the placeholders of one exchange (``<EMAIL_1>``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from extproc.govern.keys import action_key
from extproc.policy.compile import CompiledPolicy
from extproc.policy.decide import Decision, decide
from extproc.policy.model import Action, Direction
from extproc.rewrite.pseudonym import Pseudonyms
from extproc.rewrite.redact import Renderer, apply
from extproc.rewrite.text import to_bytes, to_text


def scan_text(policy: CompiledPolicy, text: str, direction: Direction) -> Decision:
    return decide(policy.scanner.scan(text), text, policy, direction)


@dataclass(frozen=True, slots=True)
class Scanned:
    text: str
    decision: Decision


def scan_bytes(policy: CompiledPolicy, data: bytes, direction: Direction) -> Scanned:
    """Bytes decoded as the server decodes bodies (invalid UTF-8 kept as it is)."""
    text = to_text(data)
    return Scanned(text, scan_text(policy, text, direction))


def blocking_detectors(decision: Decision) -> list[str]:
    return sorted({f.detector for f, action in decision.actions if action is Action.BLOCK})


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
    """The text as the server would send it on (one exchange's pseudonyms)."""
    pseudonyms = Pseudonyms()
    pseudonyms.reserve(text)
    renderer = Renderer(policy.redaction, action_key(policy.hash_key_env), pseudonyms.placeholder)
    return apply(text, decision.rewrite_actions, renderer)


def redacted_bytes(policy: CompiledPolicy, scanned: Scanned) -> bytes:
    return to_bytes(redact_text(policy, scanned.text, scanned.decision))


class JsonlError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Record:
    line: str  # the JSON output line
    blocked: bool


def scan_jsonl(
    policy: CompiledPolicy, lines: Iterable[str], direction: Direction, redact: bool = False
) -> Iterator[Record]:
    """One output record per input record ``{"id": ..., "text": ...}``; with
    ``redact``, ``redacted`` is null for a record the policy blocks."""
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
        out: dict[str, Any] = {
            "id": record.get("id"),
            "blocked": decision.blocked,
            "findings": findings_json(decision),
        }
        if redact:
            out["redacted"] = None if decision.blocked else redact_text(policy, text, decision)
        yield Record(json.dumps(out, ensure_ascii=False), decision.blocked)


def write_text_report(out: TextIO, decision: Decision) -> None:
    for f, action in decision.actions:
        out.write(f"{f.detector}\t{f.start}\t{f.end}\t{action.value}\t{f.confidence:.2f}\n")
