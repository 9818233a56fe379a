"""Line numbers for a TOML file's tables and keys, which ``tomllib`` does not keep."""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.]+)\s*\]\]?")


class TomlLines:
    """Where each table and key of a TOML file starts (tomllib keeps no positions)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.tables: list[tuple[str, int]] = []  # (table name, line), in file order
        for number, line in enumerate(self.lines, start=1):
            found = _HEADER.match(line)
            if found is not None:
                self.tables.append((found.group(1), number))

    def table(self, name: str, index: int) -> int:
        """Line of the ``index``-th header of table ``name`` (1 if absent)."""
        lines = [n for t, n in self.tables if t == name]
        return lines[index] if index < len(lines) else 1

    def key(self, start: int, key: str) -> int:
        """Line of ``key = ...`` in the table that starts at line ``start``."""
        probe = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if _HEADER.match(line):
                break
            if probe.match(line):
                return number
        return start

    def after(self, start: int, name: str, index: int) -> int:
        """Line of the ``index``-th header ``name`` after line ``start``."""
        lines = [n for t, n in self.tables if t == name and n > start]
        return lines[index] if index < len(lines) else start
