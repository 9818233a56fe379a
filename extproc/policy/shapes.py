"""The ``answers`` section of a policy: the shape a route's answers must
have (JSON, a JSON Schema, languages). ``extproc.signals.shape`` checks it.

Reader functions over a ``NodeReader`` (every error ``file:line: entry:
message``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from extproc.policy.model import AnswerShape
from extproc.policy.nodes import NodeReader, Prefix

ANSWER_KEYS = {
    "path_prefixes": False,
    "expect": False,
    "schema": False,
    "languages": False,
    "min_chars": False,
}
EXPECT = ["json", "text"]

_LANGUAGE = re.compile(r"[a-z]{2,3}")
_CONSTRUCT = SafeConstructor()


def read_answers(reader: NodeReader, node: yaml.Node, prefix: Prefix) -> tuple[AnswerShape, ...]:
    return reader.sections(node, "answers", lambda n, e: _answer(reader, n, e, prefix))


def _answer(reader: NodeReader, node: yaml.Node, entry: str, prefix: Prefix) -> AnswerShape | None:
    keys = reader.mapping(node, entry, ANSWER_KEYS)
    if keys is None:
        return None
    before = len(reader.errors)
    prefixes = reader.sections(keys.get("path_prefixes"), f"{entry}.path_prefixes", prefix)
    expect = None
    if "expect" in keys:
        expect = reader.choice(keys["expect"], f"{entry}.expect", "answer format", EXPECT)
    schema: Mapping[str, Any] | None = None
    if "schema" in keys:
        schema = _schema(reader, keys["schema"], f"{entry}.schema")
        if (expect != "json" and "expect" in keys) or "expect" not in keys:
            reader.error(keys["schema"], f"{entry}.schema", "needs expect: json")
    languages: frozenset[str] = frozenset()
    if "languages" in keys:
        listed = reader.strings(keys["languages"], f"{entry}.languages", non_empty=True) or ()
        bad = [code for code in listed if not _LANGUAGE.fullmatch(code)]
        if bad:
            reader.error(
                keys["languages"],
                f"{entry}.languages",
                f"'{bad[0]}' is not an ISO 639-1 language code (two lower-case letters, e.g. en)",
            )
        languages = frozenset(code for code in listed if code not in bad)
    min_chars = 40
    if "min_chars" in keys:
        value = reader.integer(keys["min_chars"], f"{entry}.min_chars")
        if value is not None and value < 1:
            reader.error(keys["min_chars"], f"{entry}.min_chars", "must be a positive integer")
        elif value is not None:
            min_chars = value
    if expect is None and not languages:
        if len(reader.errors) == before:
            reader.error(node, entry, "checks nothing (set expect, languages or both)")
        return None
    return AnswerShape(prefixes, expect == "json", schema, languages, min_chars)


def _schema(reader: NodeReader, node: yaml.Node, entry: str) -> Mapping[str, Any] | None:
    if not isinstance(node, yaml.MappingNode):
        reader.error(node, entry, f"expected a mapping (a JSON Schema), got {_kind(node)}")
        return None
    try:
        value = _CONSTRUCT.construct_document(node)
    except ConstructorError as e:
        reader.error(node, entry, f"cannot read: {e.problem}")
        return None
    import jsonschema  # type: ignore[import-untyped]

    try:
        jsonschema.validators.validator_for(value).check_schema(value)
    except jsonschema.SchemaError as e:
        where = "/".join(str(p) for p in e.path) or "(top)"
        reader.error(node, entry, f"not a valid JSON Schema at {where}: {e.message}")
        return None
    return MappingProxyType(value)


def _kind(node: yaml.Node) -> str:
    return "a list" if isinstance(node, yaml.SequenceNode) else "a scalar"
