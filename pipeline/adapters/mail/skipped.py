"""Mail the IMAP pre-filter left unread: one row each, so that what the worker leaves is listed and counted
(`pipeline status`, `skipped_counts` for metrics), never silently skipped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import SkippedMail

# Why a mail was left: nothing about it (sender, subject, references, structure, body words) can matter.
NOTHING_TO_READ = "nothing_to_read"


@dataclass(frozen=True)
class Skipped:
    uid: int
    received_at: datetime | None
    sender: str | None
    subject: str | None
    size: int
    reason: str = NOTHING_TO_READ


def add_skipped(session: Session, mailbox: str, uidvalidity: int, rows: list[Skipped]) -> None:
    """Add the rows not stored yet (a chunk scanned again after a crash adds nothing twice); the caller
    commits."""
    if not rows:
        return
    known = set(session.scalars(select(SkippedMail.uid).where(
        SkippedMail.mailbox == mailbox, SkippedMail.uidvalidity == uidvalidity,
        SkippedMail.uid.in_([r.uid for r in rows]))))
    session.add_all(SkippedMail(mailbox=mailbox, uidvalidity=uidvalidity, uid=r.uid, received_at=r.received_at,
                                sender=(r.sender or "")[:320] or None, subject=(r.subject or "")[:1000] or None,
                                size=r.size, reason=r.reason)
                    for r in rows if r.uid not in known)


def skipped_counts(session: Session) -> dict[str, int]:
    """How many mails each mailbox left unread (what a metric exposes)."""
    return {mailbox: count for mailbox, count in session.execute(
        select(SkippedMail.mailbox, func.count()).group_by(SkippedMail.mailbox)).all()}


def recent_skipped(session: Session, limit: int = 20) -> list[SkippedMail]:
    return list(session.scalars(select(SkippedMail).order_by(SkippedMail.id.desc()).limit(limit)))
