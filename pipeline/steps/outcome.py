"""What a stored message leads to: its attachments recorded, a task per form (or the answered task
brought up to date), the reply about the message itself, and replies held or cancelled.

Called by `pipeline.usecases.ingest` inside the short transaction that records the message's outcome
(the forms were read before it), so that the outcome, the tasks and the replies commit together or
not at all.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import Attachment, Message, Reply
from pipeline.adapters.mail.budget import OverBudget
from pipeline.adapters.mail.extract import Extracted, mentions_form
from pipeline.adapters.mail.parse import ParsedMail
from pipeline.adapters.registry_store import RegistryView
from pipeline.checks import check_reading
from pipeline.core.render import unreadable_reason
from pipeline.settings import Settings
from pipeline.steps import pictures as pages
from pipeline.steps import removal_requests, reply_states, tasks
from pipeline.steps.replies import UNSENT, draft_reply

log = logging.getLogger(__name__)


def take_forms(session: Session, message: Message, parsed: ParsedMail, extracted: Extracted,
               settings: Settings) -> str:
    """Record the attachments, open (or update) a task per form, draft the reply; the outcome.
    `extracted` was read before the transaction (pipeline.usecases.ingest)."""
    rows = _store_attachments(session, message, extracted)
    states = []
    if extracted.forms:
        view = RegistryView(session)
        for result, extra in extracted.forms:
            assert result.reading is not None  # Extracted.forms holds only the forms that were read
            check = check_reading(result.reading, view, sender=message.sender, auth=message.auth_results,
                                  settings=settings)
            task = tasks.open_task(session, message=message, attachment=rows.get(id(result)),
                                   reading=result.reading, result=check, extra_findings=extra, settings=settings)
            states.append(task.state)
        return "needs_info" if "needs_info" in states else "queued"
    if parsed.over_budget:
        # The mail as a whole was too much (size, archives, parts, time): say so where a reply makes sense.
        # A mail too large to download was downloaded (its header block) only because it can matter.
        if any(p.candidate or p.error is not None for p in parsed.parts) or mentions_form(parsed) \
                or message.headers_only:
            _reply(session, "unreadable", message, {"errors": [
                {"filename": None, "code": OverBudget.code,
                 "message": unreadable_reason("limit.exceeded.message")}]}, settings)
        return "limit.exceeded"
    if extracted.unreadable:
        _reply(session, "unreadable", message, {"errors": [
            {"filename": r.part.filename if r.part else None, "code": r.code,
             "message": unreadable_reason(r.code, r.part.filename if r.part else None)}
            for r in extracted.unreadable]}, settings)
        return "unreadable"
    # About who should lose access (a removal request, an answer to an access review): its own module.
    about_access = removal_requests.take(session, message, parsed.body_text, settings)
    if about_access is not None:
        return about_access
    if _answers_task(session, message, settings):
        return "no_form"
    if mentions_form(parsed):
        # Documents that are not this form (another IMDi form, an invoice) are named in the reply, so
        # that a sender who attached the wrong one is not told that nothing was attached.
        others = [r.part.filename for r in extracted.results if r.code == "not_a_form" and r.part
                  and r.part.filename and r.part.filename.lower().endswith((".docx", ".pdf", ".doc", ".odt"))]
        _reply(session, "no_form", message, {"not_forms": others}, settings)
    return "no_form"


def _store_attachments(session: Session, message: Message, extracted: Extracted) -> dict[int, Attachment]:
    rows: dict[int, Attachment] = {}
    for result in extracted.results:
        part = result.part
        att = Attachment(
            filename=part.filename if part else None,
            content_type=part.content_type if part else "text/plain",
            size=part.size if part else 0,
            sha256=part.sha256 if part else None,
            # Only a form's bytes are stored (the case page shows them); everything else is in the raw
            # mail, and a zip of a hundred members need not be stored a second time.
            data=part.data if part and result.reading is not None else None,
            code=result.code if part else "body",
            error_message=result.error_message if result.duplicate_of is None else "the same form as another",
            reading=result.reading.to_json() if result.reading else None,
        )
        if part is not None and part.origin != "attachment":
            att.error_message = f"{att.error_message or ''} [{part.origin}]".strip()
        message.attachments.append(att)
        rows[id(result)] = att
    session.flush()
    for result in extracted.results:
        if result.reading is not None and result.reading.pictures:
            # The pages as OCR straightened them, for the case page (made while reading: no second pass).
            pages.store_pictures(session, rows[id(result)].id, result.reading.pictures)
    return rows


def _answers_task(session: Session, message: Message, settings: Settings) -> bool:
    """A mail without a form that answers an open task is recorded on the task; no 'no form' reply."""
    task = tasks.find_task_for_reply(session, message)
    if task is None:
        return False
    tasks.record_answer(session, task, message, settings=settings)
    return True


def _reply(session: Session, kind: str, message: Message, extra: dict[str, object], settings: Settings) -> None:
    """Draft a reply about the message itself, once: a retry (`pipeline messages retry`) that comes to
    the same result does not tell the sender the same thing a second time."""
    earlier = session.scalars(select(Reply.id).where(Reply.message_pk == message.id, Reply.task_id.is_(None),
                                                     Reply.kind == kind, Reply.state != "cancelled")).first()
    if earlier is not None:
        audit.record(session, audit.SYSTEM, "reply.not_repeated", "message", message.id,
                     {"kind": kind, "earlier_reply": earlier})
        return
    draft_reply(session, kind=kind, message=message, extra=extra, settings=settings)


def settle_earlier_replies(session: Session, message: Message) -> None:
    """After a retry with a different result (e.g. the form can be read now), a reply about the old
    result that has not gone out is stale: cancel it, so that the sender gets only the new one (a
    receipt or a request for information). One already sent stays sent; the new reply follows it."""
    stale = session.scalars(select(Reply).where(
        Reply.message_pk == message.id, Reply.task_id.is_(None), Reply.automatic.is_(True),
        Reply.kind != message.outcome, Reply.state.in_(UNSENT))).all()
    for reply in stale:
        before = reply_states.move(session, reply.id, "cancelled", only_from=UNSENT, next_attempt_at=None)
        if before is None:
            continue  # a sender claimed it meanwhile: it goes out, and the new reply follows it
        audit.record(session, audit.SYSTEM, "reply.cancelled", "reply", reply.id,
                     {"kind": reply.kind, "state": {"before": before, "after": "cancelled"},
                      "reason": f"retry: the message is now {message.outcome}", "message": message.id})


def older_than_window(message: Message, window_days: int) -> bool:
    """Mail older than the first run's window (taken because of --since) gets no automatic reply."""
    received = message.received_at
    if received is None:
        return False
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    return received < datetime.now(UTC) - timedelta(days=window_days)


def hold_replies(session: Session, message: Message) -> None:
    held = session.scalars(select(Reply).where(Reply.message_pk == message.id, Reply.automatic.is_(True),
                                               Reply.state == "queued")).all()
    for reply in held:
        # Kept for an operator to send by hand; never sent automatically.
        if reply_states.move(session, reply.id, "draft", only_from=("queued",)) is None:
            continue
        audit.record(session, audit.SYSTEM, "reply.held", "reply", reply.id,
                     {"reason": "message older than the intake window", "message": message.id})
