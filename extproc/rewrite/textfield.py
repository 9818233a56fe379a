"""One text stream of an answer's JSON events (a field): its hold-back, the
last event that carried it, what it released; and the event that carries a
field's last text when its own ending event cannot.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from typing import Any

from extproc.rewrite import tokens
from extproc.rewrite.holdback import Holdback
from extproc.rewrite.leaves import Group, Marks, Path, Role, get, put, shape

# Released text remembered so that a later repeat of a whole stream carries
# the same redaction (characters, over every stream of one answer).
REPEAT_BUDGET = 4 * 1024 * 1024


@dataclass(slots=True)
class Field:
    holdback: Holdback
    template: Any  # the last event carrying this field (a framing's own, for text)
    path: Path  # where the field sits in the template
    event_name: str | None
    group: Group = ()
    tokens: bool = False  # a token list, not a string
    marks: Marks = ()
    hasher: Any = field(default_factory=lambda: hashlib.blake2b(digest_size=16))
    length: int = 0  # characters fed
    released: list[str] | None = field(default_factory=list)  # None: too long to remember
    released_length: int = 0

    def fed(self, text: str) -> None:
        self.hasher.update(text.encode("utf-8", "surrogatepass"))
        self.length += len(text)

    def sent(self, text: str) -> None:
        if self.released is None or not text:
            return
        self.released_length += len(text)
        if self.released_length > REPEAT_BUDGET:
            self.released = None
        else:
            self.released.append(text)


Flushed = list[tuple[Field, str]]  # fields that ended, with the text they still held


def synthetic(f: Field, text: str) -> Any:
    """A copy of the field's last event carrying only ``text`` in its place."""
    root = copy.deepcopy(f.template)
    for leaf in shape(root, f.event_name).leaves:
        if leaf.path == f.path:
            continue
        if leaf.role is Role.STREAM:
            root = put(root, leaf.path, "")  # other fields already sent their text
        elif leaf.role is Role.TOKENS:
            root = put(root, leaf.path, [])
    if f.tokens:
        return put(root, f.path, tokens.one(get(root, f.path), text))
    return put(root, f.path, text)
