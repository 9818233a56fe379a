"""``Policy`` -> ``CompiledPolicy``: every lookup a request needs, resolved once and frozen."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from extproc.detect.catalogue import BUILTIN
from extproc.detect.catalogue.checks import CHECK_IDS
from extproc.detect.phones import phone_validators
from extproc.detect.recognizers import ModelPass
from extproc.detect.scanner import Scanner, build_scanner, keyword_list_spec
from extproc.detect.spec import DetectorSpec
from extproc.policy.judges import judge_ids
from extproc.policy.lint import allow_warnings, signal_warnings, unkeyed, unused
from extproc.policy.load import PolicyError
from extproc.policy.model import (
    Action,
    Attribution,
    Budget,
    Cap,
    Direction,
    Limits,
    Match,
    Policy,
    Threshold,
)
from extproc.policy.unscanned import Unscanned

# A rule without ``threshold`` acts on findings from L3 (0.5) up: weak
# candidates (example-shaped SSNs, fictional phone numbers, loopback addresses)
# are reported under 0.5 and only a rule with ``threshold: L4`` acts on them.
DEFAULT_THRESHOLD = Threshold.L3

__all__ = ["Action", "CompiledPolicy", "Direction", "compile_policy"]

_Key = tuple[str, Direction]


@dataclass(frozen=True, slots=True)
class VolumeLimit:
    """A rule's ``max_values``: distinct values of ``detectors`` in one request or response."""

    entry: str  # e.g. "rules[2]", for logs
    detectors: frozenset[str]
    max_values: int
    action: Action  # BLOCK or LOG
    directions: frozenset[Direction]


@dataclass(frozen=True, slots=True)
class BudgetLimit:
    """A budget with its globs resolved to detector ids."""

    budget: Budget
    detectors: frozenset[str]


@dataclass(frozen=True, slots=True)
class Governance:
    """Attribution, volume rules, budgets and size caps, resolved once.

    ``counted`` holds, per direction, the detectors whose values some volume
    rule or budget counts (their keyed hashes are taken; nobody else's are).
    """

    attribution: Attribution = field(default_factory=Attribution)
    volume: tuple[VolumeLimit, ...] = ()
    budgets: tuple[BudgetLimit, ...] = ()
    caps: tuple[Cap, ...] = ()
    counted: Mapping[Direction, frozenset[str]] = field(
        default_factory=lambda: MappingProxyType({d: frozenset() for d in Direction})
    )

    @property
    def active(self) -> bool:
        """False when the policy sets no volume rule, budget or cap: nothing to count."""
        return bool(self.volume or self.budgets or self.caps)

    def cap(self, path: str) -> Cap | None:
        """The first cap whose path prefixes fit ``path``."""
        return next((c for c in self.caps if c.fits(path)), None)


@dataclass(frozen=True, eq=False, slots=True)
class CompiledPolicy:
    """An immutable policy ready to serve. Detectors no rule enables are not in ``scanner``.

    ``parsed`` is the validated source (its ``at()`` names file and line).

    ``resolved`` maps (detector id, direction) to the deciding rule's action and
    minimum confidence; pairs that are off are absent.
    """

    parsed: Policy
    scanner: Scanner
    resolved: Mapping[_Key, tuple[Action, float]]
    allow_values: frozenset[str]
    warnings: tuple[str, ...]
    _allow_normalised: frozenset[str]
    governance: Governance = Governance()
    _with_body: frozenset[Direction] = frozenset(Direction)

    @property
    def name(self) -> str:
        return self.parsed.name

    @property
    def source(self) -> str:
        return self.parsed.source

    @property
    def match(self) -> Match | None:
        return self.parsed.match

    @property
    def redaction(self) -> str:
        return self.parsed.redaction

    @property
    def hash_key_env(self) -> str | None:
        return self.parsed.hash_key_env

    @property
    def limits(self) -> Limits:
        return self.parsed.limits

    @property
    def unscanned(self) -> Unscanned:
        return self.parsed.unscanned

    @property
    def detector_ids(self) -> frozenset[str]:
        """The detectors some rule enables in some direction."""
        return self.scanner.detector_ids

    def needs_body(self, direction: Direction) -> bool:
        """False when every detector is off for ``direction``: the body need not be read."""
        return direction in self._with_body

    def is_allowed(self, value: str) -> bool:
        """Exact allow-list match, or equal once surrounding and repeated whitespace is folded."""
        if value in self.allow_values:
            return True
        if not self._allow_normalised:
            return False
        parts = value.split()
        if len(parts) == 1 and parts[0] == value:
            return value in self._allow_normalised  # nothing to fold: skip the join
        return " ".join(parts) in self._allow_normalised


