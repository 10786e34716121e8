"""Import the registry CSV files: validate every row, then add or update in bulk.

Idempotent: a row equal to what is stored counts as unchanged and is not written. Rows absent from a
file are kept (a closed centre is `active=false`, not a missing row), except users when the users file
is IMDinett's complete export (`complete`, see import_users). Centres the file closes are listed in the
report (the service raises a removal task per administrator). With all_or_nothing (the
default) a file with any rejected row changes nothing; the other files still import, and rows that
depend on a refused file (a centre of an operator that was not imported) are rejected in turn.
Work is a handful of queries per file, never one per row: 100,000 users import in seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import RegistryCentre, RegistryOperator
from pipeline.adapters.registry_store.bulk import Progress, chunks, load
from pipeline.registry import csv_rows as R
from pipeline.registry.report import FileReport, ImportReport


def import_registry(session: Session, operators: Path | None = None, centres: Path | None = None,
                    users: Path | None = None, *, all_or_nothing: bool = True,
                    progress: Progress | None = None, actor: str = audit.SYSTEM, complete: bool = False,
                    grace_days: int = 14, now: datetime | None = None) -> ImportReport:
    """Validate and apply the given files in the session's transaction (the caller commits)."""
    report = ImportReport(complete=complete)
    tick = progress or (lambda kind, done, total: None)
    if operators is not None:
        report.files.append(_import_simple(
            session, "operators", operators, RegistryOperator, "operator_id", R.OPERATOR_COLUMNS,
            R.operator_record, unique=("orgnr",), check=None, all_or_nothing=all_or_nothing, tick=tick))
    if centres is not None:
        known = set(session.scalars(select(RegistryOperator.operator_id)))

        def known_operator(rec: dict[str, Any]) -> str | None:
            return None if rec["operator_id"] in known else f"unknown operator_id {rec['operator_id']}"

        was_active = {n: bool(a) for n, a in session.execute(select(RegistryCentre.mottaksnummer,
                                                                   RegistryCentre.active))}
        rep = _import_simple(
            session, "centres", centres, RegistryCentre, "mottaksnummer", R.CENTRE_COLUMNS,
            R.centre_record, unique=("name_key",), check=known_operator, all_or_nothing=all_or_nothing,
            tick=tick)
        if rep.applied:
            rep.closed = [{"mottaksnummer": n, "name": name} for n, name, active in session.execute(
                select(RegistryCentre.mottaksnummer, RegistryCentre.name, RegistryCentre.active)
                .order_by(RegistryCentre.mottaksnummer)) if was_active.get(n) and not active]
        report.files.append(rep)
    if users is not None:
        from pipeline.adapters.registry_store.import_users import import_users

        report.files.append(import_users(session, users, all_or_nothing=all_or_nothing, tick=tick,
                                         complete=complete, grace_days=grace_days, now=now, actor=actor))
    if report.changed:
        audit.record(session, actor, "registry.import", "registry", None, details={
            f.kind: {"added": f.added, "updated": f.updated,
                     **({"removed": len(f.removed), "replaced": len(f.replaced)} if f.kind == "users" else {}),
                     **({"closed": [c["mottaksnummer"] for c in f.closed]} if f.closed else {})}
            for f in report.files if f.applied} | {"complete": complete})
    session.flush()
    return report


def _import_simple(session: Session, kind: str, path: Path, model: type, pk: str, columns: tuple[str, ...],
                   build: Callable[[dict[str, str]], dict[str, Any]], *, unique: tuple[str, ...],
                   check: Callable[[dict[str, Any]], str | None] | None, all_or_nothing: bool,
                   tick: Progress) -> FileReport:
    """Operators and centres: one row, one record, a primary key and unique columns."""
    rep = FileReport(kind, str(path))
    total = R.count_rows(path) if path.exists() else 0
    recs: dict[str, tuple[int, dict[str, Any]]] = {}
    seen: dict[tuple[str, Any], int] = {}
    try:
        for line, row in R.read_rows(path, columns):
            rep.rows += 1
            if rep.rows % 1000 == 0:
                tick(kind, rep.rows, total)
            try:
                rec = build(row)
            except R.RowError as exc:
                rep.reject(line, str(exc))
                continue
            reason = check(rec) if check else None
            if reason is None and rec[pk] in recs:
                reason = f"{pk} {rec[pk]} already on line {recs[rec[pk]][0]}"
            for col in unique:
                if reason is None and (col, rec[col]) in seen:
                    reason = f"{_label(col)} {_shown(rec, col)!r} already on line {seen[(col, rec[col])]}"
            if reason:
                rep.reject(line, reason)
                continue
            recs[rec[pk]] = (line, rec)
            for col in unique:
                seen[(col, rec[col])] = line
    except R.FileError as exc:
        rep.reject(exc.line, exc.reason)
    tick(kind, rep.rows, total)

    existing = {r[pk]: r for r in load(session, model, columns=list(_columns(model)))}
    # Unique values held by stored rows that this file does not rewrite.
    holders = {(col, r[col]): key for key, r in existing.items() if key not in recs for col in unique}
    added, changed = [], []
    for key, (line, rec) in list(recs.items()):
        clash = next(((col, holders[(col, rec[col])]) for col in unique if (col, rec[col]) in holders), None)
        if clash:
            rep.reject(line, f"{_label(clash[0])} {_shown(rec, clash[0])!r} belongs to {pk} {clash[1]} in the registry")
            del recs[key]
        elif key not in existing:
            added.append(rec)
        elif any(existing[key][c] != v for c, v in rec.items()):
            changed.append(rec)
    rep.added, rep.updated = len(added), len(changed)
    rep.unchanged = len(recs) - len(added) - len(changed)
    if rep.rejected and all_or_nothing:
        return rep
    _apply(session, model, pk, unique, existing, added, changed)
    rep.applied = True
    return rep


def _apply(session: Session, model: type, pk: str, unique: tuple[str, ...], existing: dict[str, dict[str, Any]],
           added: list[dict[str, Any]], changed: list[dict[str, Any]]) -> None:
    if changed:
        # Two rows may swap a unique value (A takes B's name while B is renamed): park the moved
        # values first so that no intermediate state breaks the unique index.
        moved = [r for r in changed if any(existing[r[pk]][c] != r[c] for c in unique)]
        if moved:
            session.execute(update(model), [
                {pk: r[pk], **{c: f"~{i}" for c in unique}} for i, r in enumerate(moved)])
        session.execute(update(model), changed)
    if added:
        for chunk in chunks(added, 5000):
            session.execute(insert(model), chunk)


def _columns(model: type) -> Iterable[str]:
    return [c.key for c in model.__table__.columns]  # type: ignore[attr-defined]


def _shown(rec: dict[str, Any], col: str) -> Any:
    """The value as written: the name rather than its normalised key."""
    return rec["name"] if col == "name_key" else rec[col]


def _label(col: str) -> str:
    return {"name_key": "name", "orgnr": "orgnr", "mobile": "mobile"}.get(col, col)

