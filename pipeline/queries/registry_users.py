"""Registry users as the registry page and the case page show them: each user's roles per centre, where the
user came from (an import, or the case that granted it), and whether the user is active or removed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import RegistryCentre, RegistryOperator, RegistryUser, RegistryUserRole, Task
from pipeline.core.clock import aware
from pipeline.core.domain import PENDING, REMOVAL, ROLE, SOURCE_GRANT, USER_ACTIVE, USER_REMOVED


@dataclass(frozen=True)
class RoleAt:
    role: str
    mottaksnummer: str
    centre: str | None
    operator_id: str | None


@dataclass(frozen=True)
class PendingRemoval:
    id: int
    case_ref: str
    state: str
    centres: tuple[str, ...]


@dataclass(frozen=True)
class RegistryUserView:
    user_id: str
    first_name: str
    last_name: str
    email: str
    mobile: str
    status: str
    source: str
    source_task_id: int | None
    source_case_ref: str | None
    added_at: datetime | None
    first_imported_at: datetime | None
    removed_at: datetime | None
    removed_reason: str | None
    roles: tuple[RoleAt, ...] = ()
    pending_removals: tuple[PendingRemoval, ...] = field(default=())

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def admin_centres(self) -> tuple[RoleAt, ...]:
        return tuple(r for r in self.roles if r.role == ROLE)

    @property
    def not_yet_in_imdinett(self) -> bool:
        return self.status == USER_ACTIVE and self.source == SOURCE_GRANT and self.first_imported_at is None


FILTERS = {"aktive": USER_ACTIVE, "fjernet": USER_REMOVED, "ikke-i-imdinett": "not_yet"}


def users(session: Session, *, q: str = "", status: str = "", operator_id: str = "", user_ids: Sequence[str] = (),
          limit: int = 200) -> list[RegistryUserView]:
    """Users matching a search (id, name, e-mail or mobile), a status filter (FILTERS) or holding a role at an
    operator's centres; the first `limit`, by last name."""
    stmt = select(RegistryUser)
    if q:
        digits = q.replace(" ", "")
        if digits.lstrip("+").isdigit():  # a mobile as people write it: "474 29 543"
            stmt = stmt.where(RegistryUser.mobile.like(f"%{digits}%"))
        else:  # every word somewhere: "Sigrid Hagen", "hagen solbakken"
            for word in q.split()[:5]:
                like = f"%{word}%"
                stmt = stmt.where(or_(RegistryUser.user_id.ilike(like), RegistryUser.first_name.ilike(like),
                                      RegistryUser.last_name.ilike(like), RegistryUser.email.ilike(like)))
    if FILTERS.get(status) == "not_yet":
        stmt = stmt.where(RegistryUser.status == USER_ACTIVE, RegistryUser.source == SOURCE_GRANT,
                          RegistryUser.first_imported_at.is_(None))
    elif status in FILTERS:
        stmt = stmt.where(RegistryUser.status == FILTERS[status])
    if operator_id:
        stmt = stmt.where(RegistryUser.user_id.in_(
            select(RegistryUserRole.user_id).join(RegistryCentre, RegistryCentre.mottaksnummer
                                                  == RegistryUserRole.mottaksnummer)
            .where(RegistryCentre.operator_id == operator_id)))
    if user_ids:
        stmt = stmt.where(RegistryUser.user_id.in_(list(user_ids)))
    rows = list(session.scalars(stmt.order_by(RegistryUser.last_name, RegistryUser.first_name,
                                              RegistryUser.user_id).limit(limit)))
    return views(session, rows)


def user(session: Session, user_id: str) -> RegistryUserView | None:
    found = users(session, user_ids=[user_id], limit=1)
    return found[0] if found else None


def views(session: Session, rows: Sequence[RegistryUser]) -> list[RegistryUserView]:
    ids = [u.user_id for u in rows]
    roles: dict[str, list[RoleAt]] = {i: [] for i in ids}
    pending: dict[str, list[PendingRemoval]] = {i: [] for i in ids}
    cases: dict[int, str] = {}
    if ids:
        for uid, role, number, name, operator_id in session.execute(
                select(RegistryUserRole.user_id, RegistryUserRole.role, RegistryUserRole.mottaksnummer,
                       RegistryCentre.name, RegistryCentre.operator_id)
                .outerjoin(RegistryCentre, RegistryCentre.mottaksnummer == RegistryUserRole.mottaksnummer)
                .where(RegistryUserRole.user_id.in_(ids))
                .order_by(RegistryUserRole.role, RegistryUserRole.mottaksnummer)):
            roles[uid].append(RoleAt(role, number, name, operator_id))
        for task in session.scalars(select(Task).where(Task.kind == REMOVAL, Task.user_id.in_(ids),
                                                       Task.state.in_(PENDING)).order_by(Task.id)):
            pending[task.user_id or ""].append(PendingRemoval(
                task.id, task.case_ref, task.state, tuple(c.mottaksnummer or "" for c in task.centres)))
        granted = [u.source_task_id for u in rows if u.source_task_id]
        if granted:
            cases = dict(session.execute(select(Task.id, Task.case_ref).where(Task.id.in_(granted))).all())
    return [RegistryUserView(
        u.user_id, u.first_name, u.last_name, u.email, u.mobile, u.status, u.source, u.source_task_id,
        cases.get(u.source_task_id or 0), aware(u.added_at), aware(u.first_imported_at), aware(u.removed_at),
        u.removed_reason, tuple(roles[u.user_id]), tuple(pending[u.user_id])) for u in rows]


def operator_users(session: Session, operator_id: str | None) -> list[RegistryUserView]:
    """The active administrators at an operator's centres (to choose whom a removal is about)."""
    if not operator_id:
        return []
    rows = list(session.scalars(
        select(RegistryUser).join(RegistryUserRole, RegistryUserRole.user_id == RegistryUser.user_id)
        .join(RegistryCentre, RegistryCentre.mottaksnummer == RegistryUserRole.mottaksnummer)
        .where(RegistryCentre.operator_id == operator_id, RegistryUserRole.role == ROLE,
               RegistryUser.status == USER_ACTIVE).distinct()
        .order_by(RegistryUser.last_name, RegistryUser.first_name)))
    return views(session, rows)


def operator_name(session: Session, operator_id: str | None) -> str | None:
    return session.scalar(select(RegistryOperator.name).where(RegistryOperator.operator_id == operator_id)) \
        if operator_id else None
