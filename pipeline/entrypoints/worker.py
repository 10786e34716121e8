"""The worker loop: take in new mail (IDLE or polling), mark it after commit, draft reminders for
requests left unanswered, send due replies; every cycle, with or without --once.

One poller per mailbox: the mailbox is held by one worker's lease (pipeline.usecases.worker_leases), the same
lease that holds the replies it sends, on SQLite and PostgreSQL alike. A worker that stops renewing it
(killed, frozen) loses the mailbox as it loses its replies, and a standby takes it over at its next
cycle. Retries of failed messages are claimed row by row, so any number of workers can share them.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.models import MailboxState, Message
from pipeline.adapters.db.session import database_error, prepare, session_factory
from pipeline.adapters.mail.imap import ImapSource
from pipeline.adapters.mail.sources import DirSource, SourceRef
from pipeline.adapters.systemd import notify
from pipeline.errors import ConfigError, DatabaseBusy, DatabaseError, DiskFull, SourceError
from pipeline.queries.status import health_problem
from pipeline.settings import Settings, WorkerSettings
from pipeline.usecases import mailboxes
from pipeline.usecases import worker_leases as workers
from pipeline.usecases.ingest import IngestResult, ingest, retry_pending

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


def make_source(spec: str, session_factory: sessionmaker[Session], settings: Settings, *,
                since: date | None = None) -> DirSource | ImapSource:
    limit = settings.limits.max_message_bytes
    if spec.startswith("dir:"):
        return DirSource(spec[4:], max_bytes=limit)
    if spec == "imap":
        book = mailboxes.MailboxBook(session_factory, settings.imap.mailbox, settings.reply_domain)
        return ImapSource(settings.imap, book, since=since, max_bytes=limit)
    raise ConfigError(f"unknown source {spec!r}: use imap or dir:PATH")


class Worker:
    def __init__(self, settings: Settings, *, source: str = "dir:inbox_fixtures", since: date | None = None,
                 config: WorkerSettings | None = None) -> None:
        self.settings = settings
        self.config = config or settings.worker
        # No connection yet: start() brings the database up to date, retrying while it cannot be reached.
        self.session_factory = session_factory(settings)
        self.source = make_source(source, self.session_factory, settings, since=since)
        self.stats = WorkerStats()
        self.stop = threading.Event()
        self.worker_id = workers.new_worker_id()
        self._heartbeat: workers.Heartbeat | None = None
        self._holds_mailbox = False

    def start(self, *, once: bool = False) -> bool:
        """Bring the database up to date and register this worker's heartbeat. A database that cannot be
        reached, or a full disk, is retried with backoff (up to 5 minutes apart) until it works or the
        worker is stopped; with `once` the first failure is the answer. False: stopped before it started."""
        backoff = 1.0
        while not self.stop.is_set():
            try:
                prepare(self.settings, self.session_factory)
                workers.reap(self.session_factory)
                self._heartbeat = workers.Heartbeat(self.session_factory, self.worker_id,
                                                    beat_seconds=float(self.config.beat_seconds),
                                                    lease=timedelta(seconds=self.config.lease_seconds))
                self._heartbeat.start()
                return True
            except (DatabaseError, OSError) as exc:
                if once:
                    raise
                reason = exc.message if isinstance(exc, DatabaseError) else f"{exc.strerror or exc}"
                log.error("cannot start: %s; trying again in %.0f s", reason, backoff)
                notify(f"STATUS=waiting for the database: {reason}")
                notify("WATCHDOG=1")  # waiting for the database is not hanging
                self.stop.wait(backoff)
                backoff = min(backoff * 2, 300.0)
        return False

    # --- one pass ----------------------------------------------------------------------------------

    def cycle(self) -> None:
        """Retry failed messages, take in new mail, draft due reminders (requests and access reviews), send
        due replies."""
        self.stats.cycles += 1
        self._holds_mailbox = self._have_mailbox()
        for result in retry_pending(self.session_factory, settings=self.settings, max_attempts=self.config.max_attempts):
            self._after(result)
        if self._holds_mailbox:
            self._settle_marks()
            for incoming in self.source.fetch_new():
                if not self._have_mailbox():
                    # Our lease ran out (we were frozen) and a standby polls now: leave the rest to it.
                    self._holds_mailbox = False
                    self.source.close()
                    break
                self.stats.seen += 1
                result = ingest(self.session_factory, incoming.raw, source=incoming.source, settings=self.settings,
                                max_attempts=self.config.max_attempts, size=incoming.size)
                self._after(result, incoming.source)
                notify("WATCHDOG=1")  # a long batch is progress, not a hang
                if self.stop.is_set():
                    break
            if self._holds_mailbox:
                self._poll_ok()
        self._send_replies()

    def _after(self, result: IngestResult, where: SourceRef | None = None) -> None:
        """Count, and mark taken mail on the server (after its commit). `where` is where the source
        found it now, which differs from the stored reference after a UIDVALIDITY change. A mark not
        made now (a standby, a connection lost) stays owed (Message.mark_owed) for the poller."""
        message = result.message
        if result.new and message.outcome:
            self.stats.outcomes[message.outcome] += 1
        if not result.taken or not self._holds_mailbox or not hasattr(self.source, "uidvalidity"):
            return
        if where is None and message.mailbox == self.source.name:
            where = SourceRef(message.mailbox, message.uidvalidity, message.uid)
        if where is not None and self.source.mark_taken(where):
            self.stats.marked += 1
            self._marked([message.id])

    def _settle_marks(self) -> None:
        """Mark on the server what was taken and not marked yet (a worker killed between the commit and the
        mark, a retry of another worker, a copy whose first was pending)."""
        if not hasattr(self.source, "uidvalidity"):
            return  # a folder is never marked
        with self.session_factory() as session:
            owed = session.execute(select(Message.id, Message.uidvalidity, Message.uid).where(
                Message.mailbox == self.source.name, Message.mark_owed.is_(True)).order_by(Message.id)).all()
        done: list[int] = []
        for message_id, uidvalidity, uid in owed:
            if self.source.mark_taken(SourceRef(self.source.name, uidvalidity, uid)):
                self.stats.marked += 1
                done.append(message_id)
            elif uidvalidity != self.source.uidvalidity:
                log.warning("message %s: taken under UIDVALIDITY %s, now %s: cannot be marked", message_id,
                            uidvalidity, self.source.uidvalidity)
                done.append(message_id)
        self._marked(done)

    def _marked(self, ids: list[int]) -> None:
        mailboxes.marks_settled(self.session_factory, ids)

    def _send_replies(self) -> None:
        from pipeline.adapters.outbox import outbox_from_settings
        from pipeline.usecases.reminders import remind_due
        from pipeline.usecases.reply_sending import send_due
        from pipeline.usecases.review_campaigns import remind_overdue

        try:
            # Reminders first, so that one drafted now goes out in this very cycle.
            self.stats.reminders += remind_due(self.session_factory, settings=self.settings)
        except Exception:  # noqa: BLE001 - a failed reminder pass must not stop the intake
            log.exception("drafting reminders failed")
        try:
            self.stats.review_reminders += remind_overdue(self.session_factory, settings=self.settings)
        except Exception:  # noqa: BLE001 - likewise
            log.exception("drafting review reminders failed")
        try:
            workers.reap(self.session_factory)  # a worker of this machine killed mid-send: its replies go out now
            self.stats.replies_sent += send_due(self.session_factory, outbox_from_settings(self.settings),
                                                holder=self.worker_id)
        except Exception:  # noqa: BLE001 - a broken outbox must not stop the intake
            log.exception("sending replies failed")

    # --- the loop ----------------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> WorkerStats:
        backoff = 1.0
        try:
            # Ready as soon as it runs: waiting for a database that is not up yet is part of its work (it says
            # so in its status), not a start that systemd should time out.
            notify("READY=1")
            if not self.start(once=once):
                return self.stats
            while not self.stop.is_set():
                notify("WATCHDOG=1")
                try:
                    self.cycle()
                    # Shown by `systemctl status pipeline-worker`; also tells a test the pass is over.
                    notify(f"STATUS=pass {self.stats.cycles} done; {self.stats.seen} messages seen since start")
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
                except Exception as exc:  # e.g. the database went away: keep the worker alive, try again later
                    if once:
                        raise
                    named = database_error(exc, self.settings.db_url)
                    if isinstance(named, DiskFull | DatabaseBusy):  # say what it is, not a traceback
                        log.error("worker cycle failed: %s; retrying in %.0f s", named.message, backoff)
                    else:
                        log.exception("worker cycle failed; retrying in %.0f s", backoff)
                    self.source.close()
                    self.stop.wait(backoff)
                    backoff = min(backoff * 2, 300.0)
                self.check_health()
        finally:
            notify("STOPPING=1")
            self.source.close()
            self._release_lock()
            if self._heartbeat is not None:
                self._heartbeat.stop()
        return self.stats

    def _wait(self) -> None:
        config = getattr(self.source, "config", None)
        wait = getattr(self.source, "wait", None)
        if wait is not None and config is not None and self._holds_mailbox:
            # IDLE (or a poll interval), ended at least every idle_renew_seconds by returning here.
            wait(float(config.idle_renew_seconds if config.idle else config.poll_seconds))
        elif config is not None:
            # A standby looks again well inside a lease, so that it takes over within one lease and a half.
            self.stop.wait(float(min(config.poll_seconds, max(1, self.config.lease_seconds // 2))))
        else:
            self.stop.wait(float(self.config.poll_seconds))

    # --- health ------------------------------------------------------------------------------------

    def _poll_ok(self) -> None:
        mailboxes.poll_succeeded(self.session_factory, self.source.name)

    def _poll_failed(self, exc: SourceError) -> None:
        mailboxes.poll_failed(self.session_factory, self.source.name, exc.message, login_failed=exc.code == "mail.login_failed")

    def check_health(self) -> bool:
        with self.session_factory() as session:
            state = session.get(MailboxState, self.source.name)
        problem = health_problem(state, self.config.health_minutes)
        if problem:
            log.error("mailbox %s: %s", self.source.name, problem)
        return problem is None

    # --- one poller per mailbox --------------------------------------------------------------------

    def _have_mailbox(self) -> bool:
        if self._heartbeat is None:
            return False  # not started: no lease to hold it with
        got = workers.hold_mailbox(self.session_factory, self.source.name, self.worker_id)
        if not got and (self._holds_mailbox or self.stats.cycles <= 1):
            log.info("another worker polls %s: standing by", self.source.name)
        return got

    def _release_lock(self) -> None:
        if self._heartbeat is not None:
            with contextlib.suppress(Exception):  # the database may be gone: the lease runs out by itself
                workers.release_mailbox(self.session_factory, self.source.name, self.worker_id)
        self._holds_mailbox = False


def install_signal_handlers(worker: Worker) -> None:
    def _stop(signum, _frame):  # type: ignore[no-untyped-def]
        log.info("signal %s: stopping after the current message", signum)
        worker.stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

