"""The string leaves of one streamed JSON event, each with its role.

One rule for every API (the exceptions are data, in ``rewrite.apis``): an
event's kind is its framing's event name or its ``type``; its item is the set
of its top-level identity fields (``index``, ``item_id``...). Each string
leaf is a piece of a text stream (``STREAM``), keyed by (kind, item, logical
path), where a list item is named by its own ``index`` or else its position;
strings that name things, strings in lifecycle events and strings in
structured data are whole values (``WHOLE``); media is passed as it is
(``MEDIA``); lists that spell the answer token by token are one stream of
their own (``TOKENS``). A list item, or the event itself, that carries a
final marker (``finish_reason``, ``done: true``...) ends its streams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from extproc.rewrite import apis

Path = tuple[str | int, ...]
Group = tuple[tuple[str, object], ...]
Marks = tuple[tuple[str, object], ...]


class Role(Enum):
    MEDIA = "media"
    WHOLE = "whole"
    STREAM = "stream"
    TOKENS = "tokens"


@dataclass(frozen=True, slots=True)
class Leaf:
    path: Path  # where it sits in the event
    logical: Path  # the same, list items named by their label
    value: Any  # a string, or a token list
    role: Role
    scope: Path  # logical path of the nearest list item, () for the event
    marks: Marks  # that item's discriminators


@dataclass(slots=True)
class Shape:
    """What one event is: its kind, item, and leaves."""

    kind: str | None
    lifecycle: bool
    ending: bool  # a lifecycle event that ends the streams of its item
    media: bool
    group: Group
    leaves: list[Leaf] = field(default_factory=list)
    finals: set[Path] = field(default_factory=set)  # scopes whose streams end here


def kind_of(root: Any, name: str | None) -> str | None:
    if isinstance(root, dict):
        for key in apis.KIND_KEYS:
            value = root.get(key)
            if isinstance(value, str):
                return value
    return name


def group_of(root: Any) -> Group:
    """The event's item: its top-level identity fields, counters left out."""
    if not isinstance(root, dict):
        return ()
    counters = {k for k, sibling in apis.COUNTERS if sibling is None or sibling in root}
    return tuple(
        (k, root[k])
        for k in apis.ITEM_KEYS
        if k in root and k not in counters and isinstance(root[k], (int, str))
    )


def compatible(a: Group, b: Group) -> bool:
    """Whether two items can be the same: every field both name is equal."""
    other = dict(b)
    return all(other.get(k, v) == v for k, v in a)


def shape(root: Any, name: str | None) -> Shape:
    kind = kind_of(root, name)
    word = apis.last_word(kind) if kind else ""
    lifecycle = word in apis.LIFECYCLE_WORDS
    out = Shape(
        kind,
        lifecycle,
        lifecycle and word in apis.ENDING_WORDS,
        kind in apis.MEDIA_KINDS,
        group_of(root),
    )
    _walk(out, root, (), (), None, lifecycle, (), ())
    return out


def _is_token_list(key: object, value: list[Any]) -> bool:
    if not value or key in apis.ALTERNATIVE_KEYS:
        return False
    if key == apis.TOKEN_STRINGS:
        return all(isinstance(v, str) for v in value)
    return all(isinstance(v, dict) and isinstance(v.get(apis.TOKEN_KEY), str) for v in value)


def _role(key: object, parent: object, whole: bool, media: bool) -> Role:
    if key in apis.MEDIA_KEYS or (parent, key) in apis.MEDIA_PAIRS:
        return Role.MEDIA
    if apis.is_identity(key):
        return Role.WHOLE
    if media:
        return Role.MEDIA
    return Role.WHOLE if whole else Role.STREAM


def _marks(item: dict[str, Any]) -> Marks:
    marks = []
    for key, absent in apis.DISCRIMINATORS:
        value = item.get(key, absent)
        if value is not None:
            marks.append((key, value))
    return tuple(marks)


def _walk(
    out: Shape,
    obj: Any,
    path: Path,
    logical: Path,
    key: object,
    whole: bool,
    scope: Path,
    marks: Marks,
) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if apis.is_final(k, v):
                out.finals.add(scope)
        for k, v in obj.items():
            here, name = (*path, k), (*logical, k)
            if isinstance(v, str):
                role = _role(k, key, whole, out.media)
                out.leaves.append(Leaf(here, name, v, role, scope, marks))
            elif isinstance(v, list) and not whole and _is_token_list(k, v):
                out.leaves.append(Leaf(here, name, v, Role.TOKENS, scope, marks))
            elif isinstance(v, (dict, list)):
                inner = whole or k in apis.WHOLE_CONTAINERS or k in apis.ALTERNATIVE_KEYS
                _walk(out, v, here, name, k, inner, scope, marks)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            own = v.get("index") if isinstance(v, dict) else None
            label = own if isinstance(own, int) and not isinstance(own, bool) else i
            here, name = (*path, i), (*logical, label)
            if isinstance(v, str):
                role = _role(key, None, whole, out.media)
                out.leaves.append(Leaf(here, name, v, role, scope, marks))
            elif isinstance(v, dict):
                _walk(out, v, here, name, key, whole, name, _marks(v))
            elif isinstance(v, list):
                _walk(out, v, here, name, key, whole, scope, marks)


def get(root: Any, path: Path) -> Any:
    for step in path:
        root = root[step]
    return root


def put(root: Any, path: Path, value: Any) -> Any:
    """Set ``value`` at ``path``; returns the (new, for ``()``) root."""
    if not path:
        return value
    parent = get(root, path[:-1])
    parent[path[-1]] = value
    return root


def role_at(path: Path, kind: str | None) -> Role:
    """The role of a string at ``path`` in an event read piece by piece (its
    siblings unseen): the same rules, token lists read as whole values."""
    keys = [p for p in path if isinstance(p, str)]
    key = keys[-1] if keys else None
    named = bool(path) and isinstance(path[-1], str)  # else an item of a list of strings
    parent = keys[-2] if named and len(keys) > 1 else None
    word = apis.last_word(kind) if kind else ""
    inner = keys[:-1] if named else keys
    whole = word in apis.LIFECYCLE_WORDS or any(
        k in apis.WHOLE_CONTAINERS or k in apis.ALTERNATIVE_KEYS for k in inner
    )
    if key in (apis.TOKEN_KEY, apis.TOKEN_STRINGS):
        whole = True
    return _role(key, parent, whole, kind in apis.MEDIA_KINDS)
