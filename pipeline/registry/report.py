"""What an import did, per file: added, updated, unchanged, and each rejected row with its reason; for
users, who a complete export removed, who was kept as granted here and not yet in IMDinett, who came
back; for centres, which closed and the removal tasks that raised."""

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
    # users (each {"user_id", "name", ...}): a complete export's absentees marked removed; users granted here
    # within the grace period and not yet in the export (kept); removed users the export lists again; users
    # granted here that the export now lists (confirmed); users granted here whose mobile the export gives
    # to another id (IMDinett knows them under that id: the one granted here is removed).
    removed: list[dict[str, Any]] = field(default_factory=list)
    not_yet_in_imdinett: list[dict[str, Any]] = field(default_factory=list)
    reactivated: list[dict[str, Any]] = field(default_factory=list)
    confirmed: list[dict[str, Any]] = field(default_factory=list)
    replaced: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)  # centres: set active=false by this file

    def reject(self, line: int, reason: str) -> None:
        self.rejected.append(Rejection(self.file, line, reason))

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "file": self.file, "rows": self.rows, "added": self.added,
            "updated": self.updated, "unchanged": self.unchanged, "applied": self.applied,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
            **({"removed": self.removed, "not_yet_in_imdinett": self.not_yet_in_imdinett,
                "reactivated": self.reactivated, "confirmed": self.confirmed, "replaced": self.replaced}
               if self.kind == "users" else {}),
            **({"closed": self.closed} if self.kind == "centres" else {}),
        }


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    complete: bool = False  # the users file was taken as IMDinett's whole export
    dry_run: bool = False  # nothing was changed: this is what the import would do
    # A removal task per administrator of a centre that closed: {"task_id", "case_ref", "user_id", "name",
    # "mottaksnummer", "centre", "new"} (ids are those the import would have given, on a dry run).
    removal_tasks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rejected(self) -> list[Rejection]:
        return [r for f in self.files for r in f.rejected]

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def changed(self) -> bool:
        return any(f.applied and (f.added or f.updated or f.removed or f.replaced or f.confirmed) for f in self.files)

    def file(self, kind: str) -> FileReport | None:
        return next((f for f in self.files if f.kind == kind), None)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "complete": self.complete, "dry_run": self.dry_run,
                "files": [f.to_json() for f in self.files], "removal_tasks": self.removal_tasks}
