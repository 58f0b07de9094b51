"""Honest imports: no circle among lcedu's modules, and the measure modules wired as documented."""

from __future__ import annotations

import ast
from pathlib import Path

import lcedu
from lcedu.measure import indicators, registry

PACKAGE = Path(lcedu.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(path: Path, known: set[str]) -> set[str]:
    """lcedu modules a file imports, at the top or inside a function (``if TYPE_CHECKING:`` blocks left out)."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    typing_only = {
        id(node)
        for block in (ast.walk(tree) if "TYPE_CHECKING" in text else ())
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found & known


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_no_module_of_lcedu_imports_one_that_imports_it_back() -> None:
    modules = _modules()
    # A package's __init__ re-exporting its modules is not a circle of jobs: count only the modules.
    graph = {name: _imports(path, set(modules)) - {name} for name, path in modules.items()}
    graph = {name: {t for t in targets if not name.startswith(t + ".")} for name, targets in graph.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_measure_engine_does_not_import_the_modules_it_evaluates() -> None:
    modules = _modules()
    known = set(modules)
    for low in ("lcedu.measure.registry", "lcedu.measure.sites", "lcedu.measure.schools", "lcedu.measure.engine"):
        assert not {"lcedu.measure.indicators", "lcedu.measure.resources", "lcedu.measure.assessments"} & _imports(
            modules[low], known
        ), low


def test_every_function_name_the_registry_accepts_is_implemented() -> None:
    assert sorted(indicators.FUNCTIONS) == sorted(registry.FUNCTIONS)
