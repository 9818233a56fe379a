"""YAML policy file -> validated ``Policy``, or a ``PolicyError`` listing every problem.

Each message reads ``file:line: entry: message``. Values matched in traffic
never reach this module; messages quote only what the policy author wrote
(ids, actions, key names), and never custom examples or allow-list values.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

import yaml
from yaml.reader import ReaderError

from extproc.detect.catalogue import BUILTIN
from extproc.detect.catalogue.checks import CHECK_IDS
from extproc.policy.judges import judge_ids, read_judges
from extproc.policy.model import (
    Attribution,
    Limits,
    Policy,
)
from extproc.policy.sections import SectionReader
from extproc.policy.shapes import read_answers
from extproc.policy.unscanned import Unscanned

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
    "attribution": False,
    "budgets": False,
    "caps": False,
    "phone_regions": False,
    "unscanned": False,
    "answers": False,
    "judges": False,
}


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
        problem = ", ".join(p for p in (e.context, e.problem) if p)
        raise PolicyError([f"{source}:{line}: YAML syntax error: {problem}"]) from None
    except ReaderError as e:
        line = text[: e.position].count("\n") + 1
        code = e.character if isinstance(e.character, int) else ord(e.character)
        problem = f"unacceptable character #x{code:04x}: {e.reason}"
        raise PolicyError([f"{source}:{line}: YAML syntax error: {problem}"]) from None
    if root is None:
        raise PolicyError([f"{source}:1: policy: empty file (expected version, name and rules)"])
    reader = _PolicyReader(source)
    policy = reader.policy(root)
    if reader.errors or policy is None:
        raise PolicyError([msg for _, msg in sorted(reader.errors, key=lambda e: e[0])])
    return policy


def _reason(e: Exception) -> str:
    return (e.strerror if isinstance(e, OSError) else None) or type(e).__name__


class _PolicyReader(SectionReader):
    def policy(self, root: yaml.Node) -> Policy | None:
        keys = self.mapping(root, "", _TOP)
        if keys is None:
            return None
        self._version(keys.get("version"))
        name = self._name(keys.get("name"))
        description = self.text(keys.get("description"), "description", "")
        match = self._match(keys["match"]) if "match" in keys else None
        custom = self.custom_detectors(keys.get("custom_detectors"), "custom_detectors")
        lists = self.sections(keys.get("keyword_lists"), "keyword_lists", self.keyword_list)
        judges = read_judges(self, keys["judges"], self._prefix) if "judges" in keys else ()
        known = (
            frozenset(spec.id for spec in BUILTIN)
            | self.defined_ids
            | frozenset(CHECK_IDS)
            | frozenset(i for judge in judges for i in judge_ids(judge))
        )
        rules = self.sections(keys.get("rules"), "rules", lambda n, e: self._rule(n, e, known))
        allow = self._allow_list(keys["allow_list"]) if "allow_list" in keys else ()
        redaction = self._redaction(keys.get("redaction"))
        hash_key_env = self._hash_key_env(keys.get("hash_key_env"))
        limits = self._limits(keys["limits"]) if "limits" in keys else Limits()
        attribution = (
            self.attribution(keys["attribution"]) if "attribution" in keys else Attribution()
        )
        budgets = self.sections(
            keys.get("budgets"),
            "budgets",
            lambda n, e: self.budget(n, e, lambda d, sub: self._detector_ref(d, sub, known)),
        )
        self.unique_budget_ids(budgets)
        caps = self.sections(keys.get("caps"), "caps", lambda n, e: self.cap(n, e, self._prefix))
        phone_regions = (
            self._phone_regions(keys["phone_regions"]) if "phone_regions" in keys else None
        )
        unscanned = self._unscanned(keys["unscanned"]) if "unscanned" in keys else Unscanned()
        answers = read_answers(self, keys["answers"], self._prefix) if "answers" in keys else ()
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
            attribution=attribution,
            budgets=budgets,
            caps=caps,
            phone_regions=phone_regions,
            unscanned=unscanned,
            answers=answers,
            judges=judges,
            lines=MappingProxyType(dict(self.lines)),
            notes=tuple(self.notes),
            includes=tuple(self.includes),
        )
