"""Tables in text: which column header names a value standing in a CSV,
TSV, semicolon or Markdown table cell (a column named ``ssn`` makes every
value in it an SSN). Lines are indexed once per text; headers found are
cached for every row on the way up."""

from __future__ import annotations

import re
from bisect import bisect_right

_TABLE_RULE = re.compile(r"[ \t|+:]*[-=][ \t|+:=-]*\Z")
_NAME_CELL = re.compile(r"^[ \t\"']*[A-Za-z][\w .#/()-]{0,47}[\"' \t]*$")
DELIMITERS = ",\t|;"
_NEWLINE = re.compile("\n")
# A table row longer than this is prose, not a row.
MAX_ROW = 4096
# How many rows up a header is looked for (rows found on the way are cached).
_MAX_ROWS = 100_000


def could_be_cell(text: str, start: int, end: int) -> bool:
    """Whether a value within ``start``..``end`` may stand in a table column
    (``Tables.column``): on a line after the first that holds a delimiter."""
    start, end = max(0, start), min(len(text), end)
    first = text.rfind("\n", 0, start) + 1
    if first == 0 and "\n" not in text[:end]:
        return False
    last = text.find("\n", end)
    lines = text[first : last if last >= 0 else len(text)]
    return any(d in lines for d in DELIMITERS)


class Tables:
    """The lines and table headers of one text, answered lazily and cached."""

    __slots__ = ("_headers", "_lines", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._headers: dict[int, tuple[str, list[str]] | None] = {}
        self._lines: list[int] | None = None

    def line(self, position: int) -> tuple[int, int]:
        """(start, end) of the line holding ``position``, from one index of line breaks."""
        if self._lines is None:
            self._lines = [m.start() for m in _NEWLINE.finditer(self.text)]
        i = bisect_right(self._lines, position - 1)
        start = self._lines[i - 1] + 1 if i else 0
        end = self._lines[i] if i < len(self._lines) else len(self.text)
        return start, end

    def column(self, start: int, end: int) -> str | None:
        """The header of the table column the value at ``start``..``end`` fills."""
        text = self.text
        line_start, line_end = self.line(start)
        if line_start == 0 or line_end - line_start > MAX_ROW:
            return None
        line = text[line_start:line_end]
        delimiter = next((d for d in DELIMITERS if d in line), None)
        if delimiter is None:
            return None
        # A table value fills its cell (quotes and padding aside).
        cell_start = text.rfind(delimiter, line_start, start) + 1 or line_start
        cell_end = text.find(delimiter, end, line_start + len(line))
        cell = text[cell_start : cell_end if cell_end >= 0 else line_start + len(line)]
        if cell.strip().strip("\"'`").strip() != text[start:end].strip():
            return None
        header = self._header(line_start, delimiter)
        if header is None:
            return None
        index = text.count(delimiter, line_start, start)
        cells = header[1]
        if index < len(cells):
            cell = cells[index].strip().strip("\"'` ")
            if cell and len(cell) <= 48 and sum(c.isdigit() for c in cell) * 2 < len(cell):
                return cell
        return None

    def _header(self, line_start: int, delimiter: str) -> tuple[str, list[str]] | None:
        """(delimiter, cells) of the first line of the table the line at ``line_start`` is in."""
        if line_start in self._headers:
            return self._headers[line_start]
        text = self.text
        visited: list[int] = []
        result: tuple[str, list[str]] | None = None
        at = line_start
        count = text.count(delimiter, *self.line(at))
        while len(visited) < _MAX_ROWS:
            visited.append(at)
            if at == 0:
                break
            previous, end = self.line(at - 1)
            if end - previous > MAX_ROW:
                break
            if previous in self._headers:
                result = self._headers[previous]
                if result is not None and result[0] != delimiter:
                    result = None
                break
            if _TABLE_RULE.match(text, previous, end):  # a rule between header and rows
                at = previous
                continue
            if text.count(delimiter, previous, end) != count:
                break
            at = previous
        if result is None and visited[-1] != line_start:
            cells = text[slice(*self.line(visited[-1]))].split(delimiter)
            # A header names columns: every cell a short name (a leading or
            # trailing "|" of a Markdown row leaves an empty cell).
            if all(_NAME_CELL.match(c) for c in cells if c.strip()):
                result = (delimiter, cells)
        for line in visited:
            self._headers[line] = result
        return result
