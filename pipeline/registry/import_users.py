"""Import users.csv: one row per (user, role), the role's centres separated by ';'.

A user may have several rows (one per role); their personal fields must agree. The file is
authoritative for the users it lists: their roles become exactly the file's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from pipeline.db.models import RegistryCentre, RegistryUser, RegistryUserRole
from pipeline.registry import rows as R
from pipeline.registry.importer import Progress, _chunks, _load
from pipeline.registry.report import FileReport

_FIELDS = ["user_id", "first_name", "last_name", "email", "mobile"]


def import_users(session: Session, path: Path, *, all_or_nothing: bool, tick: Progress) -> FileReport:
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

    existing = {r["user_id"]: r for r in _load(session, RegistryUser, _FIELDS)}
    existing_roles: dict[str, set[tuple[str, str]]] = {}
    for uid, role, number in session.execute(
            select(RegistryUserRole.user_id, RegistryUserRole.role, RegistryUserRole.mottaksnummer)):
        existing_roles.setdefault(uid, set()).add((role, number))
    held = {r["mobile"]: uid for uid, r in existing.items() if uid not in users}
    added, changed = [], []
    for uid, user in list(users.items()):
        if user["mobile"] in held:
            rep.reject(first_line[uid],
                       f"mobile {user['mobile']} belongs to user_id {held[user['mobile']]} in the registry")
            del users[uid]
        elif uid not in existing:
            added.append(user)
        elif existing[uid] != user or existing_roles.get(uid, set()) != roles[uid]:
            changed.append(user)
    rep.added, rep.updated = len(added), len(changed)
    rep.unchanged = len(users) - len(added) - len(changed)
    if rep.rejected and all_or_nothing:
        return rep

    if changed:
        moved = [u for u in changed if existing[u["user_id"]]["mobile"] != u["mobile"]]
        if moved:  # park moved mobiles so that two users may swap numbers
            session.execute(update(RegistryUser), [
                {"user_id": u["user_id"], "mobile": f"~{i}"} for i, u in enumerate(moved)])
        session.execute(update(RegistryUser), changed)
        for chunk in _chunks([u["user_id"] for u in changed]):
            session.execute(delete(RegistryUserRole).where(RegistryUserRole.user_id.in_(chunk)))
    for chunk in _chunks(added, 5000):
        session.execute(insert(RegistryUser), chunk)
    role_rows = [{"user_id": u["user_id"], "role": role, "mottaksnummer": number}
                 for u in (*added, *changed) for role, number in sorted(roles[u["user_id"]])]
    for chunk in _chunks(role_rows, 5000):
        session.execute(insert(RegistryUserRole), chunk)
    rep.applied = True
    return rep
