"""The governance sections of a policy: ``attribution``, ``budgets`` and ``caps``.

Who a client is, how many distinct sensitive values it may receive or send
over time, and how large a prompt or an answer may be. ``extproc.govern``
enforces them; this module only reads and checks the YAML.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml

from extproc.policy.detectors import DetectorReader
from extproc.policy.model import (
    OTHER_CLASS,
    SOURCES,
    Action,
    Attribution,
    Budget,
    Cap,
    ClientGroup,
    Direction,
    OnError,
)

ATTRIBUTION_KEYS = {
    "sources": False,
    "jwt_header": False,
    "api_key_headers": False,
    "groups": False,
}
GROUP_KEYS = {"name": True, "clients": True}
BUDGET_KEYS = {
    "id": True,
    "detectors": True,
    "max_values": True,
    "window": True,
    "window_type": False,
    "direction": False,
    "action": False,
    "on_error": False,
    "description": False,
}
CAP_KEYS = {
    "path_prefixes": False,
    "prompt_bytes": False,
    "prompt_tokens": False,
    "answer_bytes": False,
    "answer_tokens": False,
}
CAP_LIMITS = tuple(k for k in CAP_KEYS if k != "path_prefixes")
BULK_ACTIONS = [Action.BLOCK.value, Action.LOG.value]
WINDOW_TYPES = ["sliding", "fixed"]
BUDGET_DIRECTIONS = ["request", "response", "both"]

_LABEL = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")  # safe as a metric label and a Redis key part
_HEADER = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")
_DURATION = re.compile(r"([1-9][0-9]*)([smhd]?)")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_WINDOW = 366 * 86400

DetectorRef = Callable[[yaml.Node, str], None]


class GovernanceReader(DetectorReader):
    def positive(self, node: yaml.Node, entry: str) -> int | None:
        value = self.integer(node, entry)
        if value is not None and value < 1:
            self.error(node, entry, "must be a positive integer")
            return None
        return value

    def label(self, node: yaml.Node, entry: str) -> str | None:
        value = self.string(node, entry)
        if value is not None and not _LABEL.fullmatch(value):
            self.error(
                node,
                entry,
                f"'{value}' must be lower-case letters, digits, '_', '.' or '-' "
                "(at most 63, starting with a letter or digit)",
            )
            return None
        return value

    def header(self, node: yaml.Node, entry: str) -> str | None:
        value = self.string(node, entry)
        if value is not None and not _HEADER.fullmatch(value.lower()):
            self.error(node, entry, f"'{value}' is not a header name")
            return None
        return value.lower() if value is not None else None

    # -- attribution -----------------------------------------------------------------

    def attribution(self, node: yaml.Node) -> Attribution:
        keys = self.mapping(node, "attribution", ATTRIBUTION_KEYS)
        if keys is None:
            return Attribution()
        default = Attribution()
        sources = default.sources
        if "sources" in keys:
            node = keys["sources"]
            if isinstance(node, yaml.SequenceNode) and not node.value:
                self.error(node, "attribution.sources", "must not be empty")
            sources = self.sections(node, "attribution.sources", self._source)
            self._no_repeats(node, "attribution.sources", sources)
        jwt_header = default.jwt_header
        if "jwt_header" in keys:
            jwt_header = self.header(keys["jwt_header"], "attribution.jwt_header") or jwt_header
        api_key_headers = default.api_key_headers
        if "api_key_headers" in keys:
            api_key_headers = self.sections(
                keys["api_key_headers"], "attribution.api_key_headers", self.header
            )
        groups = self.sections(keys.get("groups"), "attribution.groups", self._group)
        seen: dict[str, str] = {}
        for i, group in enumerate(groups):
            entry = f"attribution.groups[{i}].name"
            if group.name in seen:
                self.at_entry(
                    entry, f"duplicate group '{group.name}' (first in {seen[group.name]})"
                )
            seen.setdefault(group.name, f"attribution.groups[{i}]")
        return Attribution(sources, jwt_header, api_key_headers, groups)

    def _no_repeats(self, node: yaml.Node, entry: str, values: tuple[str, ...]) -> None:
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            self.error(node, entry, f"'{repeated[0]}' is listed twice")

    def _source(self, node: yaml.Node, entry: str) -> str | None:
        return self.choice(node, entry, "source", SOURCES)

    def _group(self, node: yaml.Node, entry: str) -> ClientGroup | None:
        keys = self.mapping(node, entry, GROUP_KEYS)
        if keys is None or "name" not in keys or "clients" not in keys:
            return None
        name = self.label(keys["name"], f"{entry}.name")
        if name == OTHER_CLASS:
            self.error(
                keys["name"],
                f"{entry}.name",
                f"'{OTHER_CLASS}' is the class of every client no group names",
            )
            name = None
        clients = self.strings(keys["clients"], f"{entry}.clients", non_empty=True)
        for i, item in enumerate(_sequence(keys["clients"])):
            self._client_glob(item, f"{entry}.clients[{i}]")
        if name is None or clients is None:
            return None
        return ClientGroup(name, clients)

    def _client_glob(self, node: yaml.Node, entry: str) -> None:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            return  # already reported
        source, sep, glob = str(node.value).partition(":")
        if not sep or not glob:
            self.error(
                node,
                entry,
                f"'{node.value}' must be SOURCE:GLOB, e.g. 'principal:spiffe://cluster.local/ns/batch/*'",
            )
        elif source not in SOURCES:
            self.error(
                node,
                entry,
                f"unknown source '{source}' (write SOURCE:GLOB, SOURCE one of: "
                f"{', '.join(SOURCES)})",
            )

    # -- budgets ---------------------------------------------------------------------

    def budget(self, node: yaml.Node, entry: str, ref: DetectorRef) -> Budget | None:
        keys = self.mapping(node, entry, BUDGET_KEYS)
        if keys is None:
            return None
        budget_id = self.label(keys["id"], f"{entry}.id") if "id" in keys else None
        detectors: tuple[str, ...] | None = None
        if "detectors" in keys:
            detectors = self.strings(keys["detectors"], f"{entry}.detectors", non_empty=True)
            for i, item in enumerate(_sequence(keys["detectors"])):
                ref(item, f"{entry}.detectors[{i}]")
        max_values = (
            self.positive(keys["max_values"], f"{entry}.max_values")
            if "max_values" in keys
            else None
        )
        window = self._window(keys["window"], f"{entry}.window") if "window" in keys else None
        sliding = True
        if "window_type" in keys:
            kind = self.choice(
                keys["window_type"], f"{entry}.window_type", "window type", WINDOW_TYPES
            )
            sliding = kind != "fixed"
        directions: tuple[Direction, ...] = (Direction.REQUEST, Direction.RESPONSE)
        if "direction" in keys:
            which = self.choice(
                keys["direction"], f"{entry}.direction", "direction", BUDGET_DIRECTIONS
            )
            if which in ("request", "response"):
                directions = (Direction(which),)
        action = Action.BLOCK
        if "action" in keys:
            chosen = self.choice(keys["action"], f"{entry}.action", "action", BULK_ACTIONS)
            action = Action(chosen) if chosen is not None else action
        on_error = OnError.OPEN
        if "on_error" in keys:
            mode = self.choice(
                keys["on_error"], f"{entry}.on_error", "mode", [m.value for m in OnError]
            )
            on_error = OnError(mode) if mode is not None else on_error
        description = self.text(keys.get("description"), f"{entry}.description", "")
        if budget_id is None or not detectors or max_values is None or window is None:
            return None
        return Budget(
            id=budget_id,
            detectors=detectors,
            max_values=max_values,
            window_seconds=window,
            sliding=sliding,
            directions=directions,
            action=action,
            on_error=on_error,
            description=description,
        )

    def _window(self, node: yaml.Node, entry: str) -> int | None:
        scalar = self.scalar(node, entry, "a duration")
        if scalar is None:
            return None
        m = _DURATION.fullmatch(str(scalar.value).strip())
        seconds = int(m.group(1)) * _UNIT[m.group(2)] if m else 0
        if not m or seconds > MAX_WINDOW:
            self.error(
                node,
                entry,
                f"'{scalar.value}' is not a duration (seconds, or a number followed by "
                "s, m, h or d, such as 90s or 1h; at most 366d)",
            )
            return None
        return seconds

    def unique_budget_ids(self, budgets: tuple[Budget, ...]) -> None:
        self.unique("budgets", "id", "id", [b.id for b in budgets])

    # -- caps ------------------------------------------------------------------------

    def cap(
        self, node: yaml.Node, entry: str, prefix: Callable[[yaml.Node, str], str | None]
    ) -> Cap | None:
        keys = self.mapping(node, entry, CAP_KEYS)
        if keys is None:
            return None
        prefixes = self.sections(keys.get("path_prefixes"), f"{entry}.path_prefixes", prefix)
        limits = {k: self.positive(keys[k], f"{entry}.{k}") for k in CAP_LIMITS if k in keys}
        if not limits:
            self.error(node, entry, f"sets no cap (set at least one of: {', '.join(CAP_LIMITS)})")
            return None
        return Cap(
            path_prefixes=prefixes,
            prompt_bytes=limits.get("prompt_bytes"),
            prompt_tokens=limits.get("prompt_tokens"),
            answer_bytes=limits.get("answer_bytes"),
            answer_tokens=limits.get("answer_tokens"),
        )


def _sequence(node: yaml.Node) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []
