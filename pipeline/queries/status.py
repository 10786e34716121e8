"""`pipeline status`: each mailbox's health, last poll and poller, failed messages, counts by outcome, the reply
queue, and the mail the worker left unread (counted per mailbox, the latest listed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from pipeline.adapters.db.models import MailboxState, Message, Reply
from pipeline.adapters.mail.skipped import recent_skipped, skipped_counts
from pipeline.core.clock import aware, now_utc


def health_problem(state: MailboxState | None, minutes: int, now: datetime | None = None) -> str | None:
    """What is wrong with a mailbox's polling, or None. A source that has never polled successfully is
    'never polled' (not a problem by itself) until it has been failing for `minutes`."""
    now = now or now_utc()
    if state is None:
        return None
    if state.login_failed:
        return f"login failed: {state.last_error or 'unknown error'}"
    last = aware(state.last_poll_ok_at)
    if last is None:
        failing_since = aware(state.last_error_at)
        if state.last_error and failing_since and now - failing_since > timedelta(minutes=minutes):
            return f"never polled successfully: {state.last_error}"
        return None
    if now - last > timedelta(minutes=minutes):
        return f"no successful poll for more than {minutes} minutes; {state.last_error or ''}".strip(" ;")
    return None


def status(session: Session, health_minutes: int) -> dict[str, Any]:
    mailboxes = [{
        "mailbox": s.mailbox, "uidvalidity": s.uidvalidity, "last_uid": s.last_uid,
        "last_poll_ok_at": s.last_poll_ok_at, "last_attempt_at": s.last_attempt_at,
        "never_polled": s.last_poll_ok_at is None, "login_failed": bool(s.login_failed),
        "last_error": s.last_error, "problem": health_problem(s, health_minutes), "poller": s.poller,
    } for s in session.scalars(select(MailboxState).order_by(MailboxState.mailbox))]
    outcomes = {k or "retrying": v for k, v in session.execute(
        select(Message.outcome, func.count()).group_by(Message.outcome)).all()}
    failed = [{"id": m.id, "message_id": m.message_id, "sender": m.sender, "subject": m.subject,
               "attempts": m.attempts, "interruptions": m.interruptions, "error": m.error,
               "outcome": m.outcome or "retrying"}
              for m in session.scalars(select(Message).options(defer(Message.raw)).where(
                  (Message.outcome == "failed") | (Message.outcome.is_(None))).order_by(Message.id))]
    replies = {k: v for k, v in session.execute(select(Reply.state, func.count()).group_by(Reply.state)).all()}
    skipped = {"counts": skipped_counts(session), "recent": [
        {"mailbox": k.mailbox, "uid": k.uid, "received_at": k.received_at, "sender": k.sender, "subject": k.subject,
         "size": k.size, "reason": k.reason} for k in recent_skipped(session)]}
    return {"healthy": not any(m["problem"] for m in mailboxes) and not failed, "mailboxes": mailboxes,
            "messages": outcomes, "failed": failed, "replies": replies, "skipped": skipped}
