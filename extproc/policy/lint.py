"""What ``policy check`` and a reload warn about in a policy that compiles:
rules that never decide, definitions no rule enables, unkeyed hashes,
keyword-less custom patterns, allow-list values no detector reports,
answer checks and judges no rule acts on, judges too slow for Envoy.
"""

from __future__ import annotations

from collections.abc import Mapping

from extproc.detect.catalogue.checks import FORMAT, LANGUAGE
from extproc.detect.scanner import Scanner
from extproc.policy.judges import judge_ids
from extproc.policy.model import Action, CustomDetector, Direction, Policy


def unused(policy: Policy, deciding: set[int], enabled: set[str]) -> list[str]:
    """Rules that never decide, definitions no rule enables, hashing without a key."""
    out = []
    if not enabled:
        out.append(policy.at("rules", "no rule enables any detector: traffic passes unchanged"))
    for i in range(len(policy.rules)):
        if i not in deciding:
            out.append(
                policy.at(
                    f"rules[{i}]",
                    "never decides anything: every detector it names is decided by an earlier rule",
                )
            )
    for custom in policy.custom_detectors:
        if custom.spec.id not in enabled:
            message = f"'{custom.spec.id}' is defined but no rule enables it"
            out.append(_at_custom(policy, custom, message))
    for i, keywords in enumerate(policy.keyword_lists):
        if keywords.id not in enabled:
            message = f"'{keywords.id}' is defined but no rule enables it"
            out.append(policy.at(f"keyword_lists[{i}]", message))
    if policy.hash_key_env is None:
        for i, rule in enumerate(policy.rules):
            if Action.HASH in (rule.request, rule.response):
                out.append(
                    policy.at(
                        f"rules[{i}]",
                        "'hash' without hash_key_env: unkeyed hashes of short values can be "
                        "reversed by guessing",
                    )
                )
                break
    return out


def unkeyed(policy: Policy, scanner: Scanner) -> list[str]:
    """Built-in detectors without keywords are vetted; a custom one is worth a warning."""
    unkeyed = set(scanner.without_keywords)
    return [
        _at_custom(policy, c, f"'{c.spec.id}' has no keywords: its pattern runs over every body")
        for c in policy.custom_detectors
        if c.spec.id in unkeyed
    ]


def _at_custom(policy: Policy, custom: CustomDetector, message: str) -> str:
    """A message about a custom detector, at its gitleaks rule or its policy entry."""
    if custom.origin:
        return f"{custom.origin}: {message}"
    return policy.at(custom.entry, message)


def allow_warnings(policy: Policy, scanner: Scanner) -> list[str]:
    """An allow-list value that no enabled detector reports whole can never take effect."""
    if not scanner.detector_ids:
        return []
    out = []
    for i, value in enumerate(policy.allow_values):
        stripped = value.strip()
        if not any(f.start == 0 and f.end == len(stripped) for f in scanner.scan(stripped)):
            out.append(
                policy.at(
                    f"allow_list.values[{i}]",
                    "no enabled detector reports this value on its own, so it may never apply",
                )
            )
    return out


# Envoy's message_timeout in envoy/envoy.yaml: a judge must answer well within it.
MESSAGE_TIMEOUT = 1.0


def signal_warnings(
    policy: Policy, resolved: Mapping[tuple[str, Direction], tuple[Action, float]]
) -> list[str]:
    """Answer checks and judges that no rule acts on, and judges too slow for Envoy."""
    out = []
    on = {d for d, direction in resolved if direction is Direction.RESPONSE}
    for i, shape in enumerate(policy.answers):
        for wanted, detector in ((shape.expect_json, FORMAT), (bool(shape.languages), LANGUAGE)):
            if wanted and detector not in on:
                out.append(
                    policy.at(
                        f"answers[{i}]",
                        f"no rule turns {detector} on for responses: violations are not acted on",
                    )
                )
    for i, judge in enumerate(policy.judges):
        if not any((d, direction) in resolved for d in judge_ids(judge) for direction in Direction):
            out.append(
                policy.at(
                    f"judges[{i}]", "no rule turns its signal/judge:... ids on: it is never asked"
                )
            )
        if judge.timeout >= 0.8 * MESSAGE_TIMEOUT:
            out.append(
                policy.at(
                    f"judges[{i}].timeout",
                    f"{judge.timeout:g}s leaves too little of Envoy's message_timeout "
                    f"({MESSAGE_TIMEOUT:g}s in envoy/envoy.yaml) for the scan; raise that "
                    "timeout or lower this one",
                )
            )
    return out
