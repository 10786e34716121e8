"""The facts the approval rule (pipeline.core.policy) is asked about, read for one case or a page of
them: the same reads for the case page, the queue's bulk boxes and the approve use case, so that what
the page offers and what the service allows cannot drift apart."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import (
    FindingRow,
    Message,
    ProposedChange,
    RegistryCentre,
    RegistryUser,
    RegistryUserRole,
    Task,
    TaskCentre,
)
from pipeline.core.domain import APPROVED, PROPOSED, REMOVAL, ROLE, USER_ACTIVE
from pipeline.core.policy import CaseFacts


def last_admin_centres(session: Session, *, task_id: int | None, user_id: str | None,
                       centres: Sequence[str]) -> tuple[str, ...]:
    """The centres a removal of `user_id` there would leave with no Mottaksadministrator: no other active
    holder, counting as gone those whose removal there is already approved (decided, not yet done). A
    closed centre (active=false) is left out: it creates no users, and its removals are the point."""
    if not user_id or not centres:
        return ()
    active = set(session.scalars(select(RegistryCentre.mottaksnummer).where(
        RegistryCentre.mottaksnummer.in_(list(centres)), RegistryCentre.active.is_(True))))
    centres = [n for n in centres if n in active]
    if not centres:
        return ()
    leaving = select(Task.user_id).join(TaskCentre, TaskCentre.task_id == Task.id).where(
        Task.kind == REMOVAL, Task.state == APPROVED, Task.id != (task_id or 0),
        TaskCentre.mottaksnummer == RegistryUserRole.mottaksnummer, Task.user_id.is_not(None))
    held: dict[str, int] = dict(session.execute(
        select(RegistryUserRole.mottaksnummer, func.count(RegistryUser.user_id.distinct()))
        .join(RegistryUser, RegistryUser.user_id == RegistryUserRole.user_id)
        .where(RegistryUserRole.mottaksnummer.in_(list(centres)), RegistryUserRole.role == ROLE,
               RegistryUser.status == USER_ACTIVE, RegistryUser.user_id != user_id,
               RegistryUser.user_id.not_in(leaving))
        .group_by(RegistryUserRole.mottaksnummer)).all())
    return tuple(n for n in centres if not held.get(n))


def facts_for(session: Session, tasks: Iterable[Any], *, for_bulk: bool = False) -> dict[int, CaseFacts]:
    """CaseFacts per case for rows with id, kind, state, message_pk, owner and user_id (ORM rows or views).
    `for_bulk`: only whether bulk approval may take each case is asked, so a removal that something else
    already keeps out of bulk (a finding, an unverified sender, a proposal) is not also asked whether it
    leaves a centre without an administrator (a query per removal)."""
    rows = {t.id: t for t in tasks}
    if not rows:
        return {}
    ids = list(rows)
    codes: dict[int, list[str]] = {i: [] for i in ids}
    for task_id, code in session.execute(select(FindingRow.task_id, FindingRow.code)
                                         .where(FindingRow.task_id.in_(ids)).order_by(FindingRow.id)):
        codes[task_id].append(code)
    centres: dict[int, list[str]] = {i: [] for i in ids}
    for task_id, number in session.execute(select(TaskCentre.task_id, TaskCentre.mottaksnummer)
                                           .where(TaskCentre.task_id.in_(ids)).order_by(TaskCentre.position)):
        if number:
            centres[task_id].append(number)
    pending = dict(session.execute(select(ProposedChange.task_id, func.count()).where(
        ProposedChange.task_id.in_(ids), ProposedChange.state == PROPOSED).group_by(ProposedChange.task_id)).all())
    message_ids = {t.message_pk for t in rows.values() if t.message_pk}
    verified = dict(session.execute(select(Message.id, Message.sender_verified)
                                    .where(Message.id.in_(message_ids))).all()) if message_ids else {}
    out = {}
    for task_id, t in rows.items():
        settled = for_bulk and (codes[task_id] or pending.get(task_id)
                                or (t.message_pk and not verified.get(t.message_pk)))
        last = (last_admin_centres(session, task_id=task_id, user_id=t.user_id, centres=centres[task_id])
                if t.kind == REMOVAL and t.state in ("needs_info", "review") and not settled else ())
        out[task_id] = CaseFacts(
            kind=t.kind or "grant", state=t.state, findings=tuple(codes[task_id]), from_mail=bool(t.message_pk),
            sender_verified=bool(verified.get(t.message_pk)), pending_proposals=int(pending.get(task_id, 0)),
            last_admin_centres=last, owner=t.owner,
            names_person=t.kind != REMOVAL or bool(t.user_id and centres[task_id]))
    return out


def facts(session: Session, task: Any) -> CaseFacts:
    return facts_for(session, [task])[task.id]
