"""The parsed policy: plain frozen data, one class per YAML section
(``unscanned`` and its defaults in ``extproc.policy.unscanned``).

``load`` builds these from YAML and ``compile`` turns them into a
``CompiledPolicy``. Every entry's source line is kept in ``Policy.lines``
(keyed by entry path such as ``rules[1].request``) so that later stages can
still name the file and line in their warnings and errors.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

from extproc.detect.spec import DetectorSpec
from extproc.policy.unscanned import Unscanned


class Action(Enum):
    """What happens to a finding. Values are the YAML spellings."""

    BLOCK = "block"
    REDACT = "redact"
    MASK = "mask"
    HASH = "hash"
    LOG = "log"
    OFF = "off"
    PSEUDONYMIZE = "pseudonymize"

    __hash__ = object.__hash__  # identity, in C (see Direction)

    @property
    def rewrites(self) -> bool:
        """True for the actions that change the text."""
        return self in REWRITING


REWRITING = frozenset({Action.REDACT, Action.MASK, Action.HASH, Action.PSEUDONYMIZE})


class Direction(Enum):
    REQUEST = "request"
    RESPONSE = "response"

    # Members are singletons compared by identity: hash them the same way, in
    # C (Enum's own __hash__ is Python code, and directions key hot dicts).
    __hash__ = object.__hash__


class Threshold(Enum):
    """Sensitivity levels: a finding counts when its confidence is at least the value.

    L1 keeps only the most certain findings; L4 keeps everything a detector reports,
    weak candidates under 0.5 included. A rule without a threshold acts from L3.
    """

    L1 = 0.9
    L2 = 0.75
    L3 = 0.5
    L4 = 0.0


class OnOversize(Enum):
    """What to do with a body that cannot be inspected: larger than
    ``limits.max_body_bytes`` (``on_oversize``), or in a content encoding the
    server cannot decode (``on_undecodable``)."""

    BLOCK = "block"
    PASS = "pass"


_PORT = re.compile(r":\d+$")


@dataclass(frozen=True, slots=True)
class Match:
    """Which requests a policy applies to. An empty list means "any"."""

    hosts: tuple[str, ...] = ()
    path_prefixes: tuple[str, ...] = ()

    def fits(self, host: str, path: str) -> bool:
        """Host globs compare case-insensitively, without the port unless the glob has one."""
        host = host.lower()
        if self.hosts:
            bare = _PORT.sub("", host)
            if not any(
                fnmatch.fnmatchcase(host if ":" in glob else bare, glob) for glob in self.hosts
            ):
                return False
        return not self.path_prefixes or any(path.startswith(p) for p in self.path_prefixes)


@dataclass(frozen=True, slots=True)
class Rule:
    """One entry of ``rules``; ``None`` means the rule does not decide that direction."""

    detectors: tuple[str, ...]
    request: Action | None = None
    response: Action | None = None
    threshold: Threshold | None = None
    description: str = ""
    # Bulk exfiltration: more distinct values than this in one request or
    # response gives the exchange ``bulk_action`` (block or log).
    max_values: int | None = None
    bulk_action: Action = Action.BLOCK

    def action(self, direction: Direction) -> Action | None:
        return self.request if direction is Direction.REQUEST else self.response


@dataclass(frozen=True, slots=True)
class CustomDetector:
    """``entry``: where the policy defines it; ``origin``: for a rule read from
    a gitleaks file, ``file:line: rules[i]`` (messages name that instead)."""

    spec: DetectorSpec
    description: str = ""
    entry: str = ""
    origin: str = ""


@dataclass(frozen=True, slots=True)
class KeywordList:
    id: str
    words: tuple[str, ...]
    case_sensitive: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class Limits:
    """``max_body_bytes`` None: the server's own limit applies."""

    max_body_bytes: int | None = None
    on_oversize: OnOversize = OnOversize.BLOCK
    on_undecodable: OnOversize = OnOversize.BLOCK


# Where the client of an exchange is read from, in the default order of preference.
SOURCES = ("principal", "jwt", "api_key", "address", "host", "route")
DEFAULT_SOURCES = ("principal", "jwt", "api_key", "address", "host")
OTHER_CLASS = "other"


@dataclass(frozen=True, slots=True)
class ClientGroup:
    """A client class for metrics: clients whose ``source:identity`` fits a glob."""

    name: str
    clients: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Attribution:
    sources: tuple[str, ...] = DEFAULT_SOURCES
    jwt_header: str = "authorization"
    api_key_headers: tuple[str, ...] = ("authorization", "x-api-key")
    groups: tuple[ClientGroup, ...] = ()


