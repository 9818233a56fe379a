"""gitleaks-format TOML rules as custom detectors.

Users already maintain gitleaks configurations; a policy can load one::

    custom_detectors:
      - gitleaks: rules/gitleaks.toml   # relative to the policy file
        prefix: "gl."                   # ids become custom/gl.<rule id> (default "gitleaks.")
        confidence: 0.8                 # of every finding (default 0.8)

How a rule maps onto a detector:

=============================  ==================================================
gitleaks                       here
=============================  ==================================================
``id``                         ``custom/<prefix><id>``
``description``                the detector's description
``regex``                      its pattern, on RE2 (gitleaks's regexes are Go RE2
                               syntax, which RE2 compiles as they are)
``secretGroup``                the capture group that is the value; unset: the
                               first group that matched, else the whole match
``keywords``                   keywords of the pre-pass
``entropy``                    a value whose Shannon entropy is at most this is
                               dropped
``allowlists`` / ``allowlist`` ``regexes`` (``regexTarget`` "secret") and
                               ``stopwords`` drop a value; ``condition``
                               "OR" (the default)
``[allowlist]`` (global)       the same, for every rule
``tags``, ``title``            read and kept out of the way
=============================  ==================================================

Everything else is reported as a warning naming the file and line, never
silently ignored: ``path``/``paths`` and ``commits`` (traffic has no files
or commits; a rule with a ``path`` and no ``regex`` is skipped), an
allowlist's ``regexTarget`` "match"/"line" or ``condition`` "AND" (that
allowlist is not applied: more findings, never fewer), ``[extend]``,
``required``, ``skipReport``, ``targetRules`` and unknown keys. A value
matched in traffic never appears in any message; TOML text is quoted only
where it names a key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field

from extproc.detect.regex import FIRST_GROUP, PatternError, compile_pattern
from extproc.detect.spec import DetectorSpec
from extproc.policy.toml_lines import TomlLines

DEFAULT_PREFIX = "gitleaks."
_RULE_KEYS = frozenset(
    {"id", "description", "regex", "secretGroup", "keywords", "entropy", "tags",
     "allowlist", "allowlists", "path", "skipReport", "required"}
)  # fmt: skip
_UNSUPPORTED_RULE = {
    "path": "traffic has no file paths: the rule applies to every body",
    "skipReport": "every finding is reported",
    "required": "composite rules are not supported: the rule stands alone",
}
_ALLOW_KEYS = frozenset(
    {"description", "condition", "regexTarget", "regexes", "stopwords", "paths", "commits",
     "targetRules"}
)  # fmt: skip
_TOP_KEYS = frozenset({"title", "description", "rules", "allowlist", "allowlists", "extend"})
_ID_TAIL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True, slots=True)
class GitleaksRule:
    """One rule, ready to become a custom detector; ``line`` is its ``[[rules]]`` header."""

    spec: DetectorSpec
    description: str
    line: int


@dataclass
class GitleaksFile:
    """What a file held: its rules, errors and warnings as ``file:line: entry: message``."""

    rules: list[GitleaksRule] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def load_gitleaks(path: str, prefix: str = DEFAULT_PREFIX, confidence: float = 0.8) -> GitleaksFile:
    """Read a gitleaks configuration file into detector specs, errors and warnings."""
    out = GitleaksFile()
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        reason = (e.strerror if isinstance(e, OSError) else None) or type(e).__name__
        out.errors.append(f"{path}: cannot read: {reason}")
        return out
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        at = _AT_LINE.search(str(e))
        message = _AT_LINE.sub("", str(e)).strip()
        out.errors.append(f"{path}:{at.group(1) if at else 1}: TOML syntax error: {message}")
        return out
    _Reader(path, TomlLines(text), prefix, confidence, out).read(document)
    return out


class _Reader:
    def __init__(
        self, path: str, lines: TomlLines, prefix: str, confidence: float, out: GitleaksFile
    ) -> None:
        self.path, self.lines, self.prefix, self.confidence, self.out = (
            path, lines, prefix, confidence, out,
        )  # fmt: skip
        self.seen: dict[str, int] = {}

    def error(self, line: int, entry: str, message: str) -> None:
        self.out.errors.append(f"{self.path}:{line}: {entry}: {message}")

    def warn(self, line: int, entry: str, message: str) -> None:
        self.out.warnings.append(f"{self.path}:{line}: {entry}: {message}")

    def read(self, document: Mapping[str, object]) -> None:
        for key in document:
            if key not in _TOP_KEYS:
                self.warn(self.lines.key(0, key), key, "unknown gitleaks key, ignored")
        if "extend" in document:
            self.warn(
                self.lines.table("extend", 0),
                "extend",
                "not supported: gitleaks's own default rules are not loaded (the built-in "
                "catalogue covers their kinds)",
            )
        shared = self._allowlists(document, 0, "", "allowlist")
        rules = document.get("rules", [])
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            self.error(1, "rules", "expected [[rules]] tables")
            return
        if not rules:
            self.warn(1, "rules", "no rules")
        for index, rule in enumerate(rules):
            self._rule(rule, index, shared)

    def _rule(self, rule: dict[str, object], index: int, shared: tuple[str, ...]) -> None:
        rule_id = rule.get("id")
        entry = f"rules[{index}]"
        named = f"{entry} ({rule_id})" if isinstance(rule_id, str) else entry
        start = self.lines.table("rules", index)
        for key in rule:
            if key not in _RULE_KEYS:
                self.warn(self.lines.key(start, key), f"{named}.{key}", "unknown key, ignored")
            elif key in _UNSUPPORTED_RULE:
                where = self.lines.key(start, key)
                self.warn(where, f"{named}.{key}", f"not supported: {_UNSUPPORTED_RULE[key]}")
        if not isinstance(rule_id, str) or not _ID_TAIL.fullmatch(rule_id):
            self.error(start, f"{entry}.id", "required: letters, digits, '_', '.' or '-'")
            return
        entry = f"{entry} ({rule_id})"
        if rule_id in self.seen:
            self.error(start, entry, f"duplicate id (first at line {self.seen[rule_id]})")
            return
        self.seen[rule_id] = start
        regex = rule.get("regex")
        if regex is None:
            self.warn(start, entry, "no regex (a path-only rule): skipped")
            return
        if not isinstance(regex, str) or not regex:
            self.error(self.lines.key(start, "regex"), f"{entry}.regex", "expected a string")
            return
        group = self._group(rule, start, entry)
        entropy = self._entropy(rule, start, entry)
        keywords = self._strings(rule.get("keywords", []), start, entry, "keywords")
        if group is False or entropy is False or keywords is None:
            return
        try:
            compile_pattern(regex, builtin=False, group=group)
        except PatternError as e:
            self.error(self.lines.key(start, "regex"), f"{entry}.regex", str(e))
            return
        allow = shared + self._allowlists(rule, start, f"{entry}.", "rules.allowlist")
        description = rule.get("description")
        spec = DetectorSpec(
            id=f"custom/{self.prefix}{rule_id}",
            pattern=regex,
            keywords=tuple(k for k in keywords if k.strip()),
            confidence=self.confidence,
            value_group=group,
            min_entropy=entropy,
            allow=allow,
        )
        self.out.rules.append(
            GitleaksRule(spec, description if isinstance(description, str) else "", start)
        )

    def _group(self, rule: Mapping[str, object], start: int, entry: str) -> int | bool | None:
        value = rule.get("secretGroup")
        if value is None or value == 0:
            return FIRST_GROUP
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            line = self.lines.key(start, "secretGroup")
            self.error(line, f"{entry}.secretGroup", "expected a group number")
            return False
        return value

    def _entropy(self, rule: Mapping[str, object], start: int, entry: str) -> float | bool | None:
        value = rule.get("entropy")
        if value is None or value == 0:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            line = self.lines.key(start, "entropy")
            self.error(line, f"{entry}.entropy", "expected a number of bits per character")
            return False
        return float(value)

    def _strings(self, value: object, start: int, entry: str, key: str) -> tuple[str, ...] | None:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.error(self.lines.key(start, key), f"{entry}.{key}", "expected a list of strings")
        return None

    def _allowlists(
        self, table: Mapping[str, object], start: int, entry: str, header: str
    ) -> tuple[str, ...]:
        """RE2 patterns from a table's ``allowlist`` (one) or ``allowlists`` (several)."""
        found: list[tuple[str, int, Mapping[str, object]]] = []
        one, many = table.get("allowlist"), table.get("allowlists")
        if isinstance(one, dict):
            found.append((f"{entry}allowlist", self.lines.after(start, header, 0), one))
        if isinstance(many, list):
            for i, item in enumerate(many):
                if isinstance(item, dict):
                    line = self.lines.after(start, f"{header}s", i)
                    found.append((f"{entry}allowlists[{i}]", line, item))
        patterns: list[str] = []
        for name, line, allowlist in found:
            patterns += self._allowlist(allowlist, line, name)
        return tuple(patterns)

    def _allowlist(self, allowlist: Mapping[str, object], line: int, entry: str) -> list[str]:
        for key in allowlist:
            if key not in _ALLOW_KEYS:
                self.warn(self.lines.key(line, key), f"{entry}.{key}", "unknown key, ignored")
        for key in ("paths", "commits", "targetRules"):
            if key in allowlist:
                self.warn(
                    self.lines.key(line, key),
                    f"{entry}.{key}",
                    "not supported: traffic has no files or commits; this part never applies",
                )
        target = allowlist.get("regexTarget", "secret")
        condition = str(allowlist.get("condition", "OR")).upper()
        if target != "secret" or condition != "OR":
            what = "regexTarget" if target != "secret" else "condition"
            self.warn(
                self.lines.key(line, what),
                f"{entry}.{what}",
                "not supported (only regexTarget 'secret' and condition 'OR'): this allowlist "
                "is not applied",
            )
            return []
        regexes = self._strings(allowlist.get("regexes", []), line, entry, "regexes") or ()
        stopwords = self._strings(allowlist.get("stopwords", []), line, entry, "stopwords") or ()
        patterns = []
        for i, pattern in enumerate(regexes):
            try:
                compile_pattern(pattern, builtin=False)
            except PatternError as e:
                self.error(self.lines.key(line, "regexes"), f"{entry}.regexes[{i}]", str(e))
                continue
            patterns.append(pattern)
        words = [w for w in stopwords if w.strip()]
        if words:
            patterns.append("(?i:" + "|".join(_literal(w) for w in words) + ")")
        return patterns


def _literal(word: str) -> str:
    """``word`` as an RE2 literal (RE2 does not take every escape Python's ``re.escape`` writes)."""
    return "".join(c if c.isalnum() and c.isascii() else f"\\x{{{ord(c):x}}}" for c in word)
