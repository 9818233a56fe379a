"""The text streams inside a streamed answer's JSON events.

Every string leaf of an event is looked at (``rewrite.leaves`` says how):
the text a model streams piece by piece is one text stream per (kind, item,
field path), each with its own hold-back, so a value split over many events
is found and never leaves in part; whole values (ids, names, lifecycle
events, structured data) are scanned on their own, within the event; media
passes as it is. A stream ends when its item says so (``finish_reason``,
``content_block_stop``, ``response.output_text.done``, ``done: true``...):
what it still holds goes into the field in the ending event when that event
carries it, or else into one more event shaped like the field's last one,
just before the ending event. Lifecycle events that repeat a stream's whole
text (``response.output_text.done``, ``response.completed``, TGI's
``generated_text``) carry the text as it was released, so the repeat and the
deltas agree.

This is the part shared by every framing of JSON events (SSE, NDJSON, JSON
arrays, AWS event streams): they cut bytes into events and render them back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from extproc.rewrite import apis, tokens
from extproc.rewrite.holdback import Holdback, Released
from extproc.rewrite.leaves import Group, Leaf, Marks, Path, Role, compatible, get, put, shape
from extproc.rewrite.textfield import REPEAT_BUDGET, Field, Flushed

WholeScan = Callable[[str], tuple[str, bool]]  # value -> (rewritten, blocked)
Key = tuple[str | None, Group, Path]  # (kind, item, logical path)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass(slots=True)
class Scanned:
    before: Flushed  # ended fields' last text, to send before the event
    root: Any  # the event, rewritten in place (or replaced, for a string)
    changed: bool


def _changed_marks(old: Marks, new: Marks) -> bool:
    before = dict(old)
    return any(k in before and before[k] != v for k, v in new)


class FieldStreams:
    """The text streams of one answer. After ``blocked`` nothing more leaves."""

    def __init__(
        self,
        new_holdback: Callable[[], Holdback],
        whole: WholeScan,
        mirror: Callable[[], Holdback] | None = None,
    ) -> None:
        self._new_holdback = new_holdback
        # Token lists repeat the answer's text: scanned alike, not counted twice.
        self._mirror = mirror or new_holdback
        self._whole = whole
        self._fields: dict[Key, Field] = {}
        self._repeats: dict[tuple[int, bytes], str] = {}
        self._repeat_chars = 0
        self.blocked = False
        self.dialect = ""  # whose error shape the stream speaks (``apis.DIALECTS``)
        # Sees every piece of text fed to a field (``Side.observe``: answer checks).
        self.observe: Callable[[Field, str], None] | None = None

    # -- one event ---------------------------------------------------------

    def event(self, root: Any, name: str | None) -> Scanned:
        """Scan one JSON event (rewritten in place where it can be)."""
        if self.blocked:
            return Scanned([], root, False)
        self._learn_dialect(root, name)
        if isinstance(root, str):  # a JSON string as the whole event (LangServe)
            return self._string_event(root, name)
        if not isinstance(root, (dict, list)):
            return Scanned([], root, False)
        s = shape(root, name)
        before: Flushed = []
        if s.ending:
            before += self.flush(lambda f: compatible(f.group, s.group))
        fed: dict[Key, Leaf] = {}
        wholes: list[Leaf] = []
        for leaf in s.leaves:
            if leaf.role is Role.MEDIA:
                continue
            key: Key = (s.kind, s.group, leaf.logical)
            if leaf.role is Role.WHOLE or (
                leaf.role is Role.STREAM
                and key not in self._fields
                and self._ends(key, s.finals, s.group)
            ):
                wholes.append(leaf)  # a whole value, or a stream that starts and ends here
                continue
            f = self._fields.get(key)
            if f is not None and _changed_marks(f.marks, leaf.marks):
                before += self._end_keys([key])  # a new item at the same place
                f = None
            if f is None:
                new = self._mirror if leaf.role is Role.TOKENS else self._new_holdback
                f = Field(new(), root, leaf.path, name, s.group, leaf.role is Role.TOKENS)
                self._fields[key] = f
            f.template, f.path, f.event_name = root, leaf.path, name
            f.marks = tuple({**dict(f.marks), **dict(leaf.marks)}.items())
            text = tokens.text_of(leaf.value) if f.tokens else leaf.value
            released = self._feed(f, text)
            if released is None:
                return Scanned([], root, False)
            fed[key] = leaf
            self._place(root, leaf, f, released.text, text)
        if self.blocked:
            return Scanned([], root, False)
        if s.finals:
            for key in [k for k in self._fields if self._ends(k, s.finals, s.group)]:
                f = self._fields.pop(key)
                rest = self._finish(f)
                if rest is None:
                    return Scanned([], root, False)
                carried = fed.get(key)
                if carried is None:
                    if rest:
                        before.append((f, rest))
                elif rest:
                    self._append(root, carried, f, rest)
        changed = any(get(root, leaf.path) != leaf.value for leaf in fed.values())
        for whole in wholes:
            value = whole.value
            new_value, blocked = self._repeat(value)
            if blocked:
                self.end()
                return Scanned([], root, False)
            if new_value != value:
                root = put(root, whole.path, new_value)
                changed = True
        return Scanned(before, root, changed)

    def _string_event(self, root: str, name: str | None) -> Scanned:
        key: Key = (name, (), ())
        f = self._fields.get(key)
        if f is None:
            f = self._fields[key] = Field(self._new_holdback(), root, (), name)
        f.template = root
        released = self._feed(f, root)
        if released is None:
            return Scanned([], root, False)
        return Scanned([], released.text, released.text != root)

    # -- streams -----------------------------------------------------------

    @staticmethod
    def _ends(key: Key, finals: set[Path], group: Group) -> bool:
        if not finals:
            return False
        _, own, logical = key
        if () in finals and compatible(own, group):
            return True
        return any(logical[: len(scope)] == scope for scope in finals if scope)

    def _feed(self, f: Field, text: str) -> Released | None:
        """Feed ``text``; what is released, or None if that blocks."""
        f.fed(text)
        if self.observe is not None:
            self.observe(f, text)
        return self._sent(f, f.holdback.feed(text))

    def _finish(self, f: Field) -> str | None:
        released = self._sent(f, f.holdback.finish())
        if released is None:
            return None
        self._remember(f)
        return released.text

    def _sent(self, f: Field, released: Released) -> Released | None:
        if released.blocked:
            self.end()
            return None
        f.sent(released.text)
        return released

    def _place(self, root: Any, leaf: Leaf, f: Field, released: str, text: str) -> None:
        if released == text:
            return
        if f.tokens:
            parent = get(root, leaf.path[:-1])
            put(root, leaf.path, tokens.lay(leaf.value, released, parent, leaf.path[-1]))
        else:
            put(root, leaf.path, released)
            tokens.collapse_beside(root, leaf.path, text, released)

    def _append(self, root: Any, leaf: Leaf, f: Field, rest: str) -> None:
        current = get(root, leaf.path)
        if f.tokens:
            parent = get(root, leaf.path[:-1])
            spelled = tokens.text_of(current) + rest
            put(root, leaf.path, tokens.lay(current, spelled, parent, leaf.path[-1]))
        else:
            put(root, leaf.path, current + rest)
            tokens.collapse_beside(root, leaf.path, leaf.value, current + rest)

    def _repeat(self, value: str) -> tuple[str, bool]:
        """A whole value: the released text of a stream it repeats, else scanned."""
        if value:
            known = self._repeats.get((len(value), _digest(value)))
            if known is not None:
                return known, False
        return self._whole(value)

    def _remember(self, f: Field) -> None:
        if f.released is None or f.tokens or not f.length:
            return
        text = "".join(f.released)
        self._repeats[(f.length, f.hasher.digest())] = text
        self._repeat_chars += len(text)
        while self._repeat_chars > REPEAT_BUDGET and self._repeats:
            oldest = next(iter(self._repeats))
            self._repeat_chars -= len(self._repeats.pop(oldest))

    def text_field(self, name: str | None, template: Any, path: Path) -> Field:
        """The one text stream of an event name's non-JSON data (created on first use)."""
        key: Key = (name, (), path)
        f = self._fields.get(key)
        if f is None:
            f = self._fields[key] = Field(self._new_holdback(), template, path, name)
        f.template = template
        return f

    def feed_text(self, f: Field, text: str) -> Released | None:
        """Feed a field's stream; what is released, or None if that blocks."""
        return self._feed(f, text)

    def stream(self, key: Key, name: str | None, template: Callable[[], tuple[Any, Path]]) -> Field:
        """The stream of ``key`` for a field read piece by piece (an event too
        large to hold); ``template`` builds an event to shape its last text."""
        f = self._fields.get(key)
        if f is None:
            root, path = template()
            f = self._fields[key] = Field(self._new_holdback(), root, path, name, key[1])
        return f

    def whole_stream(self) -> Holdback:
        """A stream for one whole value read piece by piece."""
        return self._new_holdback()

    def flush(self, which: Callable[[Field], bool]) -> Flushed:
        """End the fields ``which`` selects: what they still held, in order."""
        return self._end_keys([k for k, f in self._fields.items() if which(f)])

    def _end_keys(self, keys: list[Key]) -> Flushed:
        out: Flushed = []
        for key in keys:
            f = self._fields.pop(key)
            rest = self._finish(f)
            if rest is None:
                return []
            if rest:
                out.append((f, rest))
        return out

    def end(self) -> None:
        """Blocked: nothing more leaves."""
        self.blocked = True
        self._fields.clear()
        self._repeats.clear()

    def _learn_dialect(self, root: Any, name: str | None) -> None:
        if self.dialect or not isinstance(root, dict):
            return
        kind = root.get("type") if isinstance(root.get("type"), str) else name
        for dialect, key, kinds in apis.DIALECTS:
            if key in root and (kinds is None or kind in kinds):
                self.dialect = dialect
                return
        self.dialect = "openai"
