"""The detector sections of a policy: ``custom_detectors`` and ``keyword_lists``."""

from __future__ import annotations

import os
import re

import yaml

from extproc.detect.regex import PatternError, compile_pattern
from extproc.detect.scanner import build_scanner
from extproc.detect.spec import DetectorSpec
from extproc.detect.validators import VALIDATORS
from extproc.policy.gitleaks import DEFAULT_PREFIX, load_gitleaks
from extproc.policy.model import CustomDetector, KeywordList
from extproc.policy.nodes import NodeReader, line_of

MAX_LEN_LIMIT = 65536  # bounds what a streaming scanner may hold back for one detector

CUSTOM_KEYS = {
    "id": True,
    "pattern": True,
    "description": False,
    "keywords": False,
    "confidence": False,
    "context": False,
    "context_confidence": False,
    "max_len": False,
    "case_sensitive": False,
    "validator": False,
    "examples": False,
    "negatives": False,
}
KEYWORD_LIST_KEYS = {"id": True, "words": True, "case_sensitive": False, "description": False}
# An entry that loads a gitleaks configuration instead of defining one detector.
GITLEAKS_KEYS = {"gitleaks": True, "prefix": False, "confidence": False, "description": False}

_ID_TAIL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class DetectorReader(NodeReader):
    """Reads detector definitions; ``defined_ids`` collects every id defined, valid or not."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.defined_ids: set[str] = set()
        self._id_lines: dict[str, int] = {}
        self.notes: list[str] = []
        self.includes: list[str] = []

    def custom_detectors(self, node: yaml.Node | None, entry: str) -> tuple[CustomDetector, ...]:
        """Each entry: one detector, or (``gitleaks: FILE``) every rule of a gitleaks file."""
        found: list[CustomDetector] = []
        for sub, item in (self.items(node, entry) or []) if node is not None else []:
            keys = {k.value for k, _ in item.value} if isinstance(item, yaml.MappingNode) else ()
            if "gitleaks" in keys:
                found += self.gitleaks(item, sub)
            else:
                detector = self.custom_detector(item, sub)
                if detector is not None:
                    found.append(detector)
        return tuple(found)

    def gitleaks(self, node: yaml.Node, entry: str) -> list[CustomDetector]:
        """Every rule of a gitleaks TOML file (path relative to the policy file)."""
        keys = self.mapping(node, entry, GITLEAKS_KEYS)
        if keys is None or "gitleaks" not in keys:
            return []
        name = self.string(keys["gitleaks"], f"{entry}.gitleaks")
        prefix = self.string(keys["prefix"], f"{entry}.prefix") if "prefix" in keys else None
        confidence = self._fraction(keys.get("confidence"), f"{entry}.confidence")
        self.text(keys.get("description"), f"{entry}.description", "")
        if prefix is not None and not re.fullmatch(r"[A-Za-z0-9_.-]*", prefix):
            self.error(keys["prefix"], f"{entry}.prefix", "letters, digits, '_', '.' or '-'")
            return []
        if name is None:
            return []
        path = os.path.join(os.path.dirname(self.source), name)
        self.includes.append(path)
        loaded = load_gitleaks(
            path,
            DEFAULT_PREFIX if prefix is None else prefix,
            0.8 if confidence is None else confidence,
        )
        where = line_of(keys["gitleaks"])
        self.errors += [(where, f"{message} (loaded by {entry})") for message in loaded.errors]
        self.notes += loaded.warnings
        out = []
        for rule in loaded.rules:
            origin = f"{path}:{rule.line}: {rule.spec.id}"
            if rule.spec.id in self._id_lines:
                first = self._id_lines[rule.spec.id]
                self.error_at(
                    where, entry, f"{origin}: duplicate id (first defined at line {first})"
                )
                continue
            self._id_lines[rule.spec.id] = where
            self.defined_ids.add(rule.spec.id)
            out.append(CustomDetector(rule.spec, rule.description, entry=entry, origin=origin))
        return out

    def new_id(self, node: yaml.Node, entry: str, prefix: str) -> str | None:
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

    def custom_detector(self, node: yaml.Node, entry: str) -> CustomDetector | None:
        keys = self.mapping(node, entry, CUSTOM_KEYS)
        if keys is None:
            return None
        before = len(self.errors)
        get = keys.get
        id_ = self.new_id(keys["id"], f"{entry}.id", "custom/") if "id" in keys else None
        case_sensitive = self.flag(get("case_sensitive"), f"{entry}.case_sensitive", True)
        pattern = self.string(keys["pattern"], f"{entry}.pattern") if "pattern" in keys else None
        if pattern is not None:
            try:
                compile_pattern(pattern, builtin=False, case_sensitive=case_sensitive)
            except PatternError as e:
                self.error(keys["pattern"], f"{entry}.pattern", str(e))
        confidence = self._fraction(get("confidence"), f"{entry}.confidence")
        context_confidence = self._fraction(
            get("context_confidence"), f"{entry}.context_confidence"
        )
        max_len = self._max_len(get("max_len"), f"{entry}.max_len")
        validator = None
        if "validator" in keys:
            validator = self.choice(
                keys["validator"], f"{entry}.validator", "validator", sorted(VALIDATORS)
            )
        words = {
            key: self.words(get(key), f"{entry}.{key}")
            for key in ("keywords", "context", "examples", "negatives")
        }
        if words["context"] and context_confidence is None:
            self.error(
                keys["context"],
                f"{entry}.context",
                "has no effect without context_confidence (the confidence when a context "
                "word is near)",
            )
        description = self.text(get("description"), f"{entry}.description", "")
        if len(self.errors) > before or id_ is None or pattern is None:
            return None
        spec = DetectorSpec(
            id=id_,
            pattern=pattern,
            keywords=words["keywords"],
            validator=validator,
            confidence=0.8 if confidence is None else confidence,
            context=words["context"],
            max_len=max_len,
            case_sensitive=case_sensitive,
            examples=words["examples"],
            negatives=words["negatives"],
            context_confidence=context_confidence,
        )
        self._check_examples(spec, entry)
        return CustomDetector(spec=spec, description=description, entry=entry)

    def _fraction(self, node: yaml.Node | None, entry: str) -> float | None:
        value = self.number(node, entry) if node is not None else None
        if node is not None and value is not None and not 0.0 <= value <= 1.0:
            self.error(node, entry, "must be between 0 and 1")
        return value

    def _max_len(self, node: yaml.Node | None, entry: str) -> int:
        value = self.integer(node, entry) if node is not None else None
        if node is not None and value is not None and not 1 <= value <= MAX_LEN_LIMIT:
            self.error(node, entry, f"must be between 1 and {MAX_LEN_LIMIT}")
        return 256 if value is None else value

    def _check_examples(self, spec: DetectorSpec, entry: str) -> None:
        """A custom detector's ``examples`` must each yield one finding, ``negatives`` none."""
        if not spec.examples and not spec.negatives:
            return
        try:
            scanner = build_scanner([spec])
        except ValueError as e:
            self.at_entry(entry, f"cannot build detector: {e}")
            return
        for i, text in enumerate(spec.examples):
            found = sum(1 for f in scanner.scan(text) if f.detector == spec.id)
            if found != 1:
                self.at_entry(
                    f"{entry}.examples[{i}]",
                    f"example yields {found} findings of '{spec.id}' (expected exactly 1)",
                )
        for i, text in enumerate(spec.negatives):
            if any(f.detector == spec.id for f in scanner.scan(text)):
                self.at_entry(
                    f"{entry}.negatives[{i}]",
                    f"negative yields a finding of '{spec.id}' (expected none)",
                )

    def keyword_list(self, node: yaml.Node, entry: str) -> KeywordList | None:
        keys = self.mapping(node, entry, KEYWORD_LIST_KEYS)
        if keys is None:
            return None
        before = len(self.errors)
        id_ = self.new_id(keys["id"], f"{entry}.id", "keyword/") if "id" in keys else None
        words = (
            self.strings(keys["words"], f"{entry}.words", non_empty=True)
            if "words" in keys
            else None
        )
        case_sensitive = self.flag(keys.get("case_sensitive"), f"{entry}.case_sensitive", False)
        description = self.text(keys.get("description"), f"{entry}.description", "")
        if len(self.errors) > before or id_ is None or not words:
            return None
        return KeywordList(
            id=id_, words=words, case_sensitive=case_sensitive, description=description
        )
