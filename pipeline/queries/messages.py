"""The messages taken in: each with its outcome, its attachments and the cases it made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer, selectinload

from pipeline.adapters.db.models import Attachment, Message, Task
from pipeline.queries.view_rows import MessageView, TaskView, message_view, task_view


@dataclass(frozen=True)
class MessagesPage:
    messages: list[MessageView]
    tasks: dict[int, list[TaskView]]  # message id -> the cases it made
    counts: dict[str | None, int]  # messages per outcome (None: being processed)
    total: int


def messages_page(session: Session, *, outcome: str | None, processing: bool = False, sender_prefix: str = "",
                  page: int = 1, page_size: int = 50) -> MessagesPage:
    """Newest first. `processing`: only messages still being processed (no outcome yet)."""
    stmt = select(Message)
    if outcome:
        stmt = stmt.where(Message.outcome == outcome)
    elif processing:
        stmt = stmt.where(Message.outcome.is_(None))
    if sender_prefix:
        # Sender addresses are indexed: a prefix range serves "kari@" or the whole address.
        low = sender_prefix.lower()
        stmt = stmt.where(Message.sender >= low, Message.sender < low + "\U0010ffff")
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(
        stmt.options(defer(Message.raw), selectinload(Message.attachments).defer(Attachment.data)
                     .defer(Attachment.reading))
        .order_by(Message.received_at.desc(), Message.id.desc()).limit(page_size).offset((page - 1) * page_size)))
    ids = [m.id for m in rows]
    tasks: dict[int, list[TaskView]] = {i: [] for i in ids}
    if ids:
        for t in session.scalars(select(Task).options(defer(Task.reading)).where(Task.message_pk.in_(ids))):
            if t.message_pk is not None:  # (always, given the filter: removals without a mail have none)
                tasks[t.message_pk].append(task_view(t, with_reading=False, centres=[], findings=[]))
    counts = dict(session.execute(select(Message.outcome, func.count()).group_by(Message.outcome)).all())
    return MessagesPage([message_view(m, list(m.attachments)) for m in rows], tasks, counts, total)


def message(session: Session, message_id: int) -> MessageView | None:
    row = session.scalar(select(Message).options(defer(Message.raw)).where(Message.id == message_id))
    return message_view(row) if row is not None else None


def message_rows(session: Session, outcome: str | None = None, limit: int = 1000, *,
                 with_time: bool = False) -> list[dict[str, Any]]:
    """`pipeline messages list --json` (DESIGN.md's contract), oldest first; `with_time` adds received_at."""
    query = (select(Message).options(defer(Message.raw), selectinload(Message.attachments).defer(Attachment.data))
             .order_by(Message.id).limit(limit))
    if outcome == "retrying":
        query = query.where(Message.outcome.is_(None))
    elif outcome:
        query = query.where(Message.outcome == outcome)
    return [{
        "id": m.id, "message_id": m.message_id, "sender": m.sender, "subject": m.subject,
        "outcome": m.outcome if m.outcome or not m.error else "retrying",
        "attachments": [{"filename": a.filename, "code": a.code} for a in m.attachments],
        **({"received_at": m.received_at} if with_time else {}),
    } for m in session.scalars(query)]
