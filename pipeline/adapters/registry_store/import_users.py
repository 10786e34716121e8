"""Import users.csv: one row per (user, role), the role's centres separated by ';'.

A user may have several rows (one per role); their personal fields must agree. The file is
authoritative for the users it lists: their roles become exactly the file's, and a removed user it lists
is active again. Users it does not list are kept, unless the file is IMDinett's complete export
(`complete`): then they are marked removed (kept as rows, with when and why; their mobile and seats are
free), except users granted here within `grace_days` that no export has listed yet ("granted here, not
yet in IMDinett"). A user granted here whose mobile the file gives to another user id is IMDinett's
user under that id: the one granted here is removed in its favour ("replaced").

In three parts: `read_users` checks the file's rows, `plan_users` decides what changes (pure: the file's
users and the registry's as values in, a plan out), `apply_users` writes the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import RegistryCentre, RegistryUser, RegistryUserRole
from pipeline.adapters.registry_store.bulk import Progress, chunks, load
from pipeline.core.domain import SOURCE_GRANT, SOURCE_IMPORT, USER_ACTIVE, USER_REMOVED
from pipeline.registry import csv_rows as R
from pipeline.registry.report import FileReport

_FIELDS = ["user_id", "first_name", "last_name", "email", "mobile"]
_STATE = ["status", "source", "added_at", "first_imported_at"]
ENTITY = "registry_user"

Roles = set[tuple[str, str]]  # (role, mottaksnummer)


@dataclass
class FileUsers:
    """The file's users that passed their row checks: personal fields, the line each first stood on, roles."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    first_line: dict[str, int] = field(default_factory=dict)
    roles: dict[str, Roles] = field(default_factory=dict)


@dataclass
class Registry:
    """The registry's users as the plan needs them: fields and state per user id, and their roles."""

    users: dict[str, dict[str, Any]]
    roles: dict[str, Roles]


@dataclass
class UserPlan:
    added: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    gone: list[tuple[str, str]] = field(default_factory=list)  # (user id, why), removed before the rest
    replaced: dict[str, str] = field(default_factory=dict)  # granted here → the file's user id with its mobile
    roles: dict[str, Roles] = field(default_factory=dict)  # the file's roles per user id
    gone_roles: dict[str, Roles] = field(default_factory=dict)  # the roles the removed held, for the audit
    moved: list[str] = field(default_factory=list)  # changed users whose mobile changes


def _aware(at: datetime | None) -> datetime | None:
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


def _who(row: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"user_id": row["user_id"], "name": f"{row['first_name']} {row['last_name']}", **more}


def import_users(session: Session, path: Path, *, all_or_nothing: bool, tick: Progress, complete: bool = False,
                 grace_days: int = 14, now: datetime | None = None, actor: str = audit.SYSTEM) -> FileReport:
    now = now or datetime.now(UTC)
    rep = FileReport("users", str(path))
    found = read_users(path, set(session.scalars(select(RegistryCentre.mottaksnummer))), rep, tick)
    plan = plan_users(found, load_registry(session), rep, file_name=path.name, complete=complete,
                      grace_days=grace_days, now=now)
    if rep.rejected and all_or_nothing:
        return rep
    apply_users(session, plan, rep, now=now, actor=actor, file_name=path.name)
    rep.applied = True
    return rep


def read_users(path: Path, known_centres: set[str], rep: FileReport, tick: Progress) -> FileUsers:
    """The file's rows, each checked on its own and against the rows before it; a bad row is rejected."""
    total = R.count_rows(path) if path.exists() else 0
    out = FileUsers()
    mobile_of: dict[str, tuple[str, int]] = {}
    try:
        for line, row in R.read_rows(path, R.USER_COLUMNS):
            rep.rows += 1
            if rep.rows % 2000 == 0:
                tick("users", rep.rows, total)
            try:
                user, (role, centres) = R.user_record(row)
            except R.RowError as exc:
                rep.reject(line, str(exc))
                continue
            uid = user["user_id"]
            unknown = [c for c in centres if c not in known_centres]
            holder = mobile_of.get(user["mobile"])
            if unknown:
                rep.reject(line, f"unknown centre(s) {', '.join(unknown)}")
            elif holder and holder[0] != uid:
                rep.reject(line, f"mobile {user['mobile']} already belongs to {holder[0]} on line {holder[1]}")
            elif uid in out.users and out.users[uid] != user:
                rep.reject(line, f"user {uid} differs from its row on line {out.first_line[uid]}")
            else:
                out.users.setdefault(uid, user)
                out.first_line.setdefault(uid, line)
                mobile_of.setdefault(user["mobile"], (uid, line))
                out.roles.setdefault(uid, set()).update((role, c) for c in centres)
    except R.FileError as exc:
        rep.reject(exc.line, exc.reason)
    tick("users", rep.rows, total)
    return out


def load_registry(session: Session) -> Registry:
    users = {r["user_id"]: r for r in load(session, RegistryUser, _FIELDS + _STATE)}
    roles: dict[str, Roles] = {}
    for uid, role, number in session.execute(
            select(RegistryUserRole.user_id, RegistryUserRole.role, RegistryUserRole.mottaksnummer)):
        roles.setdefault(uid, set()).add((role, number))
    return Registry(users, roles)


