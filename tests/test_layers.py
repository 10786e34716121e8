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


def _all_imports(path: Path) -> set[str]:
    """Every module this file imports (ours and others'), at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return found


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Every module of ours that this file imports, at the top or inside a function."""
    return {name for name in _all_imports(path) if name in known}


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


_IO = ("sqlalchemy", "flask", "imapclient", "imaplib", "smtplib", "socket", "subprocess", "psycopg", "waitress",
       "pipeline.adapters", "pipeline.usecases", "pipeline.steps", "pipeline.entrypoints", "pipeline.queries")


def test_the_pure_core_imports_no_io() -> None:
    for path in sorted((PACKAGE / "core").glob("*.py")):
        bad = sorted(m for m in _all_imports(path) if m.startswith(_IO))
        assert bad == [], f"{path.relative_to(REPO)} imports {bad}"


def _opens_a_transaction(text: str) -> bool:
    return any(s in text for s in ("unit_of_work(", "read_only(", ".commit()", ".rollback()", ".begin()"))


def test_steps_run_in_the_callers_transaction() -> None:
    for path in sorted((PACKAGE / "steps").glob("*.py")):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts)
        assert not _opens_a_transaction(path.read_text(encoding="utf-8")), f"{name} opens or ends a transaction"
        above = sorted(m for m in _all_imports(path) if m.startswith(("pipeline.usecases", "pipeline.entrypoints")))
        assert above == [], f"{name} imports {above}: a step is called by use cases, never the other way"


def test_use_cases_take_the_session_factory_not_a_session() -> None:
    for path in sorted((PACKAGE / "usecases").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.args.args:
                first = node.args.args[0].annotation
                assert first is None or ast.unparse(first) != "Session", \
                    f"{path.relative_to(REPO)}:{node.lineno} {node.name} takes a Session: it is a step"


# Transactions are opened by the use cases alone; unit_of_work itself is defined beside the engine.
_STILL_OPENING = {"pipeline/adapters/db/session.py"}


def test_nothing_but_the_use_cases_opens_a_transaction() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if "migrations" in path.parts or rel.startswith("pipeline/usecases/") or rel in _STILL_OPENING:
            continue
        assert not _opens_a_transaction(path.read_text(encoding="utf-8")), f"{rel} opens or ends a transaction"


# What each room may import (besides itself, pipeline.errors, pipeline.settings and pipeline.resources): the
# README's "Layers" section draws the same table. The pure rooms (core, forms, checks, registry) import no
# adapter; adapters import only the pure rooms and the database; queries read; steps and use cases write;
# the entry points call use cases and queries, and never a step.
_PURE = {"core", "forms", "checks", "registry"}
_ADAPTERS = {"adapters.db", "adapters.mail", "adapters.outbox", "adapters.registry_store", "adapters.systemd"}
_MAY_IMPORT: dict[str, set[str]] = {
    "core": set(),
    "forms": {"core"},
    "checks": {"core", "forms", "registry"},
    "registry": {"core", "forms"},
    "adapters.db": {"core"},
    "adapters.mail": _PURE | {"adapters.db"},
    "adapters.outbox": _PURE | {"adapters.db"},
    "adapters.registry_store": _PURE | {"adapters.db"},
    "adapters.systemd": set(),  # sd_notify: a datagram to systemd, nothing of ours
    "queries": _PURE | _ADAPTERS,
    "steps": _PURE | _ADAPTERS | {"queries"},
    "usecases": _PURE | _ADAPTERS | {"queries", "steps"},
    "entrypoints.worker": _PURE | _ADAPTERS | {"queries", "usecases"},
    "entrypoints.web": _PURE | _ADAPTERS | {"queries", "usecases"},
    "entrypoints.cli": _PURE | _ADAPTERS | {"queries", "usecases", "entrypoints.web", "entrypoints.worker"},
}
_EVERYWHERE = {"errors", "settings", "resources", "__main__"}


def _room(module: str) -> str | None:
    parts = module.split(".")
    if parts[1:2] in (["adapters"], ["entrypoints"]):
        return ".".join(parts[1:3]) if len(parts) > 2 else None  # the group's own __init__: a docstring
    return parts[1] if len(parts) > 1 else None


def test_each_room_imports_only_what_the_floor_plan_allows() -> None:
    known = _modules()
    wrong = []
    for name, path in sorted(known.items()):
        room = _room(name)
        if room in _EVERYWHERE or room is None:
            continue
        assert room in _MAY_IMPORT, f"{name}: a room the floor plan does not know ({room}); add it to the README too"
        for target in sorted(_imports(path, known)):
            other = _room(target)
            if other is None or other == room or other in _EVERYWHERE:
                continue
            if other not in _MAY_IMPORT[room]:
                wrong.append(f"{name} imports {target} ({room} may not import {other})")
    assert wrong == [], "\n".join(wrong)


# Where the process environment may be read. Every setting is read once, into Settings, at an entry point
# (pipeline/settings.py is the reader; the CLI loads --env-file and takes $USER as the actor) and passed down.
# The other two are not settings: systemd's NOTIFY_SOCKET is the service manager's handshake with this
# process, and the sandbox hands the environment on to the child it starts.
_READS_THE_ENVIRONMENT = {"pipeline/settings.py", "pipeline/adapters/systemd.py", "pipeline/forms/sandbox.py"}


def _reads_environment(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb") \
                and isinstance(node.value, ast.Name) and node.value.id == "os":
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "os" and \
                any(a.name in ("environ", "getenv", "environb") for a in node.names):
            return True
    return False


def test_only_the_entry_points_read_the_environment() -> None:
    readers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel in _READS_THE_ENVIRONMENT or rel.startswith("pipeline/entrypoints/cli/"):
            continue
        if _reads_environment(ast.parse(path.read_text(encoding="utf-8"))):
            readers.append(rel)
    assert readers == [], f"read the environment below the entry points: {readers}"


def test_no_settings_are_made_up_below_the_entry_points() -> None:
    """Settings are a required argument of use cases, steps and checks: none builds its own defaults,
    which would silently ignore what the entry point was given."""
    makers = []
    for room in ("usecases", "steps", "checks", "queries", "adapters", "core", "registry"):
        for path in sorted((PACKAGE / room).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Settings":
                    makers.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert makers == [], f"Settings() below the entry points: {makers}"


def test_the_session_factory_has_one_name() -> None:
    """Whatever takes the session factory calls it `session_factory` (it had three names: db, factory and
    session_factory), so that a reader knows it on sight and `grep` finds every use."""
    others = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                    if arg.annotation is not None and "sessionmaker" in ast.unparse(arg.annotation) \
                            and arg.arg != "session_factory":
                        others.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}({arg.arg})")
    assert others == [], others


def test_no_function_is_longer_than_sixty_lines() -> None:
    """A longer function mixes phases: split it into a plan and an apply step, or into steps with names."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None \
                    and node.end_lineno - node.lineno + 1 > 60:
                long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1})")
    assert long == [], long
