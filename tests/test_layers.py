"""The house's rules, read from the code's own imports: no package imports another that imports it back,
the edges (web, CLI) read through pipeline.queries and write through the service, and never commit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.pure

PACKAGE = REPO / "pipeline"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(REPO).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Every module of ours that this file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        found |= {n for n in names if n in known}
    return found


# The groups whose members are rooms of their own (pipeline.entrypoints.web, pipeline.adapters.db, ...).
_GROUPS = {"pipeline.entrypoints", "pipeline.adapters"}


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:3] if ".".join(parts[:2]) in _GROUPS else parts[:2])


def test_no_package_imports_one_that_imports_it_back() -> None:
    known = _modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        for target in _imports(path, known):
            a, b = _package(name), _package(target)
            if a != b:
                edges.setdefault(a, set()).add(b)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(edges.get(node, ()))
        return False

    cycles = sorted({tuple(sorted((a, b))) for a, targets in edges.items() for b in targets if reaches(b, a)})
    assert cycles == [], f"packages importing each other: {cycles}"


@pytest.mark.parametrize("edge", ["pipeline.entrypoints.web", "pipeline.entrypoints.cli"])
def test_the_edges_read_and_write_only_through_queries_and_the_service(edge: str) -> None:
    known = _modules()
    for name, path in known.items():
        if not name.startswith(edge):
            continue
        assert "pipeline.adapters.db.models" not in _imports(path, known), f"{name} imports the ORM models"
        text = path.read_text(encoding="utf-8")
        assert ".commit()" not in text and ".rollback()" not in text, f"{name} ends a transaction itself"
        assert "unit_of_work" not in text, f"{name} opens a unit of work itself"
