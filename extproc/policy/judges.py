"""The ``judges`` section of a policy: models asked about the prompt or the
answer, and the detector ids their verdicts are reported as.
``extproc.signals.judge`` does the asking.

Reader functions over a ``NodeReader`` (every error ``file:line: entry:
message``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import urlsplit

import yaml

from extproc.detect.catalogue.checks import JUDGE_PREFIX
from extproc.policy.model import Direction, Judge, JudgeApi, OnError
from extproc.policy.nodes import NodeReader, Prefix

JUDGE_KEYS = {
    "name": True,
    "url": True,
    "api": True,
    "model": False,
    "ask": False,
    "timeout": False,
    "on_error": False,
    "categories": False,
    "threshold": False,
    "cache": False,
    "api_key_env": False,
    "path_prefixes": False,
    "description": False,
}
ASK = {"prompt": Direction.REQUEST, "answer": Direction.RESPONSE}
MAX_TIMEOUT = 10.0

# Llama Guard 3's hazard categories (its model card), the default meaning of
# a chat judge's "unsafe\nS1,S10" verdict; a policy's ``categories`` replaces them.
LLAMA_GUARD = MappingProxyType(
    {
        "S1": "violent_crimes", "S2": "non_violent_crimes", "S3": "sex_crimes",
        "S4": "child_exploitation", "S5": "defamation", "S6": "specialized_advice",
        "S7": "privacy", "S8": "intellectual_property", "S9": "indiscriminate_weapons",
        "S10": "hate", "S11": "self_harm", "S12": "sexual_content", "S13": "elections",
        "S14": "code_interpreter_abuse",
    }
)  # fmt: skip
# OpenAI's moderation categories; the finding id writes "/" as "_".
MODERATION = MappingProxyType(
    {
        name: name.replace("/", "_").replace("-", "_")
        for name in (
            "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
            "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions",
            "sexual", "sexual/minors", "violence", "violence/graphic",
        )
    }
)  # fmt: skip
UNSAFE = "unsafe"  # a chat judge's verdict without a category it names

_CATEGORY = re.compile(r"[a-z0-9][a-z0-9_]{0,62}")
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)?")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def categories_of(judge: Judge) -> Mapping[str, str]:
    """A judge's verdict labels -> category names (the policy's, else the API's)."""
    if judge.categories:
        return judge.categories
    return LLAMA_GUARD if judge.api is JudgeApi.CHAT else MODERATION


def judge_ids(judge: Judge) -> tuple[str, ...]:
    """The detector ids a judge's verdicts are reported as."""
    names = dict.fromkeys(categories_of(judge).values())
    if judge.api is JudgeApi.CHAT:
        names[UNSAFE] = None
    return tuple(JUDGE_PREFIX + name for name in names)


def read_judges(reader: NodeReader, node: yaml.Node, prefix: Prefix) -> tuple[Judge, ...]:
    judges = reader.sections(node, "judges", lambda n, e: _judge(reader, n, e, prefix))
    reader.unique("judges", "name", "judge", [judge.name for judge in judges])
    return judges


