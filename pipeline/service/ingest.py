"""Take in one raw message: store it, read its forms, open tasks, record the outcome, in ONE transaction.

    ingest_message(session_factory, raw, *, source, settings) -> Message

Exactly once: a source reference already stored (the same IMAP UID, the same file) is a silent
no-op, and so are the same bytes from the same mailbox under a new UIDVALIDITY; the same bytes
arriving as a new mail get a row with outcome `duplicate` that points at the first, and no task.
What the message leads to (tasks, the reply about it) is decided in `pipeline.service.outcome`; this
module keeps the storage and the exactly-once rules. An unexpected exception rolls everything back; a second transaction then stores the raw message with
its error and attempts + 1, to be retried (`retry_pending`) up to a bound and then parked as `failed`.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from pipeline import audit
from pipeline.db.models import Message
from pipeline.db.session import unit_of_work
from pipeline.mail.parse import ParsedMail, parse_message
from pipeline.mail.sources import SourceRef
from pipeline.service import outcome
from pipeline.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3
# Outcomes of mail that the pipeline took as a form submission (marked on the server after commit).
TAKEN = frozenset({"queued", "needs_info", "unreadable"})


@dataclass
class IngestResult:
    message: Message
    new: bool  # False: the source reference or the mail was already taken (nothing done)
    taken: bool = False  # taken as a form submission: mark it on the server


def _taken(session: Session, message: Message) -> bool:
    if message.outcome == "duplicate" and message.duplicate_of_id:
        first = session.get(Message, message.duplicate_of_id)
        return bool(first and first.outcome in TAKEN)
    return message.outcome in TAKEN


class _AlreadyTaken(Exception):
    def __init__(self, message: Message) -> None:
        self.message_pk = message.id


def ingest_message(session_factory: sessionmaker[Session], raw: bytes, *, source: SourceRef | None,
                   settings: Settings, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Message:
    return ingest(session_factory, raw, source=source, settings=settings, max_attempts=max_attempts).message


def ingest(session_factory: sessionmaker[Session], raw: bytes, *, source: SourceRef | None,
           settings: Settings, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> IngestResult:
    sha = hashlib.sha256(raw).hexdigest()
    for attempt in range(3):
        try:
            with unit_of_work(session_factory) as session:
                seen = _already_seen(session, sha, source)
                if seen is not None and seen.outcome is not None:
                    return IngestResult(seen, False, _taken(session, seen))
                if seen is not None and seen.outcome is None and seen.attempts >= max_attempts:
                    seen.outcome = "failed"
                    return IngestResult(seen, False)
                message = _process(session, raw, sha, source, settings, pending=seen)
                return IngestResult(message, True, _taken(session, message))
        except _AlreadyTaken as seen:
            with session_factory() as session:
                found = session.get(Message, seen.message_pk)
                assert found is not None
                return IngestResult(found, False, _taken(session, found))
        except IntegrityError:
            # Another worker stored the same bytes between our look-up and our insert: look again.
            if attempt == 2:
                raise
            continue
        except Exception as exc:  # noqa: BLE001 - anything unexpected: record it, never lose the mail
            log.exception("message %s failed while being processed", sha[:12])
            return IngestResult(_record_failure(session_factory, raw, sha, source, exc, max_attempts), True)
    raise AssertionError("unreachable")


def retry_message(session_factory: sessionmaker[Session], message_id: int, *, settings: Settings) -> Message:
    """Run a stored message through processing again (a failed or unreadable one, e.g. after a fix)."""
    with unit_of_work(session_factory) as session:
        message = session.get(Message, message_id)
        if message is None or message.raw is None:
            from pipeline.errors import PipelineError

            raise PipelineError(f"message {message_id} does not exist or its raw mail was purged")
        if message.outcome not in (None, "failed", "unreadable", "no_form"):
            from pipeline.errors import PipelineError

            raise PipelineError(f"message {message_id} has outcome {message.outcome}: nothing to retry")
        message.outcome = None
        message.attempts = 0
        message.error = None
        for att in list(message.attachments):
            session.delete(att)
        session.flush()
    source = SourceRef(message.mailbox, message.uidvalidity, message.uid) if message.mailbox else None
    return ingest_message(session_factory, message.raw, source=source, settings=settings)


def retry_pending(session_factory: sessionmaker[Session], *, settings: Settings,
                  max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> list[IngestResult]:
    """Process again every message whose processing failed and has tries left."""
    with session_factory() as session:
        rows = session.execute(select(Message.id, Message.raw, Message.mailbox, Message.uidvalidity, Message.uid)
                               .where(Message.outcome.is_(None), Message.raw.is_not(None))
                               .order_by(Message.id)).all()
    out = []
    for _id, raw, mailbox, uidvalidity, uid in rows:
        if raw is None:
            continue  # purged meanwhile
        source = SourceRef(mailbox, uidvalidity, uid) if mailbox else None
        out.append(ingest(session_factory, raw, source=source, settings=settings, max_attempts=max_attempts))
    return out


def _already_seen(session: Session, sha: str, source: SourceRef | None) -> Message | None:
    """The row that makes this delivery a no-op (or a pending retry), if any; FOR UPDATE so that two
    workers do not process one pending message at once."""
    if source is not None:
        found = session.scalars(select(Message).where(_source_is(source)).order_by(Message.id)
                                .with_for_update(skip_locked=True)).first()
        if found is not None:
            return found
    first = session.scalars(select(Message).where(Message.sha256 == sha).with_for_update()).first()
    if first is None:
        return None
    if first.outcome is None:
        return first  # stored by a failed attempt: process it now
    if source is not None and first.mailbox == source.mailbox and first.uidvalidity != source.uidvalidity:
        return first  # the same mail renumbered by a UIDVALIDITY change: already taken
    return None


def _source_is(source: SourceRef) -> ColumnElement[bool]:
    def eq(column: InstrumentedAttribute[int | None], value: int | None) -> ColumnElement[bool]:
        return column.is_(None) if value is None else column == value

    return and_(Message.mailbox == source.mailbox, eq(Message.uidvalidity, source.uidvalidity),
                eq(Message.uid, source.uid))


def _process(session: Session, raw: bytes, sha: str, source: SourceRef | None, settings: Settings,
             *, pending: Message | None) -> Message:
    parsed = parse_message(raw, settings.limits)
    first = None if pending is not None else session.scalars(select(Message).where(Message.sha256 == sha)).first()
    if first is not None and source is not None and (first.mailbox, first.uidvalidity, first.uid) == (
            source.mailbox, source.uidvalidity, source.uid):
        raise _AlreadyTaken(first)  # another worker took this very delivery a moment ago
    message = pending or Message(sha256=sha if first is None else _duplicate_key(sha, source), attempts=0)
    _fill(message, parsed, raw, source)
    message.attempts = (message.attempts or 0) + 1
    message.error = None
    if pending is None:
        session.add(message)
    session.flush()
    if first is not None:
        message.outcome = "duplicate"
        message.duplicate_of_id = first.id
        message.raw = None  # the first row holds these very bytes
    elif parsed.auto_reply:
        message.outcome = "auto_reply"
    else:
        message.outcome = outcome.take_forms(session, message, parsed, settings)
        if pending is not None:
            outcome.settle_earlier_replies(session, message)
        if source is not None and source.uidvalidity is not None and outcome.older_than_window(message, settings.imap.since_days):
            outcome.hold_replies(session, message)
    audit.record(session, audit.SYSTEM, "message.ingested", "message", message.id,
                 {"outcome": message.outcome, "attempts": message.attempts,
                  **({"auto_reply": parsed.auto_reply} if parsed.auto_reply else {})})
    log.info("message %s: %s", message.id, message.outcome)
    return message


def _duplicate_key(sha: str, source: SourceRef | None) -> str:
    # sha256 is unique: a duplicate row gets a key of its own, derived from where it came from.
    where = f"{source.mailbox}/{source.uidvalidity}/{source.uid}" if source else uuid.uuid4().hex
    return hashlib.sha256(f"{sha}:duplicate:{where}".encode()).hexdigest()


def _fill(message: Message, parsed: ParsedMail, raw: bytes, source: SourceRef | None) -> None:
    message.raw = raw
    message.size = len(raw)
    message.message_id = parsed.message_id
    message.in_reply_to = parsed.in_reply_to
    message.references = " ".join(parsed.references) or None
    message.sender = parsed.sender
    message.sender_name = parsed.sender_name
    message.subject = parsed.subject
    message.auth_results = parsed.auth
    received = (source.received_at if source else None) or parsed.date or datetime.now(UTC)
    message.received_at = received
    if source is not None:
        message.mailbox, message.uidvalidity, message.uid = source.mailbox, source.uidvalidity, source.uid


def _record_failure(session_factory: sessionmaker[Session], raw: bytes, sha: str, source: SourceRef | None,
                    exc: BaseException, max_attempts: int) -> Message:
    error = f"{type(exc).__name__}: {exc}"[:4000]
    with unit_of_work(session_factory) as session:
        message = session.scalars(select(Message).where(Message.sha256 == sha)).first()
        if message is not None and message.outcome is not None:
            message = None  # the failure was with a copy of a mail already taken: a row of its own
            sha = _duplicate_key(sha, source)
        if message is None:
            message = Message(sha256=sha, raw=raw, size=len(raw), attempts=0)
            parsed = parse_message(raw)
            _fill(message, parsed, raw, source)
            session.add(message)
        message.attempts = (message.attempts or 0) + 1
        message.error = error
        message.outcome = "failed" if message.attempts >= max_attempts else None
        session.flush()
        audit.record(session, audit.SYSTEM, "message.failed", "message", message.id,
                     {"error": error[:500], "attempts": message.attempts, "parked": message.outcome == "failed"})
        return message
