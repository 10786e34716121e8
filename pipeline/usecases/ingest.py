"""Take in one raw message: claim it, read it outside any transaction, then record what it led to.

    ingest_message(session_factory, raw, *, source, settings) -> Message

Three steps, so that a slow or hostile mail never holds a lock the web UI or another worker waits on:

1. claim (one short transaction): the raw mail is stored with attempts + 1 and a lease (who reads it,
   until when). A source reference already taken is a silent no-op, and so are the same bytes from the
   same mailbox under a new UIDVALIDITY; the same bytes arriving as a new mail get a row with outcome
   `duplicate` that points at the first (decided here from the headers alone, nothing read).
2. read (no transaction): parse the MIME and read the forms, in the PDF sandbox, under the mail's
   budget (`pipeline.adapters.mail.budget`: size, unpacked bytes, archive members, parts, nesting, seconds).
3. record (one short transaction): if the lease is still ours and nobody recorded an outcome meanwhile,
   the attachments (the forms' bytes only), the tasks, the replies and the outcome commit together.

A failure in 2 or 3 is recorded from what is in memory (no second parse) with the error; the mail is
tried again (`retry_pending`) while it has attempts left and then parked as `failed`: a mail is parked
for what it did itself. A read ended by the worker's own death (kill -9, a restart, a frozen worker whose
lease ran out) is an *interruption*, not an attempt: the next claim finds the dead holder's lease and
counts it apart; only a mail interrupted `max_interruptions` times (a mail that kills the very worker
reading it, outside the sandbox's limits) is parked for it. A lease whose holder died (same host, the
process is gone) or ran out is taken over; the outcome is written once whoever finishes first.

Copies stay copies: a claim never takes over a row of another message at the source (an identical copy
arriving while the first is still pending becomes its `duplicate`). A message taken as a form submission
owes a mark on the server (`mark_owed`) until a worker has set it, so a mark survives any restart.

What the message leads to (tasks, the reply about it) is decided in `pipeline.steps.outcome`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import Message, WorkerHeartbeat
from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.mail.budget import MessageBudget
from pipeline.adapters.mail.extract import Extracted, extract_forms
from pipeline.adapters.mail.parse import ParsedMail, parse_head, parse_message
from pipeline.adapters.mail.sources import SourceRef
from pipeline.errors import PipelineError
from pipeline.queries.senders import known_domains
from pipeline.settings import Settings
from pipeline.steps import outcome

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3
# Outcomes of mail that the pipeline took as a form submission (marked on the server after commit).
TAKEN = frozenset({"queued", "needs_info", "unreadable", "limit.exceeded"})
RETRYABLE = (None, "failed", "unreadable", "no_form", "limit.exceeded")
_HOST = socket.gethostname()[:60]


@dataclass
class IngestResult:
    message: Message
    new: bool  # False: the source reference or the mail was already taken (nothing done)
    taken: bool = False  # taken as a form submission: mark it on the server


@dataclass(frozen=True)
class _Claim:
    message_pk: int
    holder: str
    was_pending: bool  # an earlier attempt (or `messages retry`) left it unfinished
    size: int | None  # the whole mail's size when only its header block was downloaded
    domains: tuple[str, ...] = ()  # the verified sender's driftsoperatør's domains, for OCR's address repair


@dataclass(frozen=True)
class _Limits:
    attempts: int  # reads that ended in the mail's own failure
    interruptions: int  # reads ended by the worker's death (the backstop for a mail that kills its reader)


def _taken(session: Session, message: Message) -> bool:
    if message.outcome == "duplicate" and message.duplicate_of_id:
        first = session.get(Message, message.duplicate_of_id)
        return bool(first and first.outcome in TAKEN)
    return message.outcome in TAKEN


def lease_seconds(settings: Settings) -> float:
    """How long a claim holds: the mail's reading budget twice over, and room to record it."""
    return 2 * settings.limits.message_seconds + 120


def _aware(at: datetime | None) -> datetime | None:
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