class OnError(Enum):
    """What a budget does when its shared store cannot answer in time."""

    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Budget:
    """At most ``max_values`` distinct values per client per window."""

    id: str
    detectors: tuple[str, ...]
    max_values: int
    window_seconds: int
    sliding: bool = True
    directions: tuple[Direction, ...] = (Direction.REQUEST, Direction.RESPONSE)
    action: Action = Action.BLOCK  # or LOG: an alert, the exchange passes
    on_error: OnError = OnError.OPEN
    description: str = ""


@dataclass(frozen=True, slots=True)
class Cap:
    """Size caps for the routes under ``path_prefixes`` (empty: every route)."""

    path_prefixes: tuple[str, ...] = ()
    prompt_bytes: int | None = None
    prompt_tokens: int | None = None
    answer_bytes: int | None = None
    answer_tokens: int | None = None

    def fits(self, path: str) -> bool:
        return not self.path_prefixes or any(path.startswith(p) for p in self.path_prefixes)

    def max_bytes(self, direction: Direction) -> int | None:
        return self.prompt_bytes if direction is Direction.REQUEST else self.answer_bytes

    def max_tokens(self, direction: Direction) -> int | None:
        return self.prompt_tokens if direction is Direction.REQUEST else self.answer_tokens


@dataclass(frozen=True, slots=True)
class AnswerShape:
    """``answers``: what the answers of the routes under ``path_prefixes``
    (empty: every route) must look like (``extproc.signals.shape``)."""

    path_prefixes: tuple[str, ...] = ()
    expect_json: bool = False
    schema: Mapping[str, Any] | None = None  # a JSON Schema, as written in the policy
    languages: frozenset[str] = frozenset()  # ISO 639-1 codes; empty: any
    min_chars: int = 40  # shorter texts get no language verdict

    def fits(self, path: str) -> bool:
        return not self.path_prefixes or any(path.startswith(p) for p in self.path_prefixes)


class JudgeApi(Enum):
    CHAT = "chat"  # OpenAI-compatible chat completions (Llama Guard's "safe"/"unsafe\nS1")
    MODERATION = "moderation"  # OpenAI-compatible /v1/moderations


@dataclass(frozen=True, slots=True)
class Judge:
    """``judges``: a model asked about the prompt and/or the buffered answer."""

    name: str
    url: str
    api: JudgeApi
    model: str = ""
    directions: tuple[Direction, ...] = (Direction.REQUEST,)
    timeout: float = 0.5  # seconds per call, the wait included
    on_error: OnError = OnError.OPEN
    categories: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    threshold: float = 0.5  # moderation scores at or above it count
    cache_seconds: int = 300
    api_key_env: str | None = None
    path_prefixes: tuple[str, ...] = ()

    def fits(self, path: str) -> bool:
        return not self.path_prefixes or any(path.startswith(p) for p in self.path_prefixes)


DEFAULT_REDACTION = "[REDACTED:{detector}]"


@dataclass(frozen=True, slots=True)
class Policy:
    """One policy file, validated but not compiled."""

    source: str
    name: str
    rules: tuple[Rule, ...] = ()
    description: str = ""
    match: Match | None = None
    custom_detectors: tuple[CustomDetector, ...] = ()
    keyword_lists: tuple[KeywordList, ...] = ()
    allow_values: tuple[str, ...] = ()
    redaction: str = DEFAULT_REDACTION
    hash_key_env: str | None = None
    limits: Limits = Limits()
    attribution: Attribution = Attribution()
    budgets: tuple[Budget, ...] = ()
    caps: tuple[Cap, ...] = ()
    phone_regions: tuple[str, ...] | None = None  # None: extproc.detect.phones.DEFAULT_REGIONS
    unscanned: Unscanned = field(default_factory=Unscanned)
    answers: tuple[AnswerShape, ...] = ()
    judges: tuple[Judge, ...] = ()
    lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # Warnings found while loading (unsupported gitleaks fields), and the other
    # files the policy read (a change to one reloads the policy).
    notes: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()

    def at(self, entry: str, message: str) -> str:
        """``file:line: entry: message`` for the entry (line 1 if it has none)."""
        return f"{self.source}:{self.lines.get(entry, 1)}: {entry}: {message}"
