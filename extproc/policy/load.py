"""YAML policy file -> validated ``Policy``, or a ``PolicyError`` listing every problem.

Each message reads ``file:line: entry: message``. Values matched in traffic
never reach this module; messages quote only what the policy author wrote
(ids, actions, key names), and never custom examples or allow-list values.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import string
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import TypeVar

import yaml
from yaml.reader import ReaderError

from extproc.detect.catalogue import BUILTIN
from extproc.detect.regex import PatternError, compile_pattern
from extproc.detect.scanner import build_scanner
from extproc.detect.spec import DetectorSpec
from extproc.detect.validators import VALIDATORS
from extproc.policy.model import (
    DEFAULT_REDACTION,
    Action,
    CustomDetector,
    KeywordList,
    Limits,
    Match,
    OnOversize,
    Policy,
    Rule,
    Threshold,
)
from extproc.policy.nodes import NodeReader, line_of

VERSION = 1
MAX_LEN_LIMIT = 65536  # bounds what a streaming scanner may hold back for one detector

_TOP = {
    "version": True,
    "name": True,
    "description": False,
    "match": False,
    "rules": True,
    "custom_detectors": False,
    "keyword_lists": False,
    "allow_list": False,
    "redaction": False,
    "hash_key_env": False,
    "limits": False,
}
_MATCH = {"hosts": False, "path_prefixes": False}
_RULE = {
    "detectors": True,
    "request": False,
    "response": False,
    "threshold": False,
    "description": False,
}
_CUSTOM = {
    "id": True,
    "pattern": True,
    "description": False,
    "keywords": False,
    "confidence": False,
    "context": False,
    "max_len": False,
    "case_sensitive": False,
    "validator": False,
    "examples": False,
    "negatives": False,
}
_KEYWORDS = {"id": True, "words": True, "case_sensitive": False, "description": False}
_ALLOW = {"values": True}
_LIMITS = {"max_body_bytes": False, "on_oversize": False}

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_ID_TAIL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GLOB_CHARS = frozenset("*?[")

_T = TypeVar("_T")


class PolicyError(ValueError):
    """One or more policy problems; ``errors`` holds one ``file:line: entry: message`` each."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(self.errors))


def load_policy(path: str) -> Policy:
    """Read and validate one policy file."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise PolicyError([f"{path}: cannot read: {_reason(e)}"]) from None
    return parse_policy(text, path)


def parse_policy(text: str, source: str) -> Policy:
    """Validate policy YAML; ``source`` is the file name used in messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise PolicyError([f"{source}:{line}: YAML syntax error: {e.problem}"]) from None
    except ReaderError as e:
        line = text[: e.position].count("\n") + 1
        raise PolicyError([f"{source}:{line}: YAML syntax error: {e.reason}"]) from None
    if root is None:
        raise PolicyError([f"{source}:1: policy: empty file (expected version, name and rules)"])
    reader = _PolicyReader(source)
    policy = reader.policy(root)
    if reader.errors or policy is None:
        raise PolicyError([msg for _, msg in sorted(reader.errors, key=lambda e: e[0])])
    return policy


def _reason(e: Exception) -> str:
    return (e.strerror if isinstance(e, OSError) else None) or type(e).__name__


def _is_glob(pattern: str) -> bool:
    return not _GLOB_CHARS.isdisjoint(pattern)


