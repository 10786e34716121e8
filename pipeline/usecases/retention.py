"""Retention: after a configurable time, drop the raw mail and the attached files of settled cases.

`purge` sets Message.raw and Attachment.data to NULL, deletes the pictures of the attachments' pages
(page_image: the same content, drawn) and their renderings (rendering: a Word form's text), and keeps
everything else: the message's metadata (sender, subject, sha256, size, outcome), the attachments'
names, codes and readings, the tasks with their readings, findings and decisions, the replies and the
audit trail. A message is purged when it was taken in more than `older_than` ago, its processing is
finished (a final outcome; a message still waiting for a retry keeps its bytes), and no open task
needs it. A task counts as open until it reaches an end state (provisioned, rejected, superseded): an
approved task still needs its form. A message belongs to a task as the mail that opened it, as the
mail whose attachment is the task's current form (an answer with a corrected form), as a mail a reply
of the task answered, or as an answer recorded in the task's audit trail.

Work goes in batches, each its own transaction, so that a first purge of years of mail neither holds
long locks nor builds one huge transaction. Every purged message gets a `message.purged` audit event
(sizes only, no content) and each run that purged something one `retention.purge` event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, union, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import (
    Attachment,
    AuditEvent,
    Message,
    PageImage,
    Rendering,
    Reply,
    SkippedMail,
    Task,
)
from pipeline.adapters.db.session import unit_of_work
from pipeline.core.domain import ENDED
from pipeline.errors import ConfigError

END_STATES = tuple(sorted(ENDED))
# Outcomes of a message whose processing is over; anything else (NULL, failed) may still be worked on.
FINAL_OUTCOMES = ("queued", "needs_info", "no_form", "unreadable", "duplicate", "auto_reply")
# Audit actions whose details["message"] names a mail that answered the task.
_ANSWER_ACTIONS = ("task.answer", "task.answered_without_form")


@dataclass
class PurgeReport:
    cutoff: datetime
    dry_run: bool
    messages: int = 0  # messages whose raw mail or attachments were (or would be) purged
    attachments: int = 0
    bytes: int = 0  # raw mail and attachment bytes freed
    kept_open: int = 0  # old enough, but an open task still needs them
    message_ids: list[int] = field(default_factory=list)
    skipped: int = 0  # rows listing mail the worker left unread (sender and subject), deleted

    def to_json(self) -> dict[str, Any]:
        return {"cutoff": self.cutoff.isoformat(), "dry_run": self.dry_run, "messages": self.messages,
                "attachments": self.attachments, "bytes": self.bytes, "kept_open": self.kept_open,
                "message_ids": self.message_ids, "skipped": self.skipped}


def _needed_by_open_tasks(session: Session) -> tuple[Any, set[int]]:
    """Message ids an open task needs: a subquery, plus the answers found in the audit trail."""
    is_open = Task.state.not_in(END_STATES)
    linked = union(
        # Not NULL: a removal asked for without a mail has none, and one NULL in a NOT IN list keeps every row.
        select(Task.message_pk.label("id")).where(is_open, Task.message_pk.is_not(None)),
        select(Attachment.message_pk).join(Task, Task.attachment_pk == Attachment.id).where(is_open),
        select(Reply.message_pk).join(Task, Reply.task_id == Task.id)
        .where(is_open, Reply.message_pk.is_not(None)),
    ).subquery()
    open_ids = {str(i) for i in session.scalars(select(Task.id).where(is_open))}
    answers: set[int] = set()
    if open_ids:
        rows = session.execute(select(AuditEvent.entity_id, AuditEvent.details).where(
            AuditEvent.entity == "task", AuditEvent.action.in_(_ANSWER_ACTIONS)))
        answers = {int(d["message"]) for eid, d in rows
                   if eid in open_ids and isinstance(d, dict) and isinstance(d.get("message"), int)}
    return select(linked.c.id), answers


def _candidates(cutoff: datetime) -> Any:
    holds_data = or_(Message.raw.is_not(None),
                     exists().where(Attachment.message_pk == Message.id, Attachment.data.is_not(None)))
    return (Message.ingested_at < cutoff, Message.outcome.in_(FINAL_OUTCOMES), holds_data)


def purge(session_factory: sessionmaker[Session], *, older_than: timedelta, now: datetime | None = None,
          actor: str = audit.SYSTEM, dry_run: bool = False, batch: int = 200) -> PurgeReport:
    """Purge raw mail and attachments of settled messages taken in before now - older_than."""
    if older_than < timedelta(0):
        raise ConfigError(f"retention must not be negative: {older_than}")
    cutoff = (now or datetime.now(UTC)) - older_than
    report = PurgeReport(cutoff=cutoff, dry_run=dry_run)
    after = 0
    while True:
        with unit_of_work(session_factory) as session:
            needed, answers = _needed_by_open_tasks(session)
            q = (select(Message.id).where(*_candidates(cutoff), Message.id > after, Message.id.not_in(needed))
                 .order_by(Message.id).limit(batch))
            if answers:
                q = q.where(Message.id.not_in(answers))
            if not dry_run and session.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)  # a worker holding the row is busy with it: next run
            ids = list(session.scalars(q))
            if not ids:
                report.kept_open = _count_kept(session, cutoff, needed, answers)
                # The list of mail left unread names senders and subjects: it goes with the same retention.
                old = SkippedMail.seen_at < cutoff
                report.skipped = int(session.scalar(select(func.count()).select_from(SkippedMail).where(old)) or 0)
                if report.skipped and not dry_run:
                    session.execute(delete(SkippedMail).where(old))
                if report.messages and not dry_run:
                    audit.record(session, actor, "retention.purge", "message", None,
                                 {**report.to_json(), "message_ids": None,
                                  "older_than_days": older_than / timedelta(days=1)})
                return report
            after = ids[-1]
            _purge_batch(session, ids, report, actor=actor, dry_run=dry_run, older_than=older_than)


def _count_kept(session: Session, cutoff: datetime, needed: Any, answers: set[int]) -> int:
    kept = or_(Message.id.in_(needed), Message.id.in_(answers)) if answers else Message.id.in_(needed)
    return session.scalar(select(func.count(Message.id)).where(*_candidates(cutoff), kept)) or 0


def _purge_batch(session: Session, ids: list[int], report: PurgeReport, *, actor: str, dry_run: bool,
                 older_than: timedelta) -> None:
    raw_sizes = {mid: size for mid, size in session.execute(
        select(Message.id, func.coalesce(func.length(Message.raw), 0)).where(Message.id.in_(ids)))}
    files: dict[int, tuple[int, int]] = {
        mid: (n, size or 0) for mid, n, size in session.execute(
            select(Attachment.message_pk, func.count(Attachment.id), func.sum(func.length(Attachment.data)))
            .where(Attachment.message_pk.in_(ids), Attachment.data.is_not(None))
            .group_by(Attachment.message_pk))}
    for mid in ids:
        n, size = files.get(mid, (0, 0))
        report.messages += 1
        report.attachments += n
        report.bytes += int(raw_sizes.get(mid, 0)) + int(size)
        report.message_ids.append(mid)
        if not dry_run:
            audit.record(session, actor, "message.purged", "message", mid,
                         {"raw_bytes": int(raw_sizes.get(mid, 0)), "attachments": n, "attachment_bytes": int(size),
                          "older_than_days": older_than / timedelta(days=1)})
    if dry_run:
        return
    session.execute(update(Message).where(Message.id.in_(ids)).values(raw=None)
                    .execution_options(synchronize_session=False))
    session.execute(update(Attachment).where(Attachment.message_pk.in_(ids), Attachment.data.is_not(None))
                    .values(data=None).execution_options(synchronize_session=False))
    for drawn in (PageImage, Rendering):  # the file's content, drawn or rendered for the case page
        session.execute(delete(drawn).where(drawn.attachment_id.in_(
            select(Attachment.id).where(Attachment.message_pk.in_(ids)))).execution_options(synchronize_session=False))