def lease_alive(holder: str | None, until: datetime | None, now: datetime | None = None,
                session: Session | None = None) -> bool:
    """Someone is reading this message now: the lease has not run out and, when the holder is a
    process on this host, that process is still there (a killed worker's claim is taken over at once).
    With a session, a holder that is a worker whose own lease ran out (frozen, or its machine gone) is
    no reader any more either: one lease says whether a worker is alive (pipeline.usecases.worker_leases)."""
    now = now or datetime.now(UTC)
    until = _aware(until)
    if not holder or until is None or until <= now:
        return False
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if session is not None and _worker_lease_over(session, host, pid, now):
        return False
    if host != _HOST:
        return True
    if pid == os.getpid():
        return True  # another thread of this process: it clears the lease itself
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worker_lease_over(session: Session, host: str, pid: int, now: datetime) -> bool:
    """The newest worker of that host and process has stopped or let its lease run out."""
    row = session.execute(select(WorkerHeartbeat.stopped_at, WorkerHeartbeat.lease_until)
                          .where(WorkerHeartbeat.host == host, WorkerHeartbeat.pid == pid)
                          .order_by(WorkerHeartbeat.started_at.desc()).limit(1)).first()
    if row is None:
        return False  # not a worker (the CLI, a test): judged by its message lease and its process alone
    lease_until = _aware(row.lease_until)
    return row.stopped_at is not None or (lease_until is not None and lease_until <= now)


def ingest_message(session_factory: sessionmaker[Session], raw: bytes, *, source: SourceRef | None,
                   settings: Settings, max_attempts: int = DEFAULT_MAX_ATTEMPTS, size: int | None = None) -> Message:
    return ingest(session_factory, raw, source=source, settings=settings, max_attempts=max_attempts,
                  size=size).message


def ingest(session_factory: sessionmaker[Session], raw: bytes, *, source: SourceRef | None,
           settings: Settings, max_attempts: int = DEFAULT_MAX_ATTEMPTS, size: int | None = None,
           max_interruptions: int | None = None) -> IngestResult:
    """`size` set: `raw` is only the header block of a mail of that many bytes, too large to download."""
    sha = hashlib.sha256(raw).hexdigest()
    head = parse_head(raw, authserv_id=settings.authserv_id)
    limits = _Limits(max_attempts, max_interruptions or settings.worker.max_interruptions)
    claim: _Claim | IngestResult | None = None
    for attempt in range(3):
        try:
            claim = _claim(session_factory, raw, sha, source, head, settings, limits, size)
            break
        except IntegrityError:
            # Another worker stored the same bytes between our look-up and our insert: look again.
            if attempt == 2:
                raise
    if isinstance(claim, IngestResult):
        return claim
    assert claim is not None
    try:
        parsed, extracted = _read(raw, head, settings, claim.size, claim.domains)
    except Exception as exc:  # noqa: BLE001 - MemoryError, RecursionError, a reader's bug: record it
        log.exception("message %s failed while being read", sha[:12])
        return IngestResult(_record_failure(session_factory, claim, exc, max_attempts), True)
    try:
        return _record(session_factory, claim, parsed, extracted, source, settings)
    except Exception as exc:  # noqa: BLE001 - anything unexpected: record it, never lose the mail
        log.exception("message %s failed while being recorded", sha[:12])
        return IngestResult(_record_failure(session_factory, claim, exc, max_attempts), True)


# --- 1. claim ----------------------------------------------------------------------------------------


