"""The registry import as a use case: files in, one transaction, a report out (`pipeline registry import`
and the registry page's upload).

    run_import(session_factory, operators=F, centres=F, users=F, complete=..., grace_days=..., dry_run=...) -> ImportReport

After the files are applied, a centre the import closed (active=false) raises one removal task per
administrator of that centre, for that centre only (their other centres stay). A dry run does all of it
and rolls back: the report says what the import would do, and nothing changes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db import audit
from pipeline.adapters.registry_store.bulk import Progress
from pipeline.adapters.registry_store.importer import import_registry
from pipeline.errors import PipelineError, RegistryImportError
from pipeline.registry.report import ImportReport
from pipeline.settings import Settings
from pipeline.steps import closures


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def run_import(session_factory: sessionmaker[Session], *, operators: Path | None = None, centres: Path | None = None,
               users: Path | None = None, complete: bool = False, grace_days: int | None = None,
               dry_run: bool = False, partial: bool = False, actor: str = audit.SYSTEM,
               settings: Settings, progress: Progress | None = None,
               now: datetime | None = None) -> ImportReport:
    if not (operators or centres or users):
        raise RegistryImportError("give at least one of --operators, --centres, --users")
    if complete and users is None:
        raise RegistryImportError("--complete takes the users file as IMDinett's whole export: give --users")
    for path in (operators, centres, users):
        # Not is_file(): /dev/null or a pipe (<(...)) is a file to read too, an empty one.
        if path is not None and not path.exists():
            raise PipelineError(f"{path}: no such file", code="file.not_found")
        if path is not None and path.is_dir():
            raise PipelineError(f"{path}: a folder, not a CSV file", code="file.not_found")
    grace = settings.registry_grace_days if grace_days is None else grace_days
    if grace < 0:
        raise RegistryImportError("--grace-days cannot be negative")
    report = ImportReport()
    try:
        with session_factory() as session, session.begin():
            report = import_registry(session, operators, centres, users, all_or_nothing=not partial,
                                     progress=progress, actor=actor, complete=complete, grace_days=grace, now=now)
            report.dry_run = dry_run
            closures.raise_closure_removals(session, report, actor=actor)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except IntegrityError as exc:
        # Another import or worker wrote a clashing row between our reading and writing.
        raise RegistryImportError(f"the database refused a row (changed meanwhile?): {exc.orig}") from exc
    return report
