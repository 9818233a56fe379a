"""What names a position: the field that holds a value, and the words of its sentence.

A detector's ``context`` words count when they are

* in the **field name** that holds the value: a JSON or YAML key, an
  ``.env``/INI/TOML/HCL assignment, a code assignment or declaration
  (``String secretKey = "..."``, ``aws_secret_access_key =`` with the value
  on the next line), a command-line flag, an XML element or attribute, a
  table cell (``| SecretAccessKey | ...``), the ``name:`` of a Kubernetes
  ``name:``/``value:`` pair (and its JSON twins), or the header of the CSV,
  TSV or Markdown table column the value stands in;
* **before** the value in the same sentence, within ``WINDOW`` characters
  ("my number is", "Ph:", "SSN");
* **after** the value in the same sentence ("4155552671 is my cell").

Field names are compared word by word: ``secretAccessKey``,
``SECRET_ACCESS_KEY`` and ``secret-access-key`` all read "secret access
key", and a context word matches whole words of it (or starts or ends a name
glued together, ``customerssn``). One ``Context`` is made per scanned text;
it computes what it is asked, once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from extproc.detect.tables import DELIMITERS, MAX_ROW, Tables

# How far before or after a value sentence context is looked for, in characters.
WINDOW = 48
# How far before a value its field name may start (key, separator, quotes).
_KEY_REACH = 160
# How far before a generic key ("value") the name of its sibling is looked for.
_SIBLING_REACH = 120
# No context word that names a value lies farther from it than this, except a
# table column's header (``could_be_cell``).
REACH = _KEY_REACH + _SIBLING_REACH

_KEY = r"[A-Za-z_$@][\w.$@-]{0,63}"
_QUOTED = r"\"[^\"\n]{1,64}\"|'[^'\n]{1,64}'|`[^`\n]{1,64}`"
# An optional type after the name (``SECRET: &str``, ``key: string``).
_TYPE = r"(?:[ \t]*:[ \t]*[&\w<>\[\], .]{1,30}?)?"
_SEP = r"(?::=|=>|->|<-|[:=|]|\+=)"
# What may stand between the separator and the value: spaces, an opening
# bracket, a string prefix and quote, a YAML block indicator, a line break
# (the value on the next line), a backslash continuation.
_GAP = (
    r"[ \t]*(?:[\[({][ \t]*)?(?:[|>][-+]?[ \t]*)?(?:\\?[ \t]*\r?\n[ \t]*(?:-[ \t]+)?)?"
    r"(?:[A-Za-z]{0,2}(?:\"\"\"|'''|[\"'`]))?[ \t]*"
)
_ASSIGNED = re.compile(
    rf"(?:^|[^\w$@.-])(?P<key>{_KEY}|{_QUOTED})(?:[ \t]*[\])])?{_TYPE}[ \t]*(?P<sep>{_SEP}){_GAP}\Z"
)
# Characters between a key's separator and its value (``_GAP``).
_GAP_CHARS = " \t\r\n\"'`[({|>+-\\"
_GAP_STRIP = " \t\r\n\"'`[({\\"
# The last character of what precedes a value that has a key.
_KEY_ENDS = frozenset(":=|>-")
_FLAG = re.compile(r"(?:^|\s)--?(?P<key>[A-Za-z][\w-]{1,63})(?:=|[ \t]+)[\"']?\Z")
_XML = re.compile(r"<(?P<key>[A-Za-z_][\w:.-]{0,63})(?:\s[^<>]{0,200})?>[ \t\r\n]*\Z")
_ATTRIBUTE = re.compile(r"\s(?P<key>[A-Za-z_][\w:.-]{0,63})[ \t]*=[ \t]*[\"']\Z")
# An XML/JSON pair written as attributes of one element: <add key="x" value="...">.
_KEYED = (_ASSIGNED, _FLAG, _ATTRIBUTE, _XML)
_JOINED_KEY = re.compile(r"(?P<key>[^\x00]{1,64})\x00\Z")
# A value under a generic key takes the name of its sibling.
_GENERIC = frozenset(
    {"value", "val", "v", "data", "values", "secretstring", "parametervalue", "content", "text",
     "string", "default", "setting", "secret"}
)  # fmt: skip
_NAMING = r"(?:name|key|parameterkey|parametername|field|label|variable|var|id)"
_SIBLING = re.compile(
    rf"[\"']?{_NAMING}[\"']?[ \t]*[:=][ \t]*[\"']?(?P<key>[^\"'\n,}}{{]{{1,64}}?)[\"']?[ \t]*"
    r"(?:[,;]|\r?\n|$)",
    re.I,
)
_JOINED_SIBLING = re.compile(
    rf"(?i:{_NAMING})\x00(?P<key>[^\x00]{{1,64}})\x00[^\x00]{{1,64}}\x00\Z"
)

# A sentence ends at ".", "!" or "?" followed by a space (not after an
# abbreviation: "Tel. 030 ..."), at a blank line, and at a NUL (JSON strings).
_BOUNDARY = re.compile(r"[.!?](?=\s)|\n[ \t]*\n|\x00")
# What a break of several characters is made of.
_BLANK = " \t\n"
_ABBREVIATION = re.compile(
    r"(?:^|(?<=[^\w.]))(?:[A-Za-z]|[A-Za-z]\.[A-Za-z]|tel|ph|no|nr|mob|fax|ext|cell|tlf|mr|mrs|ms|dr|st|vs|ca|approx|incl|resp|etc|e\.g|i\.e|z\.b|u\.a|bzw|str|tél|fig|sec|vol|pp|ref)\Z",
    re.I,
)
# What may precede a key on its line when it is a field of a record (not a
# label in prose): indentation, a list dash, up to three words of modifiers
# and type (``export``, ``private static final String``), or an opening
# brace, comma or semicolon of an inline record.
_FIELD_START = re.compile(r"(?:^[ \t>#*-]*(?:[\w$<>\[\]?&.]+[ \t]+){0,3}|[,{;(][ \t]*)\Z", re.M)
# Words that start a line and run into a key: a label of several words.
_LABEL_WORDS = re.compile(r"[ \t>#*-]*((?:[A-Za-z][\w-]*[ \t]+){1,4})\Z")
_CAMEL_HUMP = re.compile(r"[a-z][A-Z]")
_LINE_BREAK = re.compile(r"\r?\n")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def words(name: str) -> str:
    """A name as lower-case words: ``secretAccessKey`` -> "secret access key"."""
    return " ".join(part.lower() for part in _CAMEL.findall(name))


def phrase(word: str) -> str:
    """A context word as the words a field name is compared with ("access_key" -> "access key")."""
    return " ".join(part.lower() for part in re.findall(r"[A-Za-z0-9]+|[^\sA-Za-z0-9_=:-]", word))


def in_name(name: str, phrases: Sequence[str], glued: bool = True) -> bool:
    """True if one of ``phrases`` is whole words of ``name`` (already passed through ``words``).

    With ``glued``, a name glued together (``customerssn``, ``secretkey``) also
    counts when it starts or ends with the phrase.
    """
    if not name:
        return False
    padded = f" {name} "
    for p in phrases:
        if not p:
            continue
        if f" {p} " in padded:
            return True
        compact = p.replace(" ", "")
        if glued and len(compact) >= 3:
            for token in name.split(" "):
                if token != compact and (token.startswith(compact) or token.endswith(compact)):
                    return True
    return False


class Context:
    """Context questions about one text, answered lazily and cached.

    ``text`` is the normalised text being matched (original case: field names
    split on case), ``folded`` its lower-case twin.
    """

    __slots__ = ("_names", "_tables", "folded", "text")

    def __init__(self, text: str, folded: str) -> None:
        self.text = text
        self.folded = folded
        self._names: dict[tuple[int, int], tuple[str, int]] = {}
        self._tables = Tables(text)

    # --- field names

    def name(self, start: int, end: int) -> str:
        """The words of the field name that holds the value at ``start``..``end`` ("" if none)."""
        return self._name(start, end)[0]

    def may_name(self, start: int, heads: re.Pattern[str]) -> bool:
        """Cheap and loose: could the name of the value at ``start`` hold one of
        ``heads`` (a pattern of words, folded)? False only when none occurs where
        a key could be and the value stands in no table row."""
        near = self.text[max(0, start - 24) : start].rstrip(_GAP_STRIP)
        # A key ends with a separator right before the value (or a flag's
        # dash is on the line); without one only a table header can name it.
        keyed = not near or near[-1] in _KEY_ENDS or near[-1] == "\x00" or "-" in near
        if keyed and heads.search(self.folded, max(0, start - _KEY_REACH), start):
            return True
        line_start, line_end = self._tables.line(start)
        if line_start == 0 or line_end - line_start > MAX_ROW:
            return False
        return any(d in self.text[line_start:line_end] for d in DELIMITERS)

    def _name(self, start: int, end: int) -> tuple[str, int]:
        cached = self._names.get((start, end))
        if cached is None:
            names, key_start = self._raw_names(start, end)
            cached = (" ".join(words(n) for n in names if n), key_start)
            self._names[start, end] = cached
        return cached

    def _raw_names(self, start: int, end: int) -> tuple[list[str], int]:
        """The names, and where the key written right before the value starts (else ``start``)."""
        text = self.text
        if start and text[start - 1] == "\x00":
            return self._joined_names(text[max(0, start - _KEY_REACH) : start]), start
        # The key is on the value's line or the line before (value on the next line).
        line = text.rfind("\n", max(0, start - _KEY_REACH), start)
        if line >= 0 and not text[line + 1 : start].strip(_GAP_CHARS):
            line = text.rfind("\n", max(0, start - _KEY_REACH), line)
        base = line + 1 if line >= 0 else max(0, start - _KEY_REACH)
        head = text[base:start]
        found: list[str] = []
        key_start = start
        # What ends the key: a separator, a quote after "=" or "(", ">" of a tag,
        # or a flag's name. Without one of these near the end there is no key.
        last = head.rstrip(_GAP_STRIP)[-1:]
        patterns = _KEYED if last in _KEY_ENDS else (_FLAG,) if "-" in head else ()
        for pattern in patterns:
            m = pattern.search(head)
            if m:
                raw_key = m.group("key")
                key = raw_key.strip("\"'`")
                line = head.rfind("\n", 0, m.start("key")) + 1
                # A label of several words ("AWS Secret Access Key:") is one name.
                words_before = _LABEL_WORDS.match(head, line, m.start("key"))
                # A label of plain words ends with a colon; code declares with "=".
                label = (
                    m.groupdict().get("sep") == ":"
                    and key.isalpha()
                    and not _CAMEL_HUMP.search(key)
                )
                if words_before and raw_key == key and label:
                    key = words_before.group(1) + key
                    key_start = base + words_before.start(1)
                elif raw_key != key or _FIELD_START.search(head, line, m.start("key")):
                    key_start = base + m.start("key")
                found.append(key)
                if key.lower().replace("_", "") in _GENERIC:
                    at = base + m.start("key")
                    sibling = self._sibling(text[max(0, at - _SIBLING_REACH) : at])
                    if sibling:
                        found.append(sibling)
                break
        column = self._tables.column(start, end)
        if column:
            found.append(column)
        return found, key_start

    def _joined_names(self, head: str) -> list[str]:
        m = _JOINED_KEY.search(head)
        if not m:
            return []
        key = m.group("key")
        found = [key]
        if key.lower().replace("_", "") in _GENERIC:
            s = _JOINED_SIBLING.search(head)
            if s:
                found.append(s.group("key"))
        return found

    @staticmethod
    def _sibling(before: str) -> str | None:
        """The ``name:`` value just before a generic key (Kubernetes env, SSM parameters)."""
        tail = before[-_SIBLING_REACH:]
        last = None
        for m in _SIBLING.finditer(tail):
            last = m.group("key").strip()
        return last

    # --- sentences

    def _last_break(self, low: int, start: int) -> int:
        """The end of the last sentence break at or before ``start``, if it is
        after ``low`` (else ``low``): as a scan of the whole text finds breaks,
        looking only from ``low`` on. A break of several characters (a blank
        line) lies within a run of spaces and line breaks, so the scan starts
        at the start of the run ``low`` is in, where a whole scan would be
        too."""
        text = self.text
        at = low
        while at > 0 and text[at - 1] in _BLANK:
            at -= 1
        last = low
        # One character past ``start``: a "." there is followed by a space.
        for m in self._ends(at, min(len(text), start + 1)):
            if m.end() > start:
                break
            last = max(last, m.end())
        return last

    def _ends(self, low: int, high: int) -> Iterator[re.Match[str]]:
        text = self.text
        for m in _BOUNDARY.finditer(text, low, high):
            if text[m.start()] == "." and _ABBREVIATION.search(
                text, max(0, m.start() - 8), m.start()
            ):
                continue
            yield m

    def before(self, start: int, end: int, window: int = WINDOW) -> int:
        """Where the window before a value begins: ``window`` back, not past the
        start of its sentence, nor past the key of the field that holds it
        (words before that key belong to other fields)."""
        low = max(0, start - window)
        key_start = self._name(start, end)[1]
        if key_start < start:
            low = max(low, key_start)
        return self._last_break(low, start)

    def after(self, end: int, window: int = WINDOW) -> int:
        """Where the window after ``end`` stops: ``window`` on, not past its sentence or line."""
        high = min(len(self.text), end + window)
        m = next(self._ends(end, high), None)
        if m:
            high = m.start()
        n = _LINE_BREAK.search(self.text, end, high)
        return n.start() if n else high