def _claim(session_factory: sessionmaker[Session], raw: bytes, sha: str, source: SourceRef | None, head: ParsedMail,
           settings: Settings, limits: _Limits, size: int | None) -> _Claim | IngestResult:
    now = datetime.now(UTC)
    with unit_of_work(session_factory) as session:
        seen = _already_seen(session, sha, source)
        if seen is not None and seen.outcome is not None:
            return IngestResult(seen, False, _taken(session, seen))
        if seen is not None and lease_alive(seen.lease_holder, seen.lease_until, now, session):
            return IngestResult(seen, False)  # another worker is reading it right now
        if seen is not None and seen.lease_holder is not None:
            # The last read never finished and its reader is gone: the worker died (or froze), not the mail
            # failing. That read is an interruption, and no longer one of the mail's attempts.
            seen.attempts = max(0, (seen.attempts or 0) - 1)
            seen.interruptions = (seen.interruptions or 0) + 1
            seen.lease_holder = seen.lease_until = None
            log.warning("message %s: its last read was interrupted (%s so far); not counted against it",
                        seen.id, seen.interruptions)
        if seen is not None and (seen.attempts >= limits.attempts or seen.interruptions >= limits.interruptions):
            seen.outcome, seen.lease_holder, seen.lease_until = "failed", None, None
            own = seen.attempts >= limits.attempts
            error = seen.error if own and seen.error else \
                f"the worker stopped {seen.interruptions} times while reading it"
            seen.error = error
            audit.record(session, audit.SYSTEM, "message.parked", "message", seen.id,
                         {"attempts": seen.attempts, "interruptions": seen.interruptions, "error": error[:500]})
            return IngestResult(seen, False)
        message = seen
        if message is None:
            first = session.scalars(select(Message).where(Message.sha256 == sha)).first()
            if first is not None:
                if source is not None and (first.mailbox, first.uidvalidity, first.uid) == (
                        source.mailbox, source.uidvalidity, source.uid):
                    return IngestResult(first, False, _taken(session, first))  # taken a moment ago
                return IngestResult(_duplicate(session, first, raw, sha, source, head, size), True,
                                    _taken(session, first))
            message = Message(sha256=sha, attempts=0, interruptions=0)
            session.add(message)
        _fill(message, head, raw, source, size)
        message.attempts = (message.attempts or 0) + 1
        message.lease_holder = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        message.lease_until = now + timedelta(seconds=lease_seconds(settings))
        session.flush()
        return _Claim(message.id, message.lease_holder, seen is not None,
                      message.size if message.headers_only else None,
                      known_domains(session, head.sender, head.verified))


def _duplicate(session: Session, first: Message, raw: bytes, sha: str, source: SourceRef | None,
               head: ParsedMail, size: int | None) -> Message:
    message = Message(sha256=_duplicate_key(sha, source), attempts=1, interruptions=0)
    _fill(message, head, raw, source, size)
    message.raw = None  # the first row holds these very bytes
    message.outcome = "duplicate"
    message.duplicate_of_id = first.id
    # Owed a mark when its first is taken; a first still pending passes it on when it is recorded.
    message.mark_owed = message.uid is not None and _taken(session, first)
    session.add(message)
    session.flush()
    audit.record(session, audit.SYSTEM, "message.ingested", "message", message.id,
                 {"outcome": "duplicate", "attempts": 1})
    log.info("message %s: duplicate of %s", message.id, first.id)
    return message


def _already_seen(session: Session, sha: str, source: SourceRef | None) -> Message | None:
    """The row that makes this delivery a no-op (or a pending retry), if any; FOR UPDATE so that two
    workers do not claim one pending message at once."""
    if source is not None:
        found = session.scalars(select(Message).where(_source_is(source)).order_by(Message.id)
                                .with_for_update()).first()
        if found is not None:
            return found
    first = session.scalars(select(Message).where(Message.sha256 == sha).with_for_update()).first()
    if first is None:
        return None
    if source is not None and first.mailbox == source.mailbox and first.uidvalidity != source.uidvalidity:
        return first  # the same mail renumbered by a UIDVALIDITY change: already taken, or pending
    if first.outcome is None and (source is None or first.mailbox is None):
        return first  # stored by an attempt that did not finish: read it now
    # Another message at the source with the same bytes (a copy, pending or not): it stays a copy, and
    # the first keeps its own reference.
    return None


def _source_is(source: SourceRef) -> ColumnElement[bool]:
    def eq(column: InstrumentedAttribute[int | None], value: int | None) -> ColumnElement[bool]:
        return column.is_(None) if value is None else column == value

    return and_(Message.mailbox == source.mailbox, eq(Message.uidvalidity, source.uidvalidity),
                eq(Message.uid, source.uid))


def _duplicate_key(sha: str, source: SourceRef | None) -> str:
    # sha256 is unique: a duplicate row gets a key of its own, derived from where it came from.
    where = f"{source.mailbox}/{source.uidvalidity}/{source.uid}" if source else uuid.uuid4().hex
    return hashlib.sha256(f"{sha}:duplicate:{where}".encode()).hexdigest()


