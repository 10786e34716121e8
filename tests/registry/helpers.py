"""Helpers for registry tests: the reference files, and copies of them with edits."""

from __future__ import annotations

from pathlib import Path

from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.registry_store import import_registry
from pipeline.registry import ImportReport

KINDS = ("operators", "centres", "users")


def reference(reference_dir: Path) -> dict[str, Path]:
    return {k: reference_dir / "registry" / f"{k}.csv" for k in KINDS}


def import_files(db, files: dict[str, Path], **kw) -> ImportReport:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as session:
        return import_registry(session, files.get("operators"), files.get("centres"), files.get("users"), **kw)


def counts(report: ImportReport) -> dict[str, tuple[int, int, int, int]]:
    return {f.kind: (f.added, f.updated, f.unchanged, len(f.rejected)) for f in report.files}


def edited(src: Path, dest: Path, replace: dict[int, str] | None = None, append: list[str] = (),
           drop: tuple[int, ...] = ()) -> Path:  # type: ignore[assignment]
    """A copy of src with lines (1-based) replaced, dropped or appended."""
    lines = src.read_text(encoding="utf-8").splitlines()
    for number, text in (replace or {}).items():
        lines[number - 1] = text
    lines = [line for i, line in enumerate(lines, 1) if i not in drop] + list(append)
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")
