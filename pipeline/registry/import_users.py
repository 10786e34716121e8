"""Import users.csv: one row per (user, role), the role's centres separated by ';'.

A user may have several rows (one per role); their personal fields must agree. The file is
authoritative for the users it lists: their roles become exactly the file's, and a removed user it lists
is active again. Users it does not list are kept, unless the file is IMDinett's complete export
(`complete`): then they are marked removed (kept as rows, with when and why; their mobile and seats are
free), except users granted here within `grace_days` that no export has listed yet ("granted here, not
yet in IMDinett"). A user granted here whose mobile the file gives to another user id is IMDinett's
user under that id: the one granted here is removed in its favour ("replaced").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import RegistryCentre, RegistryUser, RegistryUserRole
from pipeline.core.domain import SOURCE_GRANT, SOURCE_IMPORT, USER_ACTIVE, USER_REMOVED
from pipeline.registry import rows as R
from pipeline.registry.bulk import Progress, chunks, load
from pipeline.registry.report import FileReport

_FIELDS = ["user_id", "first_name", "last_name", "email", "mobile"]
_STATE = ["status", "source", "added_at", "first_imported_at"]
ENTITY = "registry_user"


def _aware(at: datetime | None) -> datetime | None:
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


def _who(row: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"user_id": row["user_id"], "name": f"{row['first_name']} {row['last_name']}", **more}


def import_users(session: Session, path: Path, *, all_or_nothing: bool, tick: Progress, complete: bool = False,
                 grace_days: int = 14, now: datetime | None = None, actor: str = audit.SYSTEM) -> FileReport:
    now = now or datetime.now(UTC)
    rep = FileReport("users", str(path))
    total = R.count_rows(path) if path.exists() else 0
    known_centres = set(session.scalars(select(RegistryCentre.mottaksnummer)))
    users: dict[str, dict[str, Any]] = {}
    first_line: dict[str, int] = {}
    roles: dict[str, set[tuple[str, str]]] = {}
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
            elif uid in users and users[uid] != user:
                rep.reject(line, f"user {uid} differs from its row on line {first_line[uid]}")
            else:
                users.setdefault(uid, user)
                first_line.setdefault(uid, line)
                mobile_of.setdefault(user["mobile"], (uid, line))
                roles.setdefault(uid, set()).update((role, c) for c in centres)
    except R.FileError as exc:
        rep.reject(exc.line, exc.reason)
    tick("users", rep.rows, total)

    existing = {r["user_id"]: r for r in load(session, RegistryUser, _FIELDS + _STATE)}
    existing_roles: dict[str, set[tuple[str, str]]] = {}
    for uid, role, number in session.execute(
            select(RegistryUserRole.user_id, RegistryUserRole.role, RegistryUserRole.mottaksnummer)):
        existing_roles.setdefault(uid, set()).add((role, number))

    def not_yet_imported(uid: str) -> bool:
        return existing[uid]["source"] == SOURCE_GRANT and existing[uid]["first_imported_at"] is None

    absent = [uid for uid, r in existing.items() if r["status"] == USER_ACTIVE and uid not in users]
    leaving: list[str] = []
    if complete:
        since = now - timedelta(days=grace_days)
        for uid in sorted(absent):
            added = _aware(existing[uid]["added_at"])
            if not_yet_imported(uid) and added is not None and added >= since:
                rep.not_yet_in_imdinett.append(_who(existing[uid], granted_at=added.isoformat()))
            else:
                leaving.append(uid)
    held = {existing[uid]["mobile"]: uid for uid in absent if uid not in leaving}
    replaced: dict[str, str] = {}  # granted here → the file's user id with that mobile
    for uid, user in users.items():
        holder = held.get(user["mobile"])
        if holder is not None and not_yet_imported(holder):
            replaced[holder] = uid
            del held[user["mobile"]]
    rep.not_yet_in_imdinett = [u for u in rep.not_yet_in_imdinett if u["user_id"] not in replaced]

    added_rows, changed = [], []
    for uid, user in list(users.items()):
        old = existing.get(uid)
        if user["mobile"] in held:
            rep.reject(first_line[uid],
                       f"mobile {user['mobile']} belongs to user_id {held[user['mobile']]} in the registry")
            del users[uid]
        elif old is None:
            added_rows.append(user)
        elif old["status"] != USER_ACTIVE:
            changed.append(user)
            rep.reactivated.append(_who(user))
        elif any(old[k] != user[k] for k in _FIELDS) or existing_roles.get(uid, set()) != roles[uid]:
            changed.append(user)
        if old is not None and uid in users and not_yet_imported(uid):
            rep.confirmed.append(_who(user))
    rep.added, rep.updated = len(added_rows), len(changed)
    rep.unchanged = len(users) - len(added_rows) - len(changed)
    rep.removed = [_who(existing[uid]) for uid in leaving]
    rep.replaced = [_who(existing[uid], by=by) for uid, by in sorted(replaced.items())]
    if rep.rejected and all_or_nothing:
        return rep

    # Who leaves first: their mobiles may be taken by the rows below.
    reason = f"absent from IMDinett's complete export {path.name}"
    gone = [(uid, reason) for uid in leaving] + [
        (uid, f"IMDinett's export {path.name} lists this mobile under user id {by}") for uid, by in replaced.items()]
    for chunk in chunks(gone):
        ids = [uid for uid, _ in chunk]
        session.execute(delete(RegistryUserRole).where(RegistryUserRole.user_id.in_(ids)))
        session.execute(update(RegistryUser), [
            {"user_id": uid, "status": USER_REMOVED, "removed_at": now, "removed_reason": why} for uid, why in chunk])
    for uid, why in gone:
        audit.record(session, actor, "registry.user_removed", ENTITY, uid, {
            "reason": why, "roles": sorted([list(r) for r in existing_roles.get(uid, set())]),
            "import": path.name, **({"replaced_by": replaced[uid]} if uid in replaced else {})})

    if changed:
        moved = [u for u in changed if existing[u["user_id"]]["mobile"] != u["mobile"]]
        if moved:  # park moved mobiles so that two users may swap numbers
            session.execute(update(RegistryUser), [
                {"user_id": u["user_id"], "mobile": f"~{i}"} for i, u in enumerate(moved)])
        session.execute(update(RegistryUser), [
            {**u, "status": USER_ACTIVE, "removed_at": None, "removed_reason": None} for u in changed])
        for chunk in chunks([u["user_id"] for u in changed]):
            session.execute(delete(RegistryUserRole).where(RegistryUserRole.user_id.in_(chunk)))
        for item in rep.reactivated:
            audit.record(session, actor, "registry.user_reactivated", ENTITY, item["user_id"], {"import": path.name})
    confirmed = [u["user_id"] for u in rep.confirmed]
    for chunk in chunks(confirmed):
        session.execute(update(RegistryUser).where(RegistryUser.user_id.in_(chunk)).values(first_imported_at=now))
    for chunk in chunks(added_rows, 5000):
        session.execute(insert(RegistryUser), [
            {**u, "status": USER_ACTIVE, "source": SOURCE_IMPORT, "added_at": now, "first_imported_at": now}
            for u in chunk])
    role_rows = [{"user_id": u["user_id"], "role": role, "mottaksnummer": number}
                 for u in (*added_rows, *changed) for role, number in sorted(roles[u["user_id"]])]
    for chunk in chunks(role_rows, 5000):
        session.execute(insert(RegistryUserRole), chunk)
    rep.applied = True
    return rep
