"""Which workers are alive: one heartbeat row per worker process, beaten from a thread of its own.

A reply a worker claimed for sending carries that worker's id (Reply.claimed_by). When the worker is
gone — it stopped, its heartbeat is older than STALE, or it ran on this machine and its process no
longer exists — its 'sending' replies are claimed again at the next cycle of any worker, instead of
after the ten-minute lease. (A worker killed after the relay accepted a reply and before it recorded
'sent' thus repeats that reply sooner; it carries the same Message-ID, see pipeline.steps.replies.)
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.models import Reply, WorkerHeartbeat
from pipeline.adapters.db.session import unit_of_work
from pipeline.core.clock import now_utc

log = logging.getLogger(__name__)

BEAT_SECONDS = 15.0
STALE = timedelta(seconds=60)  # four missed beats: the worker is gone


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def register(db: sessionmaker[Session], worker_id: str) -> None:
    now = now_utc()
    host, pid, _ = worker_id.rsplit(":", 2)
    with unit_of_work(db) as session:
        session.add(WorkerHeartbeat(worker_id=worker_id, host=host, pid=int(pid), started_at=now, beat_at=now))


def beat(db: sessionmaker[Session], worker_id: str) -> None:
    with unit_of_work(db) as session:
        session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id)
                        .values(beat_at=now_utc()))


def stop(db: sessionmaker[Session], worker_id: str) -> None:
    with unit_of_work(db) as session:
        session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id)
                        .values(stopped_at=now_utc()))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def reap(db: sessionmaker[Session]) -> list[str]:
    """Mark as stopped the workers of this machine whose process is gone (a kill -9, a crash); their ids."""
    host = socket.gethostname()
    with unit_of_work(db) as session:
        rows = session.execute(select(WorkerHeartbeat.worker_id, WorkerHeartbeat.pid).where(
            WorkerHeartbeat.host == host, WorkerHeartbeat.stopped_at.is_(None))).all()
        dead = [worker_id for worker_id, pid in rows if pid != os.getpid() and not _pid_alive(pid)]
        if dead:
            session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id.in_(dead))
                            .values(stopped_at=now_utc()))
    for worker_id in dead:
        log.warning("worker %s is gone (its process no longer exists): its claimed replies are sent again",
                    worker_id)
    return dead


def holder_gone(now: datetime) -> ColumnElement[bool]:
    """Reply.claimed_by names a worker that is not alive (stopped, silent for STALE, or never known)."""
    alive = select(WorkerHeartbeat.worker_id).where(WorkerHeartbeat.stopped_at.is_(None),
                                                    WorkerHeartbeat.beat_at > now - STALE)
    return and_(Reply.claimed_by.is_not(None), Reply.claimed_by.not_in(alive))


class Heartbeat:
    """Beats a worker's row every BEAT_SECONDS from a daemon thread, whatever the worker is doing (an
    IMAP IDLE may block for minutes), until stopped."""

    def __init__(self, db: sessionmaker[Session], worker_id: str) -> None:
        self.db = db
        self.worker_id = worker_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        register(self.db, self.worker_id)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(BEAT_SECONDS):
            try:
                beat(self.db, self.worker_id)
            except Exception:  # noqa: BLE001 - the database may be away for a while; the next beat tries again
                log.warning("heartbeat of %s failed", self.worker_id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(Exception):
            stop(self.db, self.worker_id)


