"""The worker loop: take in new mail (IDLE or polling), mark it after commit, draft reminders for
requests left unanswered, send due replies; every cycle, with or without --once.

One poller per mailbox: on PostgreSQL the worker holds an advisory lock on the mailbox's name for as
long as it polls, so several workers against one database never take the same mailbox twice at once
(on SQLite, a single-machine set-up, there is no lock: run one worker). Retries of failed messages
are claimed row by row (FOR UPDATE SKIP LOCKED on PostgreSQL), so any number of workers can share them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import signal
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.models import MailboxState
from pipeline.adapters.db.session import prepare, session_factory, unit_of_work
from pipeline.adapters.mail.imap import ImapSource
from pipeline.adapters.mail.mailbox_state import ensure_mailbox_state
from pipeline.adapters.mail.sources import DirSource, SourceRef
from pipeline.errors import ConfigError, DatabaseError, SourceError
from pipeline.queries.status import health_problem
from pipeline.settings import Settings, WorkerSettings
from pipeline.usecases import worker_leases as workers
from pipeline.usecases.ingest import ingest, retry_pending

log = logging.getLogger(__name__)


@dataclass
class WorkerStats:
    outcomes: Counter[str] = field(default_factory=Counter)
    cycles: int = 0
    seen: int = 0  # messages offered by the source (already-taken ones included)
    marked: int = 0
    replies_sent: int = 0
    reminders: int = 0
    review_reminders: int = 0


def make_source(spec: str, factory: sessionmaker[Session], settings: Settings, *,
                since: date | None = None) -> DirSource | ImapSource:
    if spec.startswith("dir:"):
        return DirSource(spec[4:])
    if spec == "imap":
        return ImapSource(settings.imap, factory, since=since)
    raise ConfigError(f"unknown source {spec!r}: use imap or dir:PATH")


class Worker:
    def __init__(self, settings: Settings, *, source: str = "dir:inbox_fixtures", since: date | None = None,
                 config: WorkerSettings | None = None) -> None:
        self.settings = settings
        self.config = config or settings.worker
        # No connection yet: start() brings the database up to date, retrying while it cannot be reached.
        self.factory = session_factory(settings)
        self.source = make_source(source, self.factory, settings, since=since)
        self.stats = WorkerStats()
        self.stop = threading.Event()
        self.worker_id = workers.new_worker_id()
        self._heartbeat: workers.Heartbeat | None = None
        self._lock_conn: Connection | None = None

    def start(self, *, once: bool = False) -> bool:
        """Bring the database up to date and register this worker's heartbeat. A database that cannot be
        reached, or a full disk, is retried with backoff (up to 5 minutes apart) until it works or the
        worker is stopped; with `once` the first failure is the answer. False: stopped before it started."""
        backoff = 1.0
        while not self.stop.is_set():
            try:
                prepare(self.settings, self.factory)
                workers.reap(self.factory)
                self._heartbeat = workers.Heartbeat(self.factory, self.worker_id)
                self._heartbeat.start()
                return True
            except (DatabaseError, OSError) as exc:
                if once:
                    raise
                reason = exc.message if isinstance(exc, DatabaseError) else f"{exc.strerror or exc}"
                log.error("cannot start: %s; trying again in %.0f s", reason, backoff)
                self.stop.wait(backoff)
                backoff = min(backoff * 2, 300.0)
        return False

    # --- one pass ----------------------------------------------------------------------------------

    def cycle(self) -> None:
        """Retry failed messages, take in new mail, draft due reminders (requests and access reviews), send
        due replies."""
        self.stats.cycles += 1
        for result in retry_pending(self.factory, settings=self.settings, max_attempts=self.config.max_attempts):
            self._after(result)
        if self._have_mailbox():
            for incoming in self.source.fetch_new():
                self.stats.seen += 1
                result = ingest(self.factory, incoming.raw, source=incoming.source, settings=self.settings,
                                max_attempts=self.config.max_attempts)
                self._after(result, incoming.source)
                if self.stop.is_set():
                    break
            self._poll_ok()
        self._send_replies()

    def _after(self, result, where: SourceRef | None = None) -> None:  # type: ignore[no-untyped-def]
        """Count, and mark taken mail on the server (after its commit). `where` is where the source
        found it now, which differs from the stored reference after a UIDVALIDITY change."""
        message = result.message
        if result.new and message.outcome:
            self.stats.outcomes[message.outcome] += 1
        if where is None and message.mailbox == getattr(self.source, "name", None):
            where = SourceRef(message.mailbox, message.uidvalidity, message.uid)
        if result.taken and where is not None and self.source.mark_taken(where):
            self.stats.marked += 1

    def _send_replies(self) -> None:
        from pipeline.adapters.outbox import outbox_from_settings
        from pipeline.usecases.reminders import remind_due
        from pipeline.usecases.reply_sending import send_due
        from pipeline.usecases.review_campaigns import remind_overdue

        try:
            # Reminders first, so that one drafted now goes out in this very cycle.
            self.stats.reminders += remind_due(self.factory, settings=self.settings)
        except Exception:  # noqa: BLE001 - a failed reminder pass must not stop the intake
            log.exception("drafting reminders failed")
        try:
            self.stats.review_reminders += remind_overdue(self.factory, settings=self.settings)
        except Exception:  # noqa: BLE001 - likewise
            log.exception("drafting review reminders failed")
        try:
            workers.reap(self.factory)  # a worker of this machine killed mid-send: its replies go out now
            self.stats.replies_sent += send_due(self.factory, outbox_from_settings(self.settings),
                                                holder=self.worker_id)
        except Exception:  # noqa: BLE001 - a broken outbox must not stop the intake
            log.exception("sending replies failed")

    # --- the loop ----------------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> WorkerStats:
        backoff = 1.0
        try:
            if not self.start(once=once):
                return self.stats
            while not self.stop.is_set():
                try:
                    self.cycle()
                    backoff = 1.0
                    if once:
                        break
                    self._wait()
                except SourceError as exc:
                    self._poll_failed(exc)
                    if once:
                        raise
                    log.warning("mailbox %s: %s; retrying in %.0f s", self.source.name, exc.message, backoff)
                    self.stop.wait(backoff)
                    backoff = min(backoff * 2, 300.0)
                except Exception:  # e.g. the database went away: keep the worker alive, try again later
                    if once:
                        raise
                    log.exception("worker cycle failed; retrying in %.0f s", backoff)
                    self.source.close()
                    self.stop.wait(backoff)
                    backoff = min(backoff * 2, 300.0)
                self.check_health()
        finally:
            self.source.close()
            self._release_lock()
            if self._heartbeat is not None:
                self._heartbeat.stop()
        return self.stats

    def _wait(self) -> None:
        config = getattr(self.source, "config", None)
        wait = getattr(self.source, "wait", None)
        if wait is not None and config is not None and (self._lock_conn is not None or not self._is_pg()):
            # IDLE (or a poll interval), ended at least every idle_renew_seconds by returning here.
            wait(float(config.idle_renew_seconds if config.idle else config.poll_seconds))
        else:
            self.stop.wait(float(getattr(config, "poll_seconds", self.config.poll_seconds)))

    # --- health ------------------------------------------------------------------------------------

    def _poll_ok(self) -> None:
        ensure_mailbox_state(self.factory, self.source.name)
        with unit_of_work(self.factory) as session:
            state = session.get(MailboxState, self.source.name, with_for_update=True)
            assert state is not None
            state.last_poll_ok_at = state.last_attempt_at = datetime.now(UTC)
            state.login_failed = False
            state.last_error = None

    def _poll_failed(self, exc: SourceError) -> None:
        ensure_mailbox_state(self.factory, self.source.name)
        with unit_of_work(self.factory) as session:
            state = session.get(MailboxState, self.source.name, with_for_update=True)
            assert state is not None
            state.last_error = exc.message[:2000]
            state.last_error_at = state.last_attempt_at = datetime.now(UTC)
            state.login_failed = exc.code == "mail.login_failed"

    def check_health(self) -> bool:
        with self.factory() as session:
            state = session.get(MailboxState, self.source.name)
        problem = health_problem(state, self.config.health_minutes)
        if problem:
            log.error("mailbox %s: %s", self.source.name, problem)
        return problem is None

    # --- one poller per mailbox --------------------------------------------------------------------

    def _is_pg(self) -> bool:
        return self.settings.db_url.startswith("postgresql")

    def _have_mailbox(self) -> bool:
        if not self._is_pg():
            return True
        if self._lock_conn is not None:
            return True
        key = self._lock_key()
        conn = self.factory.kw["bind"].connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        if got:
            self._lock_conn = conn
            return True
        conn.close()
        log.info("another worker polls %s", self.source.name)
        return False

    def _lock_key(self) -> int:
        return int.from_bytes(hashlib.sha256(self.source.name.encode()).digest()[:8], "big", signed=True)

    def _release_lock(self) -> None:
        if self._lock_conn is not None:
            # Unlock explicitly: close() only returns the connection to the pool, lock and all.
            with contextlib.suppress(Exception):
                self._lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._lock_key()})
                self._lock_conn.commit()
            self._lock_conn.close()
            self._lock_conn = None


def install_signal_handlers(worker: Worker) -> None:
    def _stop(signum, _frame):  # type: ignore[no-untyped-def]
        log.info("signal %s: stopping after the current message", signum)
        worker.stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