class _PolicyReader(NodeReader):
    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.defined_ids: set[str] = set()
        self._id_lines: dict[str, int] = {}

    def policy(self, root: yaml.Node) -> Policy | None:
        keys = self.mapping(root, "", _TOP)
        if keys is None:
            return None
        self._version(keys.get("version"))
        name = self._name(keys.get("name"))
        description = self._text(keys.get("description"), "description", "")
        match = self._match(keys["match"]) if "match" in keys else None
        custom = self._list(keys.get("custom_detectors"), "custom_detectors", self._custom)
        lists = self._list(keys.get("keyword_lists"), "keyword_lists", self._keyword_list)
        known = frozenset(spec.id for spec in BUILTIN) | self.defined_ids
        rules = self._list(keys.get("rules"), "rules", lambda n, e: self._rule(n, e, known))
        allow = self._allow_list(keys["allow_list"]) if "allow_list" in keys else ()
        redaction = self._redaction(keys.get("redaction"))
        hash_key_env = self._hash_key_env(keys.get("hash_key_env"))
        limits = self._limits(keys["limits"]) if "limits" in keys else Limits()
        return Policy(
            source=self.source,
            name=name,
            rules=rules,
            description=description,
            match=match,
            custom_detectors=custom,
            keyword_lists=lists,
            allow_values=allow,
            redaction=redaction,
            hash_key_env=hash_key_env,
            limits=limits,
            lines=MappingProxyType(dict(self.lines)),
        )

    # -- generic pieces ---------------------------------------------------------------

    def _list(
        self, node: yaml.Node | None, entry: str, read: Callable[[yaml.Node, str], _T | None]
    ) -> tuple[_T, ...]:
        items = self.items(node, entry) if node is not None else None
        parsed = [read(item, sub) for sub, item in items or ()]
        return tuple(p for p in parsed if p is not None)

    def _text(self, node: yaml.Node | None, entry: str, default: str) -> str:
        if node is None:
            return default
        value = self.string(node, entry, allow_empty=True)
        return default if value is None else value

    def _choice(self, node: yaml.Node, entry: str, what: str, allowed: Sequence[str]) -> str | None:
        value = self.string(node, entry)
        if value is not None and value not in allowed:
            self.error(
                node, entry, f"unknown {what} '{value}' (expected one of: {', '.join(allowed)})"
            )
            return None
        return value

    def _new_id(self, node: yaml.Node, entry: str, prefix: str) -> str | None:
        """A custom or keyword-list id: ``prefix`` + a safe tail, defined once."""
        value = self.string(node, entry)
        if value is None:
            return None
        if not value.startswith(prefix):
            self.error(node, entry, f"id '{value}' must start with '{prefix}'")
            return None
        if not _ID_TAIL.fullmatch(value[len(prefix) :]):
            self.error(
                node,
                entry,
                f"id '{value}' must be '{prefix}' followed by letters, digits, '_', '.' or '-'",
            )
            return None
        if value in self._id_lines:
            self.error(
                node,
                entry,
                f"duplicate id '{value}' (first defined at line {self._id_lines[value]})",
            )
            return None
        self._id_lines[value] = line_of(node)
        self.defined_ids.add(value)
        return value

    # -- top-level scalars ------------------------------------------------------------

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
        template = self._text(node, "redaction", DEFAULT_REDACTION)
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
        hosts = self._list(keys.get("hosts"), "match.hosts", self._host)
        prefixes = self._list(keys.get("path_prefixes"), "match.path_prefixes", self._prefix)
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
            level = self._choice(keys["threshold"], f"{entry}.threshold", "threshold", _LEVELS)
            threshold = Threshold[level] if level is not None else None
        return Rule(
            detectors=detectors,
            request=request,
            response=response,
            threshold=threshold,
            description=self._text(keys.get("description"), f"{entry}.description", ""),
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
        value = self._choice(node, entry, "action", allowed)
        return Action(value) if value is not None else None

    def _custom(self, node: yaml.Node, entry: str) -> CustomDetector | None:
        keys = self.mapping(node, entry, _CUSTOM)
        if keys is None:
            return None
        before = len(self.errors)
        id_ = self._new_id(keys["id"], f"{entry}.id", "custom/") if "id" in keys else None
        get = keys.get
        case_sensitive = self._flag(get("case_sensitive"), f"{entry}.case_sensitive", True)
        pattern = self.string(keys["pattern"], f"{entry}.pattern") if "pattern" in keys else None
        if pattern is not None:
            try:
                compile_pattern(pattern, builtin=False, case_sensitive=case_sensitive)
            except PatternError as e:
                self.error(keys["pattern"], f"{entry}.pattern", str(e))
        confidence = 0.8
        if "confidence" in keys:
            value = self.number(keys["confidence"], f"{entry}.confidence")
            if value is not None and not 0.0 <= value <= 1.0:
                self.error(keys["confidence"], f"{entry}.confidence", "must be between 0 and 1")
            confidence = value if value is not None else confidence
        max_len = 256
        if "max_len" in keys:
            value_int = self.integer(keys["max_len"], f"{entry}.max_len")
            if value_int is not None and not 1 <= value_int <= MAX_LEN_LIMIT:
                self.error(
                    keys["max_len"], f"{entry}.max_len", f"must be between 1 and {MAX_LEN_LIMIT}"
                )
            max_len = value_int if value_int is not None else max_len
        validator = None
        if "validator" in keys:
            validator = self._choice(
                keys["validator"], f"{entry}.validator", "validator", sorted(VALIDATORS)
            )
        words = {
            key: self._words(get(key), f"{entry}.{key}")
            for key in ("keywords", "context", "examples", "negatives")
        }
        if len(self.errors) > before or id_ is None or pattern is None:
            return None
        spec = DetectorSpec(
            id=id_,
            pattern=pattern,
            keywords=words["keywords"],
            validator=validator,
            confidence=confidence,
            context=words["context"],
            max_len=max_len,
            case_sensitive=case_sensitive,
            examples=words["examples"],
            negatives=words["negatives"],
        )
        self._check_examples(spec, entry)
        description = self._text(get("description"), f"{entry}.description", "")
        return CustomDetector(spec=spec, description=description)

    def _check_examples(self, spec: DetectorSpec, entry: str) -> None:
        """A custom detector's ``examples`` must each yield one finding, ``negatives`` none."""
        if not spec.examples and not spec.negatives:
            return
        try:
            scanner = build_scanner([spec])
        except ValueError as e:
            self.error_at(self.lines.get(entry, 1), entry, f"cannot build detector: {e}")
            return
        cases = [("examples", text, 1) for text in spec.examples]
        cases += [("negatives", text, 0) for text in spec.negatives]
        seen = {"examples": 0, "negatives": 0}
        for key, text, wanted in cases:
            sub = f"{entry}.{key}[{seen[key]}]"
            seen[key] += 1
            found = sum(1 for f in scanner.scan(text) if f.detector == spec.id)
            if found != wanted:
                self.error_at(
                    self.lines.get(sub, 1),
                    sub,
                    f"yields {found} findings of '{spec.id}' (expected {wanted})",
                )

    def _keyword_list(self, node: yaml.Node, entry: str) -> KeywordList | None:
        keys = self.mapping(node, entry, _KEYWORDS)
        if keys is None:
            return None
        before = len(self.errors)
        id_ = self._new_id(keys["id"], f"{entry}.id", "keyword/") if "id" in keys else None
        words = (
            self.strings(keys["words"], f"{entry}.words", non_empty=True)
            if "words" in keys
            else None
        )
        case_sensitive = self._flag(keys.get("case_sensitive"), f"{entry}.case_sensitive", False)
        description = self._text(keys.get("description"), f"{entry}.description", "")
        if len(self.errors) > before or id_ is None or not words:
            return None
        return KeywordList(
            id=id_, words=words, case_sensitive=case_sensitive, description=description
        )

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
            choice = self._choice(
                keys["on_oversize"], "limits.on_oversize", "action", [o.value for o in OnOversize]
            )
            on_oversize = OnOversize(choice) if choice is not None else on_oversize
        return Limits(max_body_bytes=max_body, on_oversize=on_oversize)

    def _words(self, node: yaml.Node | None, entry: str) -> tuple[str, ...]:
        return self.strings(node, entry) or () if node is not None else ()

    def _flag(self, node: yaml.Node | None, entry: str, default: bool) -> bool:
        value = self.boolean(node, entry) if node is not None else None
        return default if value is None else value


def _sequence(node: yaml.Node) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


_LEVELS = [level.name for level in Threshold]
_REQUEST_ACTIONS = [action.value for action in Action]
_RESPONSE_ACTIONS = [a for a in _REQUEST_ACTIONS if a != Action.PSEUDONYMIZE.value]
