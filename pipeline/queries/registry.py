"""The registry as the registry page shows it: centres with their administrators and pending cases,
the driftsoperatører, and the operator accounts of this tool."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, defer

from pipeline.adapters.db.models import (
    RegistryCentre,
    RegistryOperator,
    RegistryUser,
    RegistryUserRole,
    Task,
    TaskCentre,
)
from pipeline.core.domain import PENDING, ROLE, USER_ACTIVE
from pipeline.queries.accounts import AccountView, accounts
from pipeline.queries.view_rows import TaskView, task_view
from pipeline.registry.lookup import UserInfo


@dataclass(frozen=True)
class CentreRow:
    mottaksnummer: str
    name: str
    kind: str
    kommune: str | None
    operator_id: str | None
    active: bool


@dataclass(frozen=True)
class OperatorRow:
    operator_id: str
    name: str
    orgnr: str
    email_domain: str
    manager: str | None
    email: str | None


@dataclass(frozen=True)
class RegistryPage:
    centres: list[CentreRow]
    admins: dict[str, list[UserInfo]]  # mottaksnummer -> its administrators
    pending: dict[str, list[TaskView]]  # mottaksnummer -> cases not yet carried out that ask for it
    operators: list[OperatorRow]
    centre_counts: dict[str | None, int]  # operator id -> its centres
    accounts: list[AccountView]

    @property
    def operator_names(self) -> dict[str, str]:
        return {o.operator_id: o.name for o in self.operators}


def registry_page(session: Session, *, q: str = "", operator_id: str = "", active: str = "") -> RegistryPage:
    stmt = select(RegistryCentre)
    if q:
        # The registry is small (a few hundred centres): a substring match is fine here.
        like = f"%{q}%"
        stmt = stmt.where(or_(RegistryCentre.name.ilike(like), RegistryCentre.mottaksnummer.like(like),
                              RegistryCentre.kommune.ilike(like)))
    if operator_id:
        stmt = stmt.where(RegistryCentre.operator_id == operator_id)
    if active in ("ja", "nei"):
        stmt = stmt.where(RegistryCentre.active.is_(active == "ja"))
    centres = [CentreRow(c.mottaksnummer, c.name, c.kind, c.kommune, c.operator_id, bool(c.active))
               for c in session.scalars(stmt.order_by(RegistryCentre.mottaksnummer).limit(500))]
    numbers = [c.mottaksnummer for c in centres]
    admins: dict[str, list[UserInfo]] = {n: [] for n in numbers}
    pending: dict[str, list[TaskView]] = {n: [] for n in numbers}
    if numbers:
        rows = session.execute(select(RegistryUserRole.mottaksnummer, RegistryUser).join(RegistryUser).where(
            RegistryUserRole.role == ROLE, RegistryUserRole.mottaksnummer.in_(numbers),
            RegistryUser.status == USER_ACTIVE).order_by(RegistryUser.last_name))
        for number, user in rows:
            admins[number].append(UserInfo(user.user_id, user.first_name, user.last_name, user.email, user.mobile))
        # Grants and removals not yet carried out (the page tells them apart by kind).
        tasks = session.execute(select(TaskCentre.mottaksnummer, Task).options(defer(Task.reading))
                                .join(Task, Task.id == TaskCentre.task_id)
                                .where(TaskCentre.mottaksnummer.in_(numbers), Task.state.in_(PENDING))
                                .order_by(Task.id))
        for wanted, t in tasks:
            pending[str(wanted)].append(task_view(t, with_reading=False, centres=[], findings=[]))
    operators = [OperatorRow(o.operator_id, o.name, o.orgnr, o.email_domain, o.manager, o.email)
                 for o in session.scalars(select(RegistryOperator).order_by(RegistryOperator.name))]
    centre_counts = dict(session.execute(select(RegistryCentre.operator_id, func.count())
                                         .group_by(RegistryCentre.operator_id)).all())
    return RegistryPage(centres, admins, pending, operators, centre_counts, accounts(session))


def stats(session: Session) -> dict[str, int]:
    """How much the registry holds (`pipeline registry stats`)."""
    def count(stmt) -> int:  # type: ignore[no-untyped-def]
        return int(session.scalar(stmt) or 0)

    return {
        "operators": count(select(func.count()).select_from(RegistryOperator)),
        "centres": count(select(func.count()).select_from(RegistryCentre)),
        "active_centres": count(select(func.count()).select_from(RegistryCentre).where(RegistryCentre.active.is_(True))),
        "users": count(select(func.count()).select_from(RegistryUser).where(RegistryUser.status == USER_ACTIVE)),
        "removed_users": count(select(func.count()).select_from(RegistryUser)
                               .where(RegistryUser.status != USER_ACTIVE)),
        "roles": count(select(func.count()).select_from(RegistryUserRole)),
    }
