"""Which workers are alive: one lease per worker process, renewed by a heartbeat thread of its own.

Liveness is one idea. A worker holds a lease (WorkerHeartbeat.lease_until) that each beat renews; while
it runs, the worker is alive, and once it runs out (the worker was killed, froze under SIGSTOP, lost its
database) everything the worker held is free at once, whatever it was:

- the mailbox it polls (MailboxState.poller names it): a standby takes the mailbox over (`hold_mailbox`);
- the replies it claimed for sending (Reply.claimed_by): any worker's next cycle sends them again.

A worker on this machine whose process is gone is marked stopped at once (`reap`), without waiting for
its lease. (A worker killed after the relay accepted a reply and before it recorded 'sent' thus repeats
that reply sooner; it carries the same Message-ID, see pipeline.steps.replies.)

A frozen worker that wakes up finds another poller named on its mailbox and stands by; it checks before
each message it takes, so at most the message in its hands overlaps, and the claim on each message
(pipeline.usecases.ingest) keeps that from being taken twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.models import MailboxState, Reply, WorkerHeartbeat
from pipeline.adapters.db.session import unit_of_work
from pipeline.core.clock import now_utc
from pipeline.usecases import mailboxes

log = logging.getLogger(__name__)

BEAT_SECONDS = 10.0
LEASE = timedelta(seconds=40)  # four missed beats: the worker is gone
STALE = LEASE  # a row written before leases (no lease_until) is judged by its last beat


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def register(session_factory: sessionmaker[Session], worker_id: str, lease: timedelta = LEASE) -> None:
    now = now_utc()
    host, pid, _ = worker_id.rsplit(":", 2)
    with unit_of_work(session_factory) as session:
        session.add(WorkerHeartbeat(worker_id=worker_id, host=host, pid=int(pid), started_at=now, beat_at=now,
                                    lease_until=now + lease))


def beat(session_factory: sessionmaker[Session], worker_id: str, lease: timedelta = LEASE) -> None:
    now = now_utc()
    with unit_of_work(session_factory) as session:
        session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id,
                                                      WorkerHeartbeat.stopped_at.is_(None))
                        .values(beat_at=now, lease_until=now + lease))


def stop(session_factory: sessionmaker[Session], worker_id: str) -> None:
    with unit_of_work(session_factory) as session:
        session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id)
                        .values(stopped_at=now_utc()))
        session.execute(update(MailboxState).where(MailboxState.poller == worker_id).values(poller=None))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def reap(session_factory: sessionmaker[Session]) -> list[str]:
    """Mark as stopped the workers of this machine whose process is gone (a kill -9, a crash); their ids."""
    host = socket.gethostname()
    with unit_of_work(session_factory) as session:
        rows = session.execute(select(WorkerHeartbeat.worker_id, WorkerHeartbeat.pid).where(
            WorkerHeartbeat.host == host, WorkerHeartbeat.stopped_at.is_(None))).all()
        dead = [worker_id for worker_id, pid in rows if pid != os.getpid() and not _pid_alive(pid)]
        if dead:
            session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id.in_(dead))
                            .values(stopped_at=now_utc()))
    for worker_id in dead:
        log.warning("worker %s is gone (its process no longer exists): its mailbox and claimed replies are free",
                    worker_id)
    return dead


def _alive_ids(now: datetime):  # type: ignore[no-untyped-def]
    """The ids of the workers whose lease runs (a row without a lease: by its last beat)."""
    return select(WorkerHeartbeat.worker_id).where(
        WorkerHeartbeat.stopped_at.is_(None),
        or_(WorkerHeartbeat.lease_until > now,
            and_(WorkerHeartbeat.lease_until.is_(None), WorkerHeartbeat.beat_at > now - STALE)))


def holder_gone(now: datetime) -> ColumnElement[bool]:
    """Reply.claimed_by names a worker that is not alive (stopped, lease run out, or never known)."""
    return and_(Reply.claimed_by.is_not(None), Reply.claimed_by.not_in(_alive_ids(now)))


def hold_mailbox(session_factory: sessionmaker[Session], mailbox: str, worker_id: str) -> bool:
    """Take or keep the mailbox for this worker: True when it is ours now. It is free when nobody polls it
    or its poller's lease ran out (one compare-and-set, so two standbys never both take it)."""
    mailboxes.ensure_state(session_factory, mailbox)
    now = now_utc()
    with unit_of_work(session_factory) as session:
        before = session.scalar(select(MailboxState.poller).where(MailboxState.mailbox == mailbox))
        taken = session.execute(update(MailboxState).where(
            MailboxState.mailbox == mailbox,
            or_(MailboxState.poller.is_(None), MailboxState.poller == worker_id,
                MailboxState.poller.not_in(_alive_ids(now))),
            # Our own lease must run too: a worker that woke up after losing it does not take it back
            # before its heartbeat has renewed it.
            select(WorkerHeartbeat.worker_id).where(WorkerHeartbeat.worker_id == worker_id,
                                                    WorkerHeartbeat.stopped_at.is_(None),
                                                    WorkerHeartbeat.lease_until > now).exists(),
        ).values(poller=worker_id).execution_options(synchronize_session=False))
        got = bool(getattr(taken, "rowcount", 0))
    if got and before not in (None, worker_id):
        log.warning("mailbox %s: its poller %s stopped renewing its lease; taken over by %s", mailbox, before,
                    worker_id)
    return got


def release_mailbox(session_factory: sessionmaker[Session], mailbox: str, worker_id: str) -> None:
    with unit_of_work(session_factory) as session:
        session.execute(update(MailboxState).where(MailboxState.mailbox == mailbox,
                                                   MailboxState.poller == worker_id).values(poller=None))


class Heartbeat:
    """Renews a worker's lease every `beat` from a daemon thread, whatever the worker is doing (an IMAP
    IDLE may block for minutes), until stopped."""

    def __init__(self, session_factory: sessionmaker[Session], worker_id: str, *, beat_seconds: float = BEAT_SECONDS,
                 lease: timedelta = LEASE) -> None:
        self.session_factory = session_factory
        self.worker_id = worker_id
        self.beat_seconds = beat_seconds
        self.lease = lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        register(self.session_factory, self.worker_id, self.lease)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.beat_seconds):
            try:
                beat(self.session_factory, self.worker_id, self.lease)
            except Exception:  # noqa: BLE001 - the database may be away for a while; the next beat tries again
                log.warning("heartbeat of %s failed", self.worker_id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(Exception):
            stop(self.session_factory, self.worker_id)