def _fill(message: Message, parsed: ParsedMail, raw: bytes, source: SourceRef | None, size: int | None) -> None:
    message.raw = raw
    message.size = size if size is not None else len(raw)
    message.headers_only = size is not None
    message.message_id = parsed.message_id
    message.in_reply_to = parsed.in_reply_to
    message.references = " ".join(parsed.references) or None
    message.sender = parsed.sender
    message.sender_name = parsed.sender_name
    message.subject = parsed.subject
    message.auth_results = parsed.auth
    message.sender_verified = parsed.verified
    if message.received_at is None:
        # Set once and kept through every retry. From a mailbox: the server's INTERNALDATE (or when we first
        # saw the mail), never the Date header, which the sender writes and the intake window must not trust.
        if source is not None and source.uidvalidity is not None:
            message.received_at = source.received_at or datetime.now(UTC)
        else:
            message.received_at = (source.received_at if source else None) or parsed.date or datetime.now(UTC)
    if source is not None:
        message.mailbox, message.uidvalidity, message.uid = source.mailbox, source.uidvalidity, source.uid


# --- 2. read -----------------------------------------------------------------------------------------


def _read(raw: bytes, head: ParsedMail, settings: Settings, size: int | None,
          domains: tuple[str, ...]) -> tuple[ParsedMail, Extracted | None]:
    """The MIME parts and the forms in them, under one budget; nothing for an auto-reply. `size`: only the
    header block of a mail that large is here (the body was never downloaded)."""
    if head.auto_reply:
        return head, None
    budget = MessageBudget(settings.limits)
    if size is not None:
        budget.over(f"the mail is {size} bytes (limit {settings.limits.max_message_bytes}): not downloaded")
        head.over_budget = budget.exceeded
        return head, Extracted()
    parsed = parse_message(raw, settings.limits, budget=budget, head=head)
    if parsed.over_budget and not parsed.parts:
        return parsed, Extracted()
    extracted = extract_forms(parsed, settings.limits, budget=budget, domains=domains)
    parsed.over_budget = budget.exceeded
    return parsed, extracted


# --- 3. record ---------------------------------------------------------------------------------------


def _record(session_factory: sessionmaker[Session], claim: _Claim, parsed: ParsedMail, extracted: Extracted | None,
            source: SourceRef | None, settings: Settings) -> IngestResult:
    with unit_of_work(session_factory) as session:
        message = session.get(Message, claim.message_pk, with_for_update=True)
        assert message is not None
        if message.outcome is not None or message.lease_holder != claim.holder:
            # Our lease ran out and another worker took it over (and may have finished it): its result stands.
            log.warning("message %s was taken over while being read: our result is dropped", message.id)
            return IngestResult(message, False, _taken(session, message))
        message.error = None
        message.lease_holder = message.lease_until = None
        if parsed.auto_reply:
            message.outcome = "auto_reply"
        else:
            message.outcome = outcome.take_forms(session, message, parsed, extracted or Extracted(), settings)
        if message.uid is not None and _taken(session, message):
            message.mark_owed = True
            # Copies that arrived while this one was pending are taken with it.
            session.execute(update(Message).where(Message.duplicate_of_id == message.id, Message.uid.is_not(None))
                            .values(mark_owed=True))
        if not parsed.auto_reply:
            if claim.was_pending:
                outcome.settle_earlier_replies(session, message)
            if source is not None and source.uidvalidity is not None and \
                    outcome.older_than_window(message, settings.imap.since_days):
                outcome.hold_replies(session, message)
        audit.record(session, audit.SYSTEM, "message.ingested", "message", message.id,
                     {"outcome": message.outcome, "attempts": message.attempts,
                      **({"auto_reply": parsed.auto_reply} if parsed.auto_reply else {}),
                      **({"over_budget": parsed.over_budget} if parsed.over_budget else {})})
        log.info("message %s: %s", message.id, message.outcome)
        return IngestResult(message, True, _taken(session, message))


