"""The policy file's own sections: version, name, redaction, hash key,
match, rules, allow list, limits, phone regions and unscanned parts.

Reader methods over the governance and detector readers below them; every
error reads ``file:line: entry: message``.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import string
from collections.abc import Sequence

import phonenumbers
import yaml

from extproc.policy.governance import BULK_ACTIONS, GovernanceReader
from extproc.policy.model import (
    DEFAULT_REDACTION,
    Action,
    Limits,
    Match,
    OnOversize,
    Rule,
    Threshold,
)
from extproc.policy.unscanned import Unscanned

VERSION = 1

_MATCH = {"hosts": False, "path_prefixes": False}
_RULE = {
    "detectors": True,
    "request": False,
    "response": False,
    "threshold": False,
    "description": False,
    "max_values": False,
    "bulk_action": False,
}
_ALLOW = {"values": True}
_LIMITS = {"max_body_bytes": False, "on_oversize": False, "on_undecodable": False}
_UNSCANNED = {"headers": False, "query_parameters": False}

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GLOB_CHARS = frozenset("*?[")


def _is_glob(pattern: str) -> bool:
    return not _GLOB_CHARS.isdisjoint(pattern)


class SectionReader(GovernanceReader):
    """Reads one section each; ``load._PolicyReader`` puts them together."""

    # -- top-level scalars ------------------------------------------------------------

    def _phone_regions(self, node: yaml.Node) -> tuple[str, ...] | None:
        """ISO 3166 region codes whose national phone formats count (``extproc.detect.phones``)."""
        regions = self.strings(node, "phone_regions", non_empty=True)
        if regions is None:
            return None
        known = phonenumbers.SUPPORTED_REGIONS
        unknown = [r for r in regions if r.upper() not in known]
        if unknown:
            self.error(
                node, "phone_regions", f"unknown region(s) {', '.join(unknown)} (ISO 3166 codes)"
            )
            return None
        return tuple(r.upper() for r in regions)

    def _version(self, node: yaml.Node | None) -> None:
        if node is None:
            return
        version = self.integer(node, "version")
        if version is not None and version != VERSION:
            self.error(node, "version", f"unsupported version {version} (expected {VERSION})")

    def _name(self, node: yaml.Node | None) -> str:
        if node is None:
            return ""  # reported as a missing required key
        value = self.string(node, "name")
        if value is not None and not _NAME.fullmatch(value):
            self.error(
                node, "name", f"policy name '{value}' must be letters, digits, '_', '.' or '-'"
            )
        return value or ""

    def _redaction(self, node: yaml.Node | None) -> str:
        template = self.text(node, "redaction", DEFAULT_REDACTION)
        if node is None:
            return template
        try:
            fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(template)]
        except ValueError as e:
            self.error(node, "redaction", f"bad template: {e}")
            return template
        for name, spec, conversion in fields:
            if name is None:
                continue
            if name != "detector":
                self.error(
                    node,
                    "redaction",
                    f"unknown placeholder '{{{name}}}' (only {{detector}} is allowed)",
                )
            elif spec or conversion:
                self.error(node, "redaction", "{detector} takes no format spec or conversion")
        return template

    def _hash_key_env(self, node: yaml.Node | None) -> str | None:
        if node is None:
            return None
        value = self.string(node, "hash_key_env")
        if value is not None and not _ENV.fullmatch(value):
            self.error(node, "hash_key_env", f"'{value}' is not an environment variable name")
        return value

    # -- sections ---------------------------------------------------------------------

    def _match(self, node: yaml.Node) -> Match | None:
        keys = self.mapping(node, "match", _MATCH)
        if keys is None:
            return None
        hosts = self.sections(keys.get("hosts"), "match.hosts", self._host)
        prefixes = self.sections(keys.get("path_prefixes"), "match.path_prefixes", self._prefix)
        if not keys.get("hosts") and not keys.get("path_prefixes"):
            self.error(
                node,
                "match",
                "lists neither hosts nor path_prefixes (leave 'match' "
                "out to make this policy a default candidate)",
            )
        return Match(hosts=hosts, path_prefixes=prefixes)

    def _host(self, node: yaml.Node, entry: str) -> str | None:
        value = self.string(node, entry)
        if value is not None and (any(c.isspace() for c in value) or "/" in value):
            self.error(node, entry, f"'{value}' is not a host name or host glob")
            return None
        return value.lower() if value is not None else None

    def _prefix(self, node: yaml.Node, entry: str) -> str | None:
        value = self.string(node, entry)
        if value is not None and not value.startswith("/"):
            self.error(node, entry, f"path prefix '{value}' must start with '/'")
            return None
        return value

    def _rule(self, node: yaml.Node, entry: str, known: frozenset[str]) -> Rule | None:
        keys = self.mapping(node, entry, _RULE)
        if keys is None:
            return None
        detectors: tuple[str, ...] = ()
        if "detectors" in keys:
            sub = f"{entry}.detectors"
            detectors = self.strings(keys["detectors"], sub, non_empty=True) or ()
            for i, item in enumerate(_sequence(keys["detectors"])):
                self._detector_ref(item, f"{sub}[{i}]", known)
        if "request" not in keys and "response" not in keys:
            self.error(node, entry, "decides neither request nor response (set at least one)")
        request = self._action(keys.get("request"), f"{entry}.request", _REQUEST_ACTIONS)
        response = self._action(keys.get("response"), f"{entry}.response", _RESPONSE_ACTIONS)
        threshold = None
        if "threshold" in keys:
            level = self.choice(keys["threshold"], f"{entry}.threshold", "threshold", _LEVELS)
            threshold = Threshold[level] if level is not None else None
        max_values = None
        if "max_values" in keys:
            max_values = self.positive(keys["max_values"], f"{entry}.max_values")
        bulk_action = Action.BLOCK
        if "bulk_action" in keys:
            if "max_values" not in keys:
                self.error(
                    keys["bulk_action"], f"{entry}.bulk_action", "has no effect without max_values"
                )
            chosen = self.choice(
                keys["bulk_action"], f"{entry}.bulk_action", "action", BULK_ACTIONS
            )
            bulk_action = Action(chosen) if chosen is not None else bulk_action
        return Rule(
            detectors=detectors,
            request=request,
            response=response,
            threshold=threshold,
            description=self.text(keys.get("description"), f"{entry}.description", ""),
            max_values=max_values,
            bulk_action=bulk_action,
        )

    def _detector_ref(self, node: yaml.Node, entry: str, known: frozenset[str]) -> None:
        if not isinstance(node, yaml.ScalarNode) or not node.value:
            return  # already reported by strings()
        ref = str(node.value)
        if _is_glob(ref):
            if not any(fnmatch.fnmatchcase(k, ref) for k in known):
                self.error(node, entry, f"glob '{ref}' matches no detector")
        elif ref not in known:
            close = difflib.get_close_matches(ref, sorted(known), n=1, cutoff=0.75)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.error(node, entry, f"unknown detector '{ref}'{hint}")

    def _action(self, node: yaml.Node | None, entry: str, allowed: Sequence[str]) -> Action | None:
        if node is None:
            return None
        if (
            isinstance(node, yaml.ScalarNode)
            and node.value not in allowed
            and node.value in (a.value for a in Action)
        ):
            self.error(
                node,
                entry,
                f"'{node.value}' applies to requests only (expected one of: {', '.join(allowed)})",
            )
            return None
        value = self.choice(node, entry, "action", allowed)
        return Action(value) if value is not None else None

    def _allow_list(self, node: yaml.Node) -> tuple[str, ...]:
        keys = self.mapping(node, "allow_list", _ALLOW)
        if not keys or "values" not in keys:
            return ()
        return self.strings(keys["values"], "allow_list.values") or ()

    def _limits(self, node: yaml.Node) -> Limits:
        keys = self.mapping(node, "limits", _LIMITS)
        if keys is None:
            return Limits()
        max_body = None
        if "max_body_bytes" in keys:
            max_body = self.integer(keys["max_body_bytes"], "limits.max_body_bytes")
            if max_body is not None and max_body < 1:
                self.error(
                    keys["max_body_bytes"],
                    "limits.max_body_bytes",
                    "must be a positive number of bytes",
                )
        on_oversize = OnOversize.BLOCK
        if "on_oversize" in keys:
            choice = self.choice(
                keys["on_oversize"], "limits.on_oversize", "action", [o.value for o in OnOversize]
            )
            on_oversize = OnOversize(choice) if choice is not None else on_oversize
        on_undecodable = OnOversize.BLOCK
        if "on_undecodable" in keys:
            choice = self.choice(
                keys["on_undecodable"],
                "limits.on_undecodable",
                "action",
                [o.value for o in OnOversize],
            )
            on_undecodable = OnOversize(choice) if choice is not None else on_undecodable
        return Limits(
            max_body_bytes=max_body, on_oversize=on_oversize, on_undecodable=on_undecodable
        )

    def _unscanned(self, node: yaml.Node) -> Unscanned:
        keys = self.mapping(node, "unscanned", _UNSCANNED)
        if keys is None:
            return Unscanned()
        default = Unscanned()
        headers = default.headers
        if "headers" in keys:
            headers = frozenset(self.sections(keys["headers"], "unscanned.headers", self.header))
        query = default.query_parameters
        if "query_parameters" in keys:
            names = self.strings(keys["query_parameters"], "unscanned.query_parameters") or ()
            query = frozenset(name.lower() for name in names)
        return Unscanned(headers, query)


def _sequence(node: yaml.Node) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


_LEVELS = [level.name for level in Threshold]
_REQUEST_ACTIONS = [action.value for action in Action]
_RESPONSE_ACTIONS = [a for a in _REQUEST_ACTIONS if a != Action.PSEUDONYMIZE.value]
