"""What an import did, per file: added, updated, unchanged, and each rejected row with its reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Rejection:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class FileReport:
    kind: str  # operators, centres, users
    file: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    applied: bool = False  # False when all-or-nothing refused the file

    def reject(self, line: int, reason: str) -> None:
        self.rejected.append(Rejection(self.file, line, reason))

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "file": self.file, "rows": self.rows, "added": self.added,
            "updated": self.updated, "unchanged": self.unchanged, "applied": self.applied,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
        }


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def rejected(self) -> list[Rejection]:
        return [r for f in self.files for r in f.rejected]

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def changed(self) -> bool:
        return any(f.applied and (f.added or f.updated) for f in self.files)

    def file(self, kind: str) -> FileReport | None:
        return next((f for f in self.files if f.kind == kind), None)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "files": [f.to_json() for f in self.files]}
