"""Sending due replies: each reply is claimed in a short unit of work of its own, sent through the outbox,
and its outcome recorded in another, so that a slow relay holds no lock (the states: pipeline.steps.replies)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import Reply
from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.outbox import Outbox, build_message
from pipeline.core.clock import now_utc
from pipeline.errors import PipelineError
from pipeline.steps import reply_states
from pipeline.usecases import worker_leases as workers

log = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    """1, 5, 25 minutes, ... capped at 6 hours."""
    return timedelta(seconds=min(60 * 5 ** max(attempts - 1, 0), 6 * 3600))


def _claim(session_factory: sessionmaker[Session], now: datetime, lease: timedelta, holder: str | None = None) -> int | None:
    """Mark one due reply 'sending' and commit; its id, -1 when another worker took it first, None: none due."""
    try:
        return _claim_one(session_factory, now, lease, holder)
    except OperationalError as exc:  # SQLite: another writer got in between our read and our write
        log.info("claiming a reply lost a race: %s", exc.orig)
        return -1


def _claim_one(session_factory: sessionmaker[Session], now: datetime, lease: timedelta, holder: str | None) -> int | None:
    with unit_of_work(session_factory) as session:
        due = or_(
            (Reply.state == "queued") & (or_(Reply.next_attempt_at.is_(None), Reply.next_attempt_at <= now)),
            (Reply.state == "failed") & (Reply.next_attempt_at <= now),
            # A sender that crashed mid-send: its lease expired, or it is known to be gone.
            (Reply.state == "sending") & or_(Reply.next_attempt_at <= now, workers.holder_gone(now)),
        )
        q = select(Reply).where(due).order_by(Reply.id).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        reply = session.scalars(q).first()
        if reply is None:
            return None
        if reply.state == "sending":
            log.warning("reply %s was left in 'sending' (crash?): sending again with the same Message-ID", reply.id)
            audit.record(session, audit.SYSTEM, "reply.resend_after_crash", "reply", reply.id, {})
        # Compare-and-set (state and attempts) so that two workers on SQLite (no SKIP LOCKED) cannot both
        # claim it, not even a reply left in 'sending' whose lease both see expired.
        left = reply_states.move(session, reply.id, "sending", only_from=(reply.state,),
                                 also=Reply.attempts == reply.attempts,
                                 attempts=reply.attempts + 1, next_attempt_at=now + lease, claimed_by=holder)
        return reply.id if left is not None else -1


def send_due(session_factory: sessionmaker[Session], outbox: Outbox, *, now: datetime | None = None,
             max_attempts: int = 6, lease: timedelta = timedelta(minutes=10), limit: int = 100,
             holder: str | None = None) -> int:
    """Send every reply that is due; returns how many were sent. `holder`: the worker's id (its
    heartbeat), written on each claim so that another worker can tell when the claimer is gone."""
    sent = 0
    for _ in range(limit):
        at = now or now_utc()
        reply_id = _claim(session_factory, at, lease, holder)
        if reply_id is None:
            break
        if reply_id >= 0 and _send_one(session_factory, outbox, reply_id, at, max_attempts):
            sent += 1
    return sent


def _send_one(session_factory: sessionmaker[Session], outbox: Outbox, reply_id: int, at: datetime, max_attempts: int) -> bool:
    """Send one claimed reply; True when the relay took it."""
    with session_factory() as session:
        reply = session.get(Reply, reply_id)
        assert reply is not None
        attempts = reply.attempts
        message = build_message(reply, outbox.sender)
    recorded: list[bool] = []

    def accepted() -> None:
        # The relay has the message: nothing happens before this commit that could lose the fact.
        with unit_of_work(session_factory) as session:
            reply_states.move(session, reply_id, "sent", only_from=("sending",), sent_at=now_utc(),
                              next_attempt_at=None, last_error=None)
            audit.record(session, audit.SYSTEM, "reply.sent", "reply", reply_id, {"attempts": attempts})
        recorded.append(True)

    try:
        outbox.send(message, reply_id, accepted)
    except PipelineError as exc:
        if recorded:
            # Accepted and recorded; only the goodbye (QUIT) failed.
            log.info("reply %s sent; the relay's connection ended badly afterwards: %s", reply_id, exc.message)
            return True
        permanent = bool(getattr(exc, "permanent", False)) or attempts >= max_attempts
        with unit_of_work(session_factory) as session:
            reply_states.move(session, reply_id, "failed", only_from=("sending",), last_error=exc.message[:2000],
                              next_attempt_at=None if permanent else at + backoff(attempts))
            audit.record(session, audit.SYSTEM, "reply.failed", "reply", reply_id,
                         {"error": exc.message[:500], "attempts": attempts, "gave_up": permanent})
        log.warning("reply %s not sent (attempt %s): %s", reply_id, attempts, exc.message)
        return False
    if not recorded:  # an outbox that does not call back: record it now
        accepted()
    return True
