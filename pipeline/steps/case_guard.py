"""The guard on a decision: a case is changed only in the version the operator saw; otherwise the refusal
says who changed it, how and when (StaleCase)."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import AuditEvent, Reply, Task
from pipeline.core.clock import ui_time
from pipeline.core.domain import state_label
from pipeline.errors import IllegalTransition
from pipeline.queries.case import find_task


class StaleCase(IllegalTransition):
    code = "task.stale"


def guard(session: Session, task: Task, expect_version: int | None, expect_state: str | None) -> None:
    if expect_version is None and expect_state is None:
        return
    if (expect_version is None or task.version == expect_version) and (
            expect_state is None or task.state == expect_state):
        return
    raise stale_case(session, task)


def stale_case(session: Session, task: Task) -> StaleCase:
    """The refusal for a decision drawn from an older version of `task`: who changed it, how, when, and
    what it is now (the case's own events and those of its replies: an edited reply is a change too)."""
    reply_ids = [str(i) for i in session.scalars(select(Reply.id).where(Reply.task_id == task.id))]
    mine = and_(AuditEvent.entity == "task", AuditEvent.entity_id == str(task.id), AuditEvent.action != "task.open")
    if reply_ids:
        mine = or_(mine, and_(AuditEvent.entity == "reply", AuditEvent.entity_id.in_(reply_ids),
                              AuditEvent.action.in_(tuple(_REPLY_CHANGES))))
    last = session.scalar(select(AuditEvent).where(mine).order_by(AuditEvent.id.desc()).limit(1))
    who = task.changed_by or (last.actor if last else "systemet")
    what = _change_words(last.action) if last else "endret den"
    when = ui_time(last.at) if last else ui_time(task.updated_at)
    now = state_label(task.state, task.kind)
    return StaleCase(
        f"task {task.case_ref} changed since it was shown (version {task.version}, state {task.state}, "
        f"last change {last.action if last else '?'} by {who}); nothing was done",
        message_no=f"Saken {task.case_ref} er endret siden du åpnet den: {who} {what} {when}. "
                   f"Den har nå status «{now}». Ingenting er lagret eller sendt; se over saken og prøv igjen.",
    )


# Changes to a case's replies that make a page drawn before them stale.
_REPLY_CHANGES = {"reply.edited": "endret svaret", "reply.released": "sendte svaret"}


def _change_words(action: str) -> str:
    """'godkjente den', 'tok saken', ... for the stale-case message."""
    return _REPLY_CHANGES.get(action) or {
        "task.approve": "godkjente den", "task.reject": "avslo den", "task.request_info": "ba om opplysninger",
        "task.provision": "merket den som utført", "task.correct": "rettet felt", "task.take": "tok saken",
        "task.answer": "(avsenderen) svarte", "task.clear": "fikk den klar til vurdering",
        "task.block": "fikk et svar som mangler opplysninger", "task.supersede": "erstattet den",
        "task.confirm_reading": "bekreftet opplesningen", "task.assign": "valgte hvem saken gjelder",
    }.get(action, "endret den")


def guarded(session: Session, ref: int | str, expect_version: int | None, expect_state: str | None = None) -> Task:
    """The case, locked for this unit of work, or StaleCase when it changed since the page was drawn."""
    task = find_task(session, ref, lock=True)
    guard(session, task, expect_version, expect_state)
    return task
