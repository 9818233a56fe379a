"""The import graph of ``extproc/``: no cycle, the layers point one way, modules stay small.

Every import counts, lazy ones (inside functions) and type-checking ones
included: a cycle hidden behind a lazy import is still a cycle to read.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "extproc"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def _modules() -> dict[str, Path]:
    return {
        _module_name(p): p
        for p in PACKAGE.rglob("*.py")
        if "pb" not in p.relative_to(PACKAGE).parts
    }


def _resolve(name: str, known: set[str]) -> str | None:
    """The project module an imported name belongs to (``a.b.C`` -> ``a.b``)."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for name in names:
            target = _resolve(name, known)
            if target is not None and target != module:
                out.add(target)
    return out


@functools.cache
def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph = {m: _imports(m, p, known) for m, p in modules.items()}
    # A package's own __init__ re-exporting its modules is not a dependency of theirs on it.
    return {m: {t for t in deps if not m.startswith(t + ".")} for m, deps in graph.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("module", sorted(m for m in _modules() if m.startswith("extproc.wire")))
def test_wire_assembles_nothing(module: str) -> None:
    """``wire/`` is the gRPC edge: the server is assembled in ``extproc.app``."""
    deps = _graph()[module]
    assert not deps & {"extproc.app", "extproc.cli"}


@pytest.mark.parametrize("module", sorted(m for m in _modules() if m.startswith("extproc.detect")))
def test_detection_imports_nothing_above_it(module: str) -> None:
    assert all(dep.startswith("extproc.detect") for dep in _graph()[module])


@pytest.mark.parametrize(
    "module", sorted(m for m in _modules() if not m.startswith(("extproc.wire", "extproc.app")))
)
def test_no_grpc_below_the_edge(module: str) -> None:
    """Nothing below ``wire/`` knows gRPC (the CLI, app and telemetry setup are edges too)."""
    if module in {"extproc.cli"} or module.startswith("extproc.telemetry"):
        return
    source = _modules()[module].read_text()
    tree = ast.parse(source)
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and not node.level
    }
    assert not imported & {"grpc", "grpc_health", "opentelemetry"}, module


# Small modules, named for what they hold; declarative tables are exempt.
MAX_LINES = 300
TABLES = ("extproc.detect.catalogue.", "extproc.detect.phrases")


def _lines(module: str) -> int:
    return len(_modules()[module].read_text().splitlines())


@pytest.mark.parametrize("module", sorted(m for m in _modules() if not m.startswith(TABLES)))
def test_modules_are_small(module: str) -> None:
    assert _lines(module) <= MAX_LINES, f"{module}: split it into modules named for what they hold"