def normalise(value: str) -> str:
    return " ".join(value.split())


def compile_policy(policy: Policy, model: ModelPass | None = None) -> CompiledPolicy:
    """Resolve rules per detector and direction and build the one scanner of the policy.

    ``model``: the deployment's model-based recognisers, if any (none by default).
    """
    specs: dict[str, DetectorSpec] = {spec.id: spec for spec in BUILTIN}
    specs.update((c.spec.id, c.spec) for c in policy.custom_detectors)
    specs.update(
        (k.id, keyword_list_spec(k.id, k.words, k.case_sensitive)) for k in policy.keyword_lists
    )
    # Signals no pattern finds (answer shapes, judges) are decided like detectors.
    checks = [*CHECK_IDS, *(i for judge in policy.judges for i in judge_ids(judge))]
    resolved, deciding = _resolve(policy, {**dict.fromkeys(checks), **specs})
    enabled = {detector for detector, _ in resolved}
    try:
        scanner = build_scanner(
            [spec for id_, spec in specs.items() if id_ in enabled],
            validators=phone_validators(policy.phone_regions) if policy.phone_regions else None,
            model=model,
        )
    except ValueError as e:
        raise PolicyError([policy.at("rules", f"cannot build the scanner: {e}")]) from None
    allow = frozenset(policy.allow_values)
    governance, governance_warnings = _governance(policy, resolved)
    warnings = [
        *policy.notes,
        *unused(policy, deciding, enabled),
        *unkeyed(policy, scanner),
        *allow_warnings(policy, scanner),
        *governance_warnings,
        *signal_warnings(policy, resolved),
    ]
    return CompiledPolicy(
        parsed=policy,
        scanner=scanner,
        resolved=MappingProxyType(resolved),
        allow_values=allow,
        warnings=tuple(warnings),
        _allow_normalised=frozenset(normalise(v) for v in allow),
        governance=governance,
        _with_body=frozenset(d for _, d in resolved),
    )


def _governance(
    policy: Policy, resolved: Mapping[_Key, tuple[Action, float]]
) -> tuple[Governance, list[str]]:
    """Resolve volume rules and budgets to the detectors enabled in their directions."""

    def ids(globs: tuple[str, ...], directions: frozenset[Direction]) -> frozenset[str]:
        return frozenset(
            d for d, direction in resolved if direction in directions and _fits(d, globs)
        )

    warnings: list[str] = []
    volume: list[VolumeLimit] = []
    for i, rule in enumerate(policy.rules):
        if rule.max_values is None:
            continue
        directions = frozenset(d for d in Direction if rule.action(d) not in (None, Action.OFF))
        detectors = ids(rule.detectors, directions)
        if not detectors:
            warnings.append(
                policy.at(f"rules[{i}].max_values", "counts no detector that is on: never applies")
            )
            continue
        volume.append(
            VolumeLimit(f"rules[{i}]", detectors, rule.max_values, rule.bulk_action, directions)
        )
    budgets: list[BudgetLimit] = []
    for i, budget in enumerate(policy.budgets):
        detectors = ids(budget.detectors, frozenset(budget.directions))
        if not detectors:
            warnings.append(
                policy.at(
                    f"budgets[{i}]",
                    "counts no detector that a rule turns on in its direction: never applies",
                )
            )
            continue
        budgets.append(BudgetLimit(budget, detectors))
    counted: dict[Direction, frozenset[str]] = {}
    for d in Direction:
        sets = [v.detectors for v in volume if d in v.directions]
        sets += [b.detectors for b in budgets if d in b.budget.directions]
        counted[d] = frozenset[str]().union(*sets)
    governance = Governance(
        attribution=policy.attribution,
        volume=tuple(volume),
        budgets=tuple(budgets),
        caps=policy.caps,
        counted=MappingProxyType(counted),
    )
    return governance, warnings


def _fits(detector: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(detector, g) for g in globs)


def _resolve(
    policy: Policy, specs: Mapping[str, DetectorSpec | None]
) -> tuple[dict[_Key, tuple[Action, float]], set[int]]:
    """First matching rule per (detector, direction); also which rules decide anything."""
    resolved: dict[_Key, tuple[Action, float]] = {}
    deciding: set[int] = set()
    for direction in Direction:
        for detector in specs:
            for i, rule in enumerate(policy.rules):
                action = rule.action(direction)
                if action is None or not any(
                    fnmatch.fnmatchcase(detector, p) for p in rule.detectors
                ):
                    continue
                deciding.add(i)
                if action is not Action.OFF:
                    resolved[detector, direction] = (
                        action,
                        (rule.threshold or DEFAULT_THRESHOLD).value,
                    )
                break
    return resolved, deciding