def _record_failure(session_factory: sessionmaker[Session], claim: _Claim, exc: BaseException,
                    max_attempts: int) -> Message:
    """The claimed row (already holding the raw mail and its headers) gets the error; nothing is parsed
    again. Parked as `failed` when out of attempts."""
    error = f"{type(exc).__name__}: {exc}"[:4000]
    with unit_of_work(session_factory) as session:
        message = session.get(Message, claim.message_pk, with_for_update=True)
        assert message is not None
        if message.outcome is not None or message.lease_holder != claim.holder:
            return message  # someone else finished or took it over meanwhile
        message.error = error
        message.lease_holder = message.lease_until = None
        message.outcome = "failed" if message.attempts >= max_attempts else None
        audit.record(session, audit.SYSTEM, "message.failed", "message", message.id,
                     {"error": error[:500], "attempts": message.attempts, "parked": message.outcome == "failed"})
        return message


# --- retries -----------------------------------------------------------------------------------------


def put_back(session_factory: sessionmaker[Session], message_id: int, *, actor: str) -> Message:
    """Put a stored message back for the worker to read again (a failed or unreadable one, e.g. after a
    fix); the web's "Kjør på nytt". Nothing is read here."""
    with unit_of_work(session_factory) as session:
        message = session.get(Message, message_id, with_for_update=True)
        if message is None or message.raw is None:
            raise PipelineError(f"message {message_id} does not exist or its raw mail was purged",
                                code="message.not_found",
                                message_no="Meldingen finnes ikke, eller e-posten er slettet etter oppbevaringstiden.")
        if message.outcome not in RETRYABLE:
            raise PipelineError(f"message {message_id} has outcome {message.outcome}: nothing to retry",
                                code="message.not_retryable",
                                message_no="Meldingen har et utfall som ikke kan endres ved å kjøre den på nytt.")
        if lease_alive(message.lease_holder, message.lease_until):
            raise PipelineError(f"message {message_id} is being read right now", code="message.busy",
                                message_no="Meldingen behandles akkurat nå.")
        before = message.outcome
        message.outcome = None
        message.attempts = 0
        message.interruptions = 0
        message.error = None
        message.lease_holder = message.lease_until = None
        for att in list(message.attachments):
            session.delete(att)
        session.flush()
        audit.record(session, actor, "message.retry_queued", "message", message.id, {"outcome_before": before})
        return message


def retry_message(session_factory: sessionmaker[Session], message_id: int, *, settings: Settings,
                  actor: str = audit.SYSTEM) -> Message:
    """Run a stored message through processing again, here and now (`pipeline messages retry`)."""
    message = put_back(session_factory, message_id, actor=actor)
    assert message.raw is not None
    source = SourceRef(message.mailbox, message.uidvalidity, message.uid) if message.mailbox else None
    return ingest_message(session_factory, message.raw, source=source, settings=settings,
                          size=message.size if message.headers_only else None)


def retry_pending(session_factory: sessionmaker[Session], *, settings: Settings,
                  max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> list[IngestResult]:
    """Process again every message whose processing did not finish and that nobody is reading now
    (one raw mail in memory at a time)."""
    now = datetime.now(UTC)
    with session_factory() as session:
        rows = session.execute(select(Message.id, Message.lease_holder, Message.lease_until)
                               .where(Message.outcome.is_(None), Message.raw.is_not(None))
                               .order_by(Message.id)).all()
    out = []
    for message_id, holder, until in rows:
        with session_factory() as session:
            if lease_alive(holder, until, now, session):
                continue
        with session_factory() as session:
            found = session.execute(select(Message.raw, Message.mailbox, Message.uidvalidity, Message.uid,
                                           Message.received_at, Message.size, Message.headers_only)
                                    .where(Message.id == message_id, Message.outcome.is_(None))).first()
        if found is None or found.raw is None:
            continue
        # The stored arrival time goes with the reference: a retry never falls back on the Date header.
        source = SourceRef(found.mailbox, found.uidvalidity, found.uid, found.received_at) if found.mailbox else None
        out.append(ingest(session_factory, found.raw, source=source, settings=settings, max_attempts=max_attempts,
                          size=found.size if found.headers_only else None))
    return out