def _judge(reader: NodeReader, node: yaml.Node, entry: str, prefix: Prefix) -> Judge | None:
    keys = reader.mapping(node, entry, JUDGE_KEYS)
    if keys is None:
        return None
    before = len(reader.errors)
    name = _pattern(reader, keys.get("name"), f"{entry}.name", _NAME, "a lower-case name")
    url = _url(reader, keys["url"], f"{entry}.url") if "url" in keys else None
    api = None
    if "api" in keys:
        chosen = reader.choice(
            keys["api"], f"{entry}.api", "judge API", [a.value for a in JudgeApi]
        )
        api = JudgeApi(chosen) if chosen is not None else None
    model = reader.text(keys.get("model"), f"{entry}.model", "")
    if api is JudgeApi.CHAT and not model:
        reader.error(node, entry, "a chat judge needs a model")
    directions: tuple[Direction, ...] = (Direction.REQUEST,)
    if "ask" in keys:
        asked = reader.strings(keys["ask"], f"{entry}.ask", non_empty=True) or ()
        unknown = [a for a in asked if a not in ASK]
        if unknown:
            reader.error(
                keys["ask"], f"{entry}.ask", f"unknown '{unknown[0]}' (expected prompt, answer)"
            )
        directions = tuple(dict.fromkeys(ASK[a] for a in asked if a in ASK)) or directions
    timeout = 0.5
    if "timeout" in keys:
        timeout = _duration(reader, keys["timeout"], f"{entry}.timeout", MAX_TIMEOUT) or timeout
    on_error = OnError.OPEN
    if "on_error" in keys:
        mode = reader.choice(
            keys["on_error"], f"{entry}.on_error", "mode", [m.value for m in OnError]
        )
        on_error = OnError(mode) if mode is not None else on_error
    categories: Mapping[str, str] = MappingProxyType({})
    if "categories" in keys:
        categories = _categories(reader, keys["categories"], f"{entry}.categories")
    threshold = 0.5
    if "threshold" in keys:
        value = reader.number(keys["threshold"], f"{entry}.threshold")
        if value is not None and not 0.0 < value <= 1.0:
            reader.error(keys["threshold"], f"{entry}.threshold", "must lie in (0, 1]")
        elif value is not None:
            threshold = value
    cache = 300
    if "cache" in keys:
        seconds = _duration(reader, keys["cache"], f"{entry}.cache", 86400.0, zero=True)
        cache = int(seconds) if seconds is not None else cache
    api_key_env = None
    if "api_key_env" in keys:
        api_key_env = _pattern(
            reader,
            keys["api_key_env"],
            f"{entry}.api_key_env",
            _ENV,
            "an environment variable name",
        )
    prefixes = reader.sections(keys.get("path_prefixes"), f"{entry}.path_prefixes", prefix)
    reader.text(keys.get("description"), f"{entry}.description", "")
    if len(reader.errors) > before or name is None or url is None or api is None:
        return None
    return Judge(
        name=name,
        url=url,
        api=api,
        model=model,
        directions=directions,
        timeout=timeout,
        on_error=on_error,
        categories=categories,
        threshold=threshold,
        cache_seconds=cache,
        api_key_env=api_key_env,
        path_prefixes=prefixes,
    )


def _pattern(
    reader: NodeReader, node: yaml.Node | None, entry: str, pattern: re.Pattern[str], what: str
) -> str | None:
    if node is None:
        return None
    value = reader.string(node, entry)
    if value is not None and not pattern.fullmatch(value):
        reader.error(node, entry, f"'{value}' is not {what}")
        return None
    return value


def _url(reader: NodeReader, node: yaml.Node, entry: str) -> str | None:
    value = reader.string(node, entry)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        reader.error(node, entry, f"'{value}' is not an http(s) URL with a host")
        return None
    return value


def _duration(
    reader: NodeReader, node: yaml.Node, entry: str, most: float, zero: bool = False
) -> float | None:
    scalar = reader.scalar(node, entry, "a duration")
    if scalar is None:
        return None
    m = _DURATION.fullmatch(str(scalar.value).strip())
    seconds = float(m.group(1)) * _UNIT[m.group(2)] if m else -1.0
    if not m or seconds > most or seconds < 0 or (seconds == 0 and not zero):
        reader.error(
            node,
            entry,
            f"'{scalar.value}' is not a duration (seconds, or a number followed by ms, s, m or h, "
            f"such as 400ms; {'at least 0' if zero else 'more than 0'}, at most {most:g}s)",
        )
        return None
    return seconds


def _categories(reader: NodeReader, node: yaml.Node, entry: str) -> Mapping[str, str]:
    if not isinstance(node, yaml.MappingNode) or not node.value:
        reader.error(node, entry, "expected a mapping of verdict labels to category names")
        return MappingProxyType({})
    out: dict[str, str] = {}
    for key_node, value_node in node.value:
        label = reader.string(key_node, entry)
        name = reader.string(value_node, f"{entry}.{label}")
        if label is None or name is None:
            continue
        if not _CATEGORY.fullmatch(name):
            reader.error(
                value_node,
                f"{entry}.{label}",
                f"'{name}' must be lower-case letters, digits or '_' "
                f"(it names signal/judge:{name})",
            )
            continue
        out[label] = name
    return MappingProxyType(out)