def plan_users(found: FileUsers, registry: Registry, rep: FileReport, *, file_name: str, complete: bool,
               grace_days: int, now: datetime) -> UserPlan:
    """What the import changes (pure): who is added, changed, confirmed, removed or replaced. The report
    gets the counts and the rows rejected for a mobile the registry gives to someone else."""
    existing, users = registry.users, dict(found.users)

    def not_yet_imported(uid: str) -> bool:
        return existing[uid]["source"] == SOURCE_GRANT and existing[uid]["first_imported_at"] is None

    absent = [uid for uid, r in existing.items() if r["status"] == USER_ACTIVE and uid not in users]
    leaving = _leaving(absent, existing, rep, not_yet_imported, complete=complete,
                       since=now - timedelta(days=grace_days))
    held = {existing[uid]["mobile"]: uid for uid in absent if uid not in leaving}
    plan = UserPlan(roles=found.roles)
    for uid, user in users.items():
        holder = held.get(user["mobile"])
        if holder is not None and not_yet_imported(holder):
            plan.replaced[holder] = uid
            del held[user["mobile"]]
    rep.not_yet_in_imdinett = [u for u in rep.not_yet_in_imdinett if u["user_id"] not in plan.replaced]

    for uid, user in list(users.items()):
        old = existing.get(uid)
        if user["mobile"] in held:
            rep.reject(found.first_line[uid],
                       f"mobile {user['mobile']} belongs to user_id {held[user['mobile']]} in the registry")
            del users[uid]
        elif old is None:
            plan.added.append(user)
        elif old["status"] != USER_ACTIVE:
            plan.changed.append(user)
            rep.reactivated.append(_who(user))
        elif any(old[k] != user[k] for k in _FIELDS) or registry.roles.get(uid, set()) != found.roles[uid]:
            plan.changed.append(user)
        if old is not None and uid in users and not_yet_imported(uid):
            rep.confirmed.append(_who(user))
            plan.confirmed.append(uid)
    rep.added, rep.updated = len(plan.added), len(plan.changed)
    rep.unchanged = len(users) - len(plan.added) - len(plan.changed)
    rep.removed = [_who(existing[uid]) for uid in leaving]
    rep.replaced = [_who(existing[uid], by=by) for uid, by in sorted(plan.replaced.items())]
    plan.gone = [(uid, f"absent from IMDinett's complete export {file_name}") for uid in leaving] + [
        (uid, f"IMDinett's export {file_name} lists this mobile under user id {by}") for uid, by in plan.replaced.items()]
    plan.gone_roles = {uid: registry.roles.get(uid, set()) for uid, _ in plan.gone}
    plan.moved = [u["user_id"] for u in plan.changed if existing[u["user_id"]]["mobile"] != u["mobile"]]
    return plan


def _leaving(absent: list[str], existing: dict[str, dict[str, Any]], rep: FileReport, not_yet_imported: Any, *,
             complete: bool, since: datetime) -> list[str]:
    """Who a complete export removes: every active user it does not list, except those granted here
    within the grace period that no export has listed yet (reported as not yet in IMDinett)."""
    leaving: list[str] = []
    if not complete:
        return leaving
    for uid in sorted(absent):
        added = _aware(existing[uid]["added_at"])
        if not_yet_imported(uid) and added is not None and added >= since:
            rep.not_yet_in_imdinett.append(_who(existing[uid], granted_at=added.isoformat()))
        else:
            leaving.append(uid)
    return leaving


def apply_users(session: Session, plan: UserPlan, rep: FileReport, *, now: datetime, actor: str,
                file_name: str) -> None:
    """Write the plan: who leaves first (their mobiles may be taken by the rows below), then the changed,
    confirmed and added users, then their roles."""
    for chunk in chunks(plan.gone):
        ids = [uid for uid, _ in chunk]
        session.execute(delete(RegistryUserRole).where(RegistryUserRole.user_id.in_(ids)))
        session.execute(update(RegistryUser), [
            {"user_id": uid, "status": USER_REMOVED, "removed_at": now, "removed_reason": why} for uid, why in chunk])
    for uid, why in plan.gone:
        audit.record(session, actor, "registry.user_removed", ENTITY, uid, {
            "reason": why, "roles": sorted([list(r) for r in plan.gone_roles.get(uid, set())]),
            "import": file_name, **({"replaced_by": plan.replaced[uid]} if uid in plan.replaced else {})})
    _apply_changed(session, plan, rep, actor=actor, file_name=file_name)
    for chunk in chunks(plan.confirmed):
        session.execute(update(RegistryUser).where(RegistryUser.user_id.in_(chunk)).values(first_imported_at=now))
    for chunk in chunks(plan.added, 5000):
        session.execute(insert(RegistryUser), [
            {**u, "status": USER_ACTIVE, "source": SOURCE_IMPORT, "added_at": now, "first_imported_at": now}
            for u in chunk])
    role_rows = [{"user_id": u["user_id"], "role": role, "mottaksnummer": number}
                 for u in (*plan.added, *plan.changed) for role, number in sorted(plan.roles[u["user_id"]])]
    for chunk in chunks(role_rows, 5000):
        session.execute(insert(RegistryUserRole), chunk)


def _apply_changed(session: Session, plan: UserPlan, rep: FileReport, *, actor: str, file_name: str) -> None:
    changed = plan.changed
    if not changed:
        return
    if plan.moved:  # park moved mobiles so that two users may swap numbers
        session.execute(update(RegistryUser), [{"user_id": uid, "mobile": f"~{i}"} for i, uid in enumerate(plan.moved)])
    session.execute(update(RegistryUser), [
        {**u, "status": USER_ACTIVE, "removed_at": None, "removed_reason": None} for u in changed])
    for chunk in chunks([u["user_id"] for u in changed]):
        session.execute(delete(RegistryUserRole).where(RegistryUserRole.user_id.in_(chunk)))
    for item in rep.reactivated:
        audit.record(session, actor, "registry.user_reactivated", ENTITY, item["user_id"], {"import": file_name})
