"""Typed reads from a composed YAML node tree, collecting ``file:line: entry: message`` errors.

Reading nodes instead of constructed Python values keeps every entry's line
and lets the loader report duplicate keys, which plain ``yaml.safe_load``
silently resolves to the last one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import yaml
from yaml.constructor import SafeConstructor

_TAG = "tag:yaml.org,2002:"
_NULL, _BOOL, _INT, _FLOAT = (_TAG + t for t in ("null", "bool", "int", "float"))
_KINDS = {
    _TAG + "str": "a string",
    _INT: "an integer",
    _FLOAT: "a number",
    _BOOL: "a boolean",
    _NULL: "nothing",
}
_SCALARS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "timestamp"))
_CONSTRUCT = SafeConstructor()
_T = TypeVar("_T")

# Reads one path prefix of a section (the policy's own check), for sections read apart.
Prefix = Callable[[yaml.Node, str], "str | None"]


def line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return _KINDS.get(node.tag, f"a value tagged '{node.tag}'")


def join(entry: str, key: str) -> str:
    return f"{entry}.{key}" if entry else key


class NodeReader:
    """Reads one document; ``errors`` holds (line, message) in the order found."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[tuple[int, str]] = []
        self.lines: dict[str, int] = {}

    def error(self, node: yaml.Node, entry: str, message: str) -> None:
        self.error_at(line_of(node), entry, message)

    def error_at(self, line: int, entry: str, message: str) -> None:
        self.errors.append((line, f"{self.source}:{line}: {entry or 'policy'}: {message}"))

    def at_entry(self, entry: str, message: str) -> None:
        """An error on an entry already read (its line is known)."""
        self.error_at(self.lines.get(entry, 1), entry, message)

    def unique(self, section: str, key: str, what: str, names: Sequence[str]) -> None:
        """Each repeated name of a section's entries, at the repeat, naming the first."""
        first: dict[str, int] = {}
        for i, name in enumerate(names):
            if name in first:
                self.at_entry(
                    f"{section}[{i}].{key}",
                    f"duplicate {what} '{name}' (first in {section}[{first[name]}])",
                )
            first.setdefault(name, i)

    def mapping(
        self, node: yaml.Node, entry: str, keys: Mapping[str, bool]
    ) -> dict[str, yaml.Node] | None:
        """The values of a mapping by key; ``keys`` maps each allowed key to "required"."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, entry, f"expected a mapping, got {kind(node)}")
            return None
        found: dict[str, yaml.Node] = {}
        key_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.error(key_node, entry, f"keys must be strings, got {kind(key_node)}")
                continue
            sub = join(entry, key)
            if key not in keys:
                self.error(key_node, sub, f"unknown key (expected one of: {', '.join(keys)})")
            elif key in found:
                self.error(key_node, sub, f"duplicate key (first at line {key_lines[key]})")
            else:
                found[key] = value_node
                key_lines[key] = self.lines[sub] = line_of(key_node)
        for key, required in keys.items():
            if required and key not in found:
                self.error(node, join(entry, key), "required key is missing")
        return found

    def items(self, node: yaml.Node, entry: str) -> list[tuple[str, yaml.Node]] | None:
        """Each list item with its entry path, e.g. ``("rules[0]", node)``."""
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, entry, f"expected a list, got {kind(node)}")
            return None
        out = []
        for i, item in enumerate(node.value):
            sub = f"{entry}[{i}]"
            self.lines[sub] = line_of(item)
            out.append((sub, item))
        return out

    def scalar(self, node: yaml.Node, entry: str, expected: str) -> yaml.ScalarNode | None:
        if isinstance(node, yaml.ScalarNode) and node.tag in _SCALARS:
            return node
        self.error(node, entry, f"expected {expected}, got {kind(node)}")
        return None

    def string(self, node: yaml.Node, entry: str, *, allow_empty: bool = False) -> str | None:
        """Any scalar as written, so ``off``, ``yes`` or ``0123`` stay the text the user typed."""
        scalar = self.scalar(node, entry, "a string")
        if scalar is None:
            return None
        if not allow_empty and not scalar.value.strip():
            self.error(node, entry, "must not be empty")
            return None
        return str(scalar.value)

    def strings(
        self, node: yaml.Node, entry: str, *, non_empty: bool = False
    ) -> tuple[str, ...] | None:
        items = self.items(node, entry)
        if items is None:
            return None
        if non_empty and not items:
            self.error(node, entry, "must not be empty")
            return None
        values = [self.string(item, sub) for sub, item in items]
        return tuple(v for v in values if v is not None)

    def integer(self, node: yaml.Node, entry: str) -> int | None:
        scalar = self.scalar(node, entry, "an integer")
        if scalar is None:
            return None
        if scalar.tag != _INT:
            self.error(node, entry, f"expected an integer, got {kind(node)}")
            return None
        return _CONSTRUCT.construct_yaml_int(scalar)

    def number(self, node: yaml.Node, entry: str) -> float | None:
        scalar = self.scalar(node, entry, "a number")
        if scalar is None:
            return None
        if scalar.tag == _INT:
            return float(_CONSTRUCT.construct_yaml_int(scalar))
        if scalar.tag == _FLOAT:
            return _CONSTRUCT.construct_yaml_float(scalar)
        self.error(node, entry, f"expected a number, got {kind(node)}")
        return None

    def boolean(self, node: yaml.Node, entry: str) -> bool | None:
        scalar = self.scalar(node, entry, "true or false")
        if scalar is None:
            return None
        if scalar.tag != _BOOL:
            self.error(node, entry, f"expected true or false, got {kind(node)}")
            return None
        return _CONSTRUCT.construct_yaml_bool(scalar)

    def sections(
        self, node: yaml.Node | None, entry: str, read: Callable[[yaml.Node, str], _T | None]
    ) -> tuple[_T, ...]:
        """Each item read by ``read``; items it rejects (returning None) are left out."""
        items = self.items(node, entry) if node is not None else None
        parsed = [read(item, sub) for sub, item in items or ()]
        return tuple(p for p in parsed if p is not None)

    def text(self, node: yaml.Node | None, entry: str, default: str) -> str:
        """An optional free-text value (may be empty)."""
        if node is None:
            return default
        value = self.string(node, entry, allow_empty=True)
        return default if value is None else value

    def choice(self, node: yaml.Node, entry: str, what: str, allowed: Sequence[str]) -> str | None:
        value = self.string(node, entry)
        if value is not None and value not in allowed:
            self.error(
                node, entry, f"unknown {what} '{value}' (expected one of: {', '.join(allowed)})"
            )
            return None
        return value

    def words(self, node: yaml.Node | None, entry: str) -> tuple[str, ...]:
        """An optional list of strings."""
        return self.strings(node, entry) or () if node is not None else ()

    def flag(self, node: yaml.Node | None, entry: str, default: bool) -> bool:
        """An optional boolean."""
        value = self.boolean(node, entry) if node is not None else None
        return default if value is None else value
