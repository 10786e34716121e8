"""The registry page: centres with their administrators and pending tasks; operators."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import defer

from pipeline.db.models import (
    OperatorAccount,
    RegistryCentre,
    RegistryOperator,
    RegistryUser,
    RegistryUserRole,
    Task,
    TaskCentre,
)
from pipeline.web import db
from pipeline.web.labels import OPEN_STATES
from pipeline.web.queue_query import clean_query

bp = Blueprint("registry", __name__)
ADMIN_ROLE = "Mottaksadministrator"


@bp.route("/register")
def index() -> str:
    q = clean_query(request.args.get("q"))
    operator_id = request.args.get("driftsoperator") or ""
    active = request.args.get("aktiv", "")
    dbs = db.session()
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
    centres = list(dbs.scalars(stmt.order_by(RegistryCentre.mottaksnummer).limit(500)))
    numbers = [c.mottaksnummer for c in centres]
    admins: dict[str, list[RegistryUser]] = {n: [] for n in numbers}
    pending: dict[str, list[Task]] = {n: [] for n in numbers}
    if numbers:
        rows = dbs.execute(select(RegistryUserRole.mottaksnummer, RegistryUser).join(RegistryUser).where(
            RegistryUserRole.role == ADMIN_ROLE, RegistryUserRole.mottaksnummer.in_(numbers))
            .order_by(RegistryUser.last_name))
        for number, user in rows:
            admins[number].append(user)
        rows = dbs.execute(select(TaskCentre.mottaksnummer, Task).options(defer(Task.reading)).join(Task, Task.id == TaskCentre.task_id).where(
            TaskCentre.mottaksnummer.in_(numbers), Task.state.in_(OPEN_STATES)).order_by(Task.id))
        for number, task in rows:
            pending[number].append(task)
    operators = list(dbs.scalars(select(RegistryOperator).order_by(RegistryOperator.name)))
    centre_counts = dict(dbs.execute(select(RegistryCentre.operator_id, func.count())
                                     .group_by(RegistryCentre.operator_id)).all())
    accounts = list(dbs.scalars(select(OperatorAccount).order_by(OperatorAccount.username)))
    return render_template("registry.html", centres=centres, admins=admins, pending=pending,
                           operators=operators, operator_names={o.operator_id: o.name for o in operators},
                           centre_counts=centre_counts, accounts=accounts, q=q, operator_id=operator_id,
                           active=active)
