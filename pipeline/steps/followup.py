"""Following a task up: which task a mail answers, and reminders for unanswered requests (counted in
Norwegian working days: pipeline.core.workdays)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import Message, Reply, Task
from pipeline.core.clock import aware
from pipeline.core.workdays import add_working_days
from pipeline.settings import Settings
from pipeline.steps import replies

__all__ = ["add_working_days", "find_task_for_reply", "send_reminders"]

_CASE_REF = re.compile(r"\[\s*IMDi-skjema\s+(\d{4}-\d{4,})\s*\]", re.IGNORECASE)
_MSGID = re.compile(r"<[^<>\s]+>")


def find_task_for_reply(session: Session, message: Message) -> Task | None:
    """The task a mail answers: by the case reference in its subject, else by In-Reply-To/References."""
    task: Task | None = None
    match = _CASE_REF.search(message.subject or "")
    if match:
        task = session.scalar(select(Task).where(Task.case_ref == match.group(1)))
    if task is None:
        ids = _MSGID.findall(" ".join(filter(None, (message.in_reply_to, message.references))))
        if ids:
            reply = session.scalars(select(Reply).where(Reply.rfc_message_id.in_(ids), Reply.task_id.is_not(None))
                                    .order_by(Reply.id.desc())).first()
            if reply is not None:
                task = session.get(Task, reply.task_id)
            else:
                task = session.scalars(select(Task).join(Message, Message.id == Task.message_pk)
                                       .where(Message.message_id.in_(ids), Message.id != message.id)
                                       .order_by(Task.id.desc())).first()
    seen = set()
    while task is not None and task.superseded_by_id and task.id not in seen:  # follow to the live task
        seen.add(task.id)
        task = session.get(Task, task.superseded_by_id)
    return task


def send_reminders(session: Session, now: datetime | None = None, working_days: int | None = None, *,
                   settings: Settings) -> int:
    """One reminder per request for information left unanswered for `working_days` working days
    (default: settings.reminder_working_days)."""
    if working_days is None:
        working_days = settings.reminder_working_days
    now = now or datetime.now(UTC)
    count = 0
    # SKIP LOCKED: several workers run this each cycle; a task another one is reminding is left to it.
    tasks = session.scalars(select(Task).where(Task.state == "needs_info", Task.reminder_sent_at.is_(None))
                            .order_by(Task.id).with_for_update(skip_locked=True)).all()
    for task in tasks:
        since = aware(task.state_changed_at or task.created_at)
        answered = aware(task.answered_at)
        if since is None or (answered and answered >= since) or add_working_days(since, working_days) > now:
            continue
        if not _was_asked(session, task):
            continue  # the request itself never left (suppressed, held for a person): nothing to remind of
        task.reminder_sent_at = now
        reply = replies.draft_reply(session, kind="reminder", task=task, automatic=True, settings=settings)
        audit.record(session, audit.SYSTEM, "task.reminded", "task", task.id,
                     {"reply": reply.id if reply else None, "working_days": working_days})
        count += 1 if reply else 0
    return count


def _was_asked(session: Session, task: Task) -> bool:
    """A request for information to this task's sender is on its way or gone (not only drafted,
    suppressed by the loop guard or a no-reply address, or cancelled)."""
    return session.scalar(select(Reply.id).where(Reply.task_id == task.id, Reply.kind == "needs_info",
                                                 Reply.state.not_in(("draft", "cancelled"))).limit(1)) is not None
