"""Token lists that spell the answer (log probabilities), rewritten like it.

Chat Completions' ``logprobs.content``, the Responses API's ``logprobs``,
llama.cpp's ``completion_probabilities`` and legacy completions'
``logprobs.tokens`` list the answer token by token. Their tokens, joined, are
a text stream of their own, held back and redacted exactly as the answer's
text is (the same text in the same pieces gives the same release); the
released text is laid back over the tokens: tokens it still begins with stay
as they are, the first one that differs takes the rest and the later ones
become empty. A changed token's ``bytes`` follow it, and its alternatives
(``top_logprobs``, here or in the parallel list of legacy completions) are
collapsed to the chosen token, so no alternative spells what was removed.
"""

from __future__ import annotations

import copy
from typing import Any

from extproc.rewrite import apis


def text_of(tokens: list[Any]) -> str:
    return "".join(_token(item) for item in tokens)


def _token(item: Any) -> str:
    if isinstance(item, str):
        return item
    value = item.get(apis.TOKEN_KEY)
    return value if isinstance(value, str) else ""


def lay(tokens: list[Any], released: str, parent: Any, key: object) -> list[Any]:
    """``tokens`` carrying ``released`` instead of their own text. ``parent``
    holds the list at ``key`` (for a parallel list of alternatives)."""
    out = list(tokens)
    rest = released
    differs = False
    for i, item in enumerate(tokens):
        token = _token(item)
        if not differs and rest.startswith(token):
            rest = rest[len(token) :]
            continue
        new = rest if not differs else ""
        rest, differs = "", True
        out[i] = _changed(item, token, new)
        _collapse_parallel(parent, key, i, token, new)
    if rest:  # released more than these tokens spell (text held before)
        if out:
            last = len(out) - 1
            token = _token(out[last])
            out[last] = _changed(out[last], _token(tokens[last]), token + rest)
            _collapse_parallel(parent, key, last, _token(tokens[last]), token + rest)
        else:
            out.append(rest)
    return out


def one(template: list[Any], text: str) -> list[Any]:
    """A one-token list shaped like ``template``'s first token, spelling ``text``."""
    if not template or isinstance(template[0], str):
        return [text]
    return [_changed(template[0], _token(template[0]), text)]


def _changed(item: Any, old: str, new: str) -> Any:
    if isinstance(item, str):
        return new
    item = copy.copy(item)
    item[apis.TOKEN_KEY] = new
    if isinstance(item.get(apis.TOKEN_BYTES), list):
        item[apis.TOKEN_BYTES] = list(new.encode("utf-8", "surrogatepass"))
    for key in apis.ALTERNATIVE_KEYS:
        if isinstance(item.get(key), list):
            item[key] = _collapsed(item, old, new)
    return item


def _collapsed(item: dict[str, Any], old: str, new: str) -> list[Any]:
    """The alternatives of a changed token: the chosen one alone, with its new text."""
    chosen: dict[str, Any] = {apis.TOKEN_KEY: new}
    if "logprob" in item:
        chosen["logprob"] = item["logprob"]
    if isinstance(item.get(apis.TOKEN_BYTES), list):
        chosen[apis.TOKEN_BYTES] = list(new.encode("utf-8", "surrogatepass"))
    return [chosen] if new else []


def _collapse_parallel(parent: Any, key: object, i: int, old: str, new: str) -> None:
    """Legacy completions: ``top_logprobs[i]`` is a {token: logprob} map beside ``tokens``."""
    if key != apis.TOKEN_STRINGS or not isinstance(parent, dict):
        return
    for name in apis.ALTERNATIVE_KEYS:
        alternatives = parent.get(name)
        if isinstance(alternatives, list) and i < len(alternatives):
            entry = alternatives[i]
            if isinstance(entry, dict):
                value = entry.get(old, next(iter(entry.values()), None))
                alternatives[i] = {new: value} if new else {}


def collapse_beside(root: Any, path: tuple[str | int, ...], old: str, new: str) -> None:
    """A chosen token's text changed (TGI's ``token.text``): its alternatives
    beside it (``top_tokens``, in its object or the one above) keep only the
    chosen one, with the new text."""
    for depth in (1, 2):
        if len(path) < depth:
            return
        node: Any = root
        for step in path[:-depth]:
            node = node[step]
        if not isinstance(node, dict):
            continue
        for key in apis.ALTERNATIVE_KEYS:
            alternatives = node.get(key)
            if isinstance(alternatives, list) and all(isinstance(a, dict) for a in alternatives):
                node[key] = [_renamed(a, new) for a in alternatives if _text(a) == old and new]


def _text(item: dict[str, Any]) -> str | None:
    for key in (apis.TOKEN_KEY, "text"):
        if isinstance(item.get(key), str):
            return str(item[key])
    return None


def _renamed(item: dict[str, Any], new: str) -> dict[str, Any]:
    item = copy.copy(item)
    key = apis.TOKEN_KEY if isinstance(item.get(apis.TOKEN_KEY), str) else "text"
    item[key] = new
    if isinstance(item.get(apis.TOKEN_BYTES), list):
        item[apis.TOKEN_BYTES] = list(new.encode("utf-8", "surrogatepass"))
    return item
