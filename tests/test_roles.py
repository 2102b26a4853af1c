"""Roles without circles (issue 23): read from the source with ``ast``, every import of vcc's own
modules, inside functions too, goes one way between roles. A role is a folder of ``vcc/flows/``
(``cli``, ``run``, ``sources``...), a top-level module of ``vcc/flows/`` (``errors``, ``urls``...),
``vcc/transforms`` or ``vcc/reports``. The command line calls run, run calls sources, warehouse,
qaf and operations, and everything reads transforms; reports imports only transforms and
``flows.errors``; transforms imports nothing above it."""

from __future__ import annotations

import ast
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vcc"
# An import only a type checker reads (under ``if TYPE_CHECKING:``) is not an arrow: no module
# loads another through it.
TYPE_ONLY = "TYPE_CHECKING"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def role(module: str) -> str | None:
    """``flows.<folder or module>``, ``transforms`` or ``reports``; None outside the roles."""
    parts = module.split(".")
    if parts[0] != "vcc" or len(parts) < 2:
        return None
    if parts[1] == "flows":
        return f"flows.{parts[2]}" if len(parts) > 2 else None
    return parts[1] if parts[1] in ("transforms", "reports") else None


def _type_only_nodes(tree: ast.Module) -> set[int]:
    nodes: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        named = isinstance(test, ast.Name) and test.id == TYPE_ONLY
        if named or (isinstance(test, ast.Attribute) and test.attr == TYPE_ONLY):
            nodes |= {id(inner) for statement in node.body for inner in ast.walk(statement)}
    return nodes


def imports_in(source: str, package: str) -> list[tuple[str, int]]:
    """Every vcc module a module of ``package`` with this source imports, at any depth (inside
    functions too), with its line; ``from a import b`` counts ``a`` and ``a.b``."""
    tree = ast.parse(source)
    type_only = _type_only_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source_module = node.module or ""
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                source_module = ".".join([*base, *([node.module] if node.module else [])])
            found.append((source_module, node.lineno))
            found += [(f"{source_module}.{alias.name}", node.lineno) for alias in node.names]
    return [(name, line) for name, line in found if name.startswith("vcc.")]


def imported_modules(path: Path) -> list[tuple[str, int]]:
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return imports_in(path.read_text(encoding="utf-8"), package)


def role_arrows() -> dict[tuple[str, str], list[str]]:
    """(from role, to role) -> where each such import is, as ``module:line imports name``."""
    arrows: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        here = role(module_name(path))
        for name, line in imported_modules(path):
            there = role(name)
            if here and there and here != there:
                # ``from vcc.flows.run import areas`` names the role run, not a role areas
                arrows[(here, there)].append(f"{module_name(path)}:{line} imports {name}")
    return arrows


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A circle of roles (its first role repeated at the end), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for following in sorted(graph.get(node, ())):
            if state.get(following) == "open":
                return [*path[path.index(following) :], following]
            if following not in state and (cycle := visit(following)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_finds_a_circle_and_only_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"y"}, "y": {"y2"}, "y2": {"y"}}) == ["y", "y2", "y"]


def test_role_names_each_folder_and_top_level_module_of_flows() -> None:
    assert role("vcc.flows.run.flow") == "flows.run"
    assert role("vcc.flows.config.settings") == "flows.config"
    assert role("vcc.flows.errors") == "flows.errors"
    assert role("vcc.transforms.quarters") == "transforms"
    assert role("vcc.reports.render") == "reports"
    assert role("vcc.flows") is None and role("vcc") is None


def test_imports_inside_functions_count_and_type_only_ones_do_not() -> None:
    source = """
from typing import TYPE_CHECKING
from vcc.flows.errors import VccError
from . import figures
if TYPE_CHECKING:
    from vcc.reports.model import ReportData

def later():
    from vcc.flows.cli.console import verbosity_options
"""
    assert imports_in(source, "vcc.flows.run") == [
        ("vcc.flows.errors", 3),
        ("vcc.flows.errors.VccError", 3),
        ("vcc.flows.run", 4),
        ("vcc.flows.run.figures", 4),
        ("vcc.flows.cli.console", 9),
        ("vcc.flows.cli.console.verbosity_options", 9),
    ]


def test_no_circle_between_roles() -> None:
    arrows = role_arrows()
    graph: dict[str, set[str]] = defaultdict(set)
    for here, there in arrows:
        graph[here].add(there)
    cycle = find_cycle(graph)
    if cycle:
        steps = [f"{a} -> {b}: {'; '.join(arrows[(a, b)][:3])}" for a, b in pairwise(cycle)]
        pytest.fail("roles import each other in a circle: " + " | ".join(steps))


def test_transforms_import_nothing_above_and_reports_only_transforms_and_errors() -> None:
    arrows = role_arrows()
    upward = [
        where for (here, _), wheres in arrows.items() if here == "transforms" for where in wheres
    ]
    assert upward == []
    allowed = {"transforms", "flows.errors"}
    reports = {there: wheres for (here, there), wheres in arrows.items() if here == "reports"}
    assert {there: wheres for there, wheres in reports.items() if there not in allowed} == {}
