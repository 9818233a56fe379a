"""``extproc policy check FILE...``: validate policy files, as lines for the CLI to print."""

from __future__ import annotations

import os
from collections.abc import Sequence

from extproc.policy.compile import CompiledPolicy, compile_policy
from extproc.policy.load import PolicyError, load_policy
from extproc.policy.store import SUFFIXES, build_policy_set, policy_files


def check_files(paths: Sequence[str]) -> tuple[int, list[str]]:
    """(exit code, lines): 0 when every file is valid, 1 otherwise.

    A directory is checked file by file and then as a set (unique names, a default).
    """
    lines: list[str] = []
    failed = False
    for path in paths:
        try:
            files = policy_files(path)
        except OSError as e:
            lines.append(f"{path}: cannot list: {e.strerror or type(e).__name__}")
            failed = True
            continue
        if not files:
            lines.append(f"{path}: no policy files ({', '.join('*' + s for s in SUFFIXES)})")
            failed = True
            continue
        compiled: list[CompiledPolicy] = []
        for file in files:
            try:
                policy = compile_policy(load_policy(file))
            except PolicyError as e:
                lines.extend(e.errors)
                continue
            lines.extend(f"warning: {w}" for w in policy.warnings)
            lines.append(f"{file}: OK: {_summary(policy)}")
            compiled.append(policy)
        if len(compiled) < len(files):
            failed = True
        elif os.path.isdir(path):
            try:
                chosen = build_policy_set(compiled, path)
            except PolicyError as e:
                lines.extend(e.errors)
                failed = True
            else:
                lines.append(
                    f"{path}: OK: {_count(len(compiled), 'policy', 'policies')}, "
                    f"default '{chosen.default.name}'"
                )
    return (1 if failed else 0), lines


def _summary(policy: CompiledPolicy) -> str:
    rules = _count(len(policy.parsed.rules), "rule", "rules")
    detectors = _count(len(policy.detector_ids), "detector", "detectors")
    return f"policy '{policy.name}', {rules}, {detectors} enabled"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
