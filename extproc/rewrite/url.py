"""A request target (``:path``) or a form body as pieces: path segments,
parameter names and values.

Each piece is percent-decoded for scanning (``+`` is a space in a query and
a form, as their parsers read it); a rewritten piece is percent-encoded
again, and every other character is kept as it came. Escapes that are not
UTF-8 (``%FF``) survive the round trip.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, unquote_plus

from extproc.rewrite.pieces import Layout

# RFC 3986: what a path segment (pchar) and a query part may hold unescaped,
# less the delimiters of name=value pairs.
_SEGMENT_SAFE = "!$&'()*+,;=:@"
_QUERY_SAFE = "!$'()*,;:@/?"
_ERRORS = "surrogateescape"


def decoded(target: str, skip: frozenset[str] = frozenset()) -> str:
    """What the target says once decoded, without the values of the query
    parameters named in ``skip`` (lower case): the text to scan. The target
    itself when it holds nothing to decode or skip, the common case."""
    if "%" not in target and "?" not in target:
        return target.replace("/", "\n")
    return Target(target, skip).text


class Target:
    """``raw`` split into pieces; ``text`` joins them decoded, path segments
    one per line, then the query with its ``?``, ``&`` and ``=``.
    The values of parameters named in ``skip`` are left out of ``text``
    (empty pieces) and never rewritten. ``form=True``: ``raw`` is a form
    body (``name=value&...``, no path)."""

    __slots__ = ("_parts", "_pos", "_raw_pos", "_raw_spans", "_spans", "layout", "raw", "text")

    def __init__(self, raw: str, skip: frozenset[str] = frozenset(), *, form: bool = False) -> None:
        self.raw = raw
        self._parts: list[str] = []
        self._spans: list[tuple[int, int]] = []
        self._raw_spans: list[tuple[int, int, bool]] = []  # (start, end, in the query)
        self._pos = self._raw_pos = 0
        if form:
            self._query(raw, skip)
        else:
            path, mark, query = raw.partition("?")
            for i, segment in enumerate(path.split("/")):
                if i:
                    # A line per segment: a segment is a value of its own (an
                    # address in /users/{email}), not the tail of a path.
                    self._between("\n")
                self._add(segment, unquote(segment, errors=_ERRORS), False)
            if mark:
                self._between("?")
                self._query(query, skip)
        self.text = "".join(self._parts)
        self.layout = Layout(self._spans)

    def _query(self, query: str, skip: frozenset[str]) -> None:
        for i, pair in enumerate(query.split("&")):
            if i:
                self._between("&")
            name, eq, value = pair.partition("=")
            plain = unquote_plus(name, errors=_ERRORS)
            self._add(name, plain, True)
            if eq:
                self._between("=")
                hidden = plain.lower() in skip
                self._add(value, "" if hidden else unquote_plus(value, errors=_ERRORS), True)

    def _add(self, raw_piece: str, piece: str, in_query: bool) -> None:
        self._spans.append((self._pos, self._pos + len(piece)))
        self._raw_spans.append((self._raw_pos, self._raw_pos + len(raw_piece), in_query))
        self._parts.append(piece)
        self._pos += len(piece)
        self._raw_pos += len(raw_piece)

    def _between(self, separator: str) -> None:
        """One character between pieces (in the text; the raw one may differ)."""
        self._parts.append(separator)
        self._pos += 1
        self._raw_pos += 1

    def content(self, piece: int) -> str:
        return self.text[self.layout.starts[piece] : self.layout.ends[piece]]

    def rewrite(self, new: dict[int, str]) -> str:
        """``raw`` with each piece in ``new`` replaced, percent-encoded."""
        out: list[str] = []
        pos = 0
        for piece in sorted(new):
            start, end, in_query = self._raw_spans[piece]
            safe = _QUERY_SAFE if in_query else _SEGMENT_SAFE
            out.append(self.raw[pos:start])
            out.append(quote(new[piece], safe=safe, errors=_ERRORS))
            pos = end
        out.append(self.raw[pos:])
        return "".join(out)
