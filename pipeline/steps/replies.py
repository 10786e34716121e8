"""Reply steps: draft a reply (with the loop guards), edit a draft, move it on; sending what is due is the
use case pipeline.usecases.reply_sending.

Reply states: draft → queued → sending → sent, or failed (retried with backoff while next_attempt_at
is set; after `max_attempts`, or on a permanent refusal, next_attempt_at is cleared and an operator
must look). Automatic replies and decision replies are queued at once; `update_draft` may edit them
until the sender picks them up. An automatic reply that has not gone out (draft, queued, failed) is
`cancelled` when its task is superseded or answered (`cancel_pending`), so that the sender does not get
a stale receipt or request after a newer one.

Exactly once, as far as SMTP allows: send_due marks a reply 'sending' (with a lease in next_attempt_at
and the claiming worker's id in claimed_by) and commits BEFORE talking to the relay. The moment the
relay answers 250 to the message's data, the outbox calls back and 'sent' is committed, before the
QUIT round trip and before anything else. The Message-ID is fixed when the reply is drafted.

What remains is the span between the relay's 250 and that commit: one local database transaction
(milliseconds), plus the 250 itself in flight (SMTP has no two-phase commit: the relay may have taken
the message while its answer is lost). A worker killed there leaves the reply in 'sending'; it is sent
again, with the same Message-ID, which receivers and mail clients use to drop the duplicate — at the
next cycle of any worker when the claimer is known to be gone (its heartbeat stopped, or its process
on this machine no longer exists: pipeline.usecases.worker_leases), else when the lease expires. We chose a
possible duplicate over leaving it for an operator, because a lost request for information stalls a
case for days while a duplicate with the same Message-ID is harmless. A crash before the relay
accepted (the common case: the commit precedes the network) gives exactly one copy. The folder
outbox is idempotent: a resend replaces the same <id>.eml.
"""

from __future__ import annotations

import html
import logging
import re
import uuid
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import Message, RegistryOperator, Reply, Task
from pipeline.adapters.outbox import header_text
from pipeline.core import domain, policy
from pipeline.core.clock import now_utc
from pipeline.core.render import render
from pipeline.errors import IllegalTransition, PipelineError
from pipeline.settings import Settings
from pipeline.steps import reply_states
from pipeline.steps.task_data import reply_context

log = logging.getLogger(__name__)

CASE_TAG = "IMDi-skjema"
_PREFIX = re.compile(r"^\s*((re|sv|aw|fw|fwd|vs|vb|wg|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_TAG = re.compile(r"\s*\[IMDi-skjema [0-9-]+\]\s*", re.IGNORECASE)
_NO_REPLY = re.compile(r"^(noreply|donotreply|mailerdaemon|postmaster|bounces?)$")

UNSENT = tuple(sorted(domain.UNSENT))  # not yet handed to the outbox ('sending' may be at the relay)



def reply_subject(original: str | None, fallback: str, case_ref: str | None) -> str:
    """'Re: <original subject> [IMDi-skjema 2026-0042]': one 'Re: ', one case reference."""
    base = _TAG.sub(" ", header_text(original))
    base = _PREFIX.sub("", base).strip()
    base = " ".join(_TAG.sub(" ", base).split()) or fallback
    subject = f"Re: {base}"
    if case_ref:
        subject += f" [{CASE_TAG} {case_ref}]"
    return subject


def refused_because(to_addr: str | None, message: Message | None) -> str | None:
    """Why no reply may go to this address at all (None: it may)."""
    if not to_addr:
        return "no sender address"
    addr = plain_address(to_addr)
    if addr is None:
        return "sender address is not a plain address"
    if recipient(addr) is None:
        return "sender address is not a valid e-mail address (or is an IP literal)"
    local = addr.rpartition("@")[0].lower()
    if _NO_REPLY.match(re.sub(r"[-_.+]", "", local.split("+")[0])):
        return "no-reply address"
    if message is not None and _is_auto_reply(message):
        return "the message is an auto-reply or a bounce"
    return None


def loop_guard(session: Session, to_addr: str, limit: int) -> str | None:
    """Why an automatic reply to this address must wait for a person: `limit` replies in the last hour."""
    since = now_utc() - timedelta(hours=1)
    # A cancelled reply never left us, so it does not count towards a loop.
    count = session.scalar(select(func.count(Reply.id)).where(
        func.lower(Reply.to_addr) == to_addr.lower(), Reply.created_at >= since, Reply.state != "cancelled"))
    if count and count >= limit:
        return f"loop guard: {count} replies to this address in the last hour"
    return None


def reply_caps(session: Session, to_addr: str, settings: Settings) -> str | None:
    """Why an automatic reply must wait for a person: the address's loop guard, or the caps per
    sender domain and in total in the last hour (so that a flood of mail, forged or not, cannot make
    post@imdi.no write to the world)."""
    held = loop_guard(session, to_addr, settings.reply_max_per_hour)
    if held:
        return held
    since = now_utc() - timedelta(hours=1)
    recent = select(func.count(Reply.id)).where(Reply.created_at >= since, Reply.automatic.is_(True),
                                                Reply.state != "cancelled")
    domain = to_addr.rpartition("@")[2].lower()
    count = session.scalar(recent.where(func.lower(Reply.to_addr).like(f"%@{_like_escape(domain)}", escape="\\")))
    if count and count >= settings.reply_max_per_domain_per_hour:
        return f"domain cap: {count} automatic replies to {domain} in the last hour"
    count = session.scalar(recent)
    if count and count >= settings.reply_max_total_per_hour:
        return f"total cap: {count} automatic replies in the last hour"
    return None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def recipient(address: str) -> str | None:
    """The address to write to, if its syntax is valid (email-validator, no DNS, no IP literals, no
    quoted local parts): lowercased, with an international domain in its ASCII form; None otherwise."""
    from email_validator import EmailNotValidError, validate_email

    try:
        valid = validate_email(address, check_deliverability=False, allow_domain_literal=False,
                               allow_quoted_local=False, allow_display_name=False)
    except EmailNotValidError:
        return None
    return f"{valid.local_part}@{valid.ascii_domain}".lower()


def plain_address(text: str) -> str | None:
    """'kari@x.no' from 'kari@x.no' or 'Kari <kari@x.no>'; None for anything that could smuggle a header."""
    if any(c in text for c in "\r\n\0") or "=?" in text:
        return None
    addr = parseaddr(text.strip())[1]
    local, at, domain = addr.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() or c in "<>,;\"" for c in addr):
        return None
    return addr


def _is_auto_reply(message: Message) -> bool:
    """The intake's own detector (pipeline.adapters.mail.autoreply) on the stored headers: one rule for both, so a
    mail never becomes a case while its receipt is refused as an auto-reply, or the reverse."""
    if message.outcome == "auto_reply":
        return True
    from email import message_from_string, policy
    from email.parser import BytesHeaderParser

    from pipeline.adapters.mail.autoreply import auto_reply_reason

    if message.raw:
        headers = BytesHeaderParser(policy=policy.default).parsebytes(message.raw)
    else:  # purged (or never stored): what was kept of its headers
        headers = message_from_string(f"Subject: {header_text(message.subject)}\n\n", policy=policy.default)
    return auto_reply_reason(headers, message.sender) is not None


# Automatic replies about a case that tell its state (received, something missing, who is meant): to
# anyone but the driftsoperatør each is the one short acknowledgement, so that none is an oracle.
ABOUT_THE_CASE = frozenset({"receipt", "needs_info", "removal_receipt", "removal_needs_info"})


def entitled_to_facts(session: Session, task: Task | None, to_addr: str, verified: bool) -> bool:
    """May a reply about `task` to `to_addr` name registry facts (pipeline.core.policy): the case's
    driftsoperatør at its registered address or domain, verified, and the case not marked unverified.
    Without a case: whether the sender is verified (such replies name no registry fact anyway)."""
    if task is None:
        return verified
    if not verified or any(f.code == "sender.unverified" for f in task.findings):
        return False
    operator = session.get(RegistryOperator, task.operator_id) if task.operator_id else None
    if operator is None:
        # The check matched an operator the registry does not list (any more): its verdict on the sender
        # (no sender.unverified) stands. No operator at all: nobody is entitled.
        return task.operator_id is not None
    return policy.entitled_to_registry_facts(policy.Sender(to_addr, verified), operator_email=operator.email,
                                             operator_domain=operator.email_domain)


def _message_id(settings: Settings) -> str:
    return f"<reply-{uuid.uuid4().hex}@{settings.reply_domain}>"


def draft_reply(session: Session, *, kind: str, task: Task | None = None, message: Message | None = None,
                automatic: bool = True, extra: dict[str, Any] | None = None, settings: Settings,
                actor: str = audit.SYSTEM, state: str = "queued") -> Reply | None:
    """Render and store a reply to `message` (default: the task's original message), or None if forbidden.

    Kinds: receipt, needs_info, confirmation, rejection, reminder (with a task); unreadable (extra:
    {"errors": [{"filename", "message"}]}) and no_form (a message only); acknowledgement. `extra` adds to
    or overrides the template context (e.g. {"note": ...}). None, with an audit event saying why, for an
    address that is not a valid one (syntax, IP literal), a no-reply address, an auto-reply or bounce.
    Above the caps (per address, per domain, in total per hour; automatic replies only) the reply is
    held as a draft for a person. To a sender that is not verified (`Message.sender_verified`) an
    automatic receipt or request is an acknowledgement, and every reply quotes no value, no file name
    and no registry fact (`task_data.reply_context`).
    """
    if message is None and task is not None:
        message = session.get(Message, task.message_pk)
    if message is None:
        raise ValueError("draft_reply needs a task or a message")
    why = refused_because(message.sender, message)
    if why:
        audit.record(session, actor, "reply.suppressed", "task" if task else "message",
                     task.id if task else message.id, {"kind": kind, "reason": why, "message": message.id})
        log.info("no %s reply for message %s: %s", kind, message.id, why)
        return None
    to_addr = recipient(plain_address(message.sender or "") or "") or ""
    verified = bool(message.sender_verified)
    entitled = entitled_to_facts(session, task, to_addr, verified)
    # Whoever is not the driftsoperatør (unverified, or verified for a domain of their own) gets the same
    # short receipt whatever the registry holds: not the values they sent (which may be someone else's),
    # not whether a mobile, a name or a centre is known, not even the case.
    sent_kind = "acknowledgement" if not entitled and automatic and kind in ABOUT_THE_CASE else kind
    held = reply_caps(session, to_addr, settings) if automatic else None
    if held:
        # Too many automatic replies to one address: hold this one for a person rather than drop it. A
        # real loop stops here (nothing more goes out); a driftsoperatør who sent many forms at once
        # still gets every receipt once an operator releases them.
        audit.record(session, actor, "reply.held", "task" if task else "message",
                     task.id if task else message.id, {"kind": sent_kind, "reason": held, "message": message.id})
        log.info("%s reply for message %s held as a draft: %s", sent_kind, message.id, held)
    context = _context(task, message, sent_kind, extra, settings, verified=verified, entitled=entitled)
    rendered = render(sent_kind, context)
    reply = Reply(
        task_id=task.id if task else None, message_pk=message.id, kind=sent_kind, automatic=automatic,
        to_addr=to_addr, subject=_subject(message, rendered.subject, context.get("case_ref"), verified),
        body_text=rendered.text, body_html=rendered.html, rfc_message_id=_message_id(settings),
        in_reply_to=message.message_id.strip() if message.message_id else None,
        references=_references(message), state="draft" if held else state, attempts=0, created_at=now_utc(),
    )
    session.add(reply)
    session.flush()
    audit.record(session, actor, "reply.drafted", "reply", reply.id,
                 {"kind": sent_kind, "task": task.id if task else None, "state": reply.state, "automatic": automatic})
    return reply


def _context(task: Task | None, message: Message, kind: str, extra: dict[str, Any] | None, settings: Settings, *,
             verified: bool, entitled: bool) -> dict[str, Any]:
    """The template's context: the case's values only for whom they may reach, nothing of the sender's own
    text (display name, file names) unless the sender is verified."""
    context = reply_context(task, settings, verified=entitled if task is not None else verified)
    # A display name is the sender's own text: greeted by it only when the sender is verified.
    context["sender_name"] = (header_text(message.sender_name) or None) if verified else None
    context.update(extra or {})
    if kind == "acknowledgement":
        context["verified"] = verified  # it says only whether the From address could be verified
        context["case_ref"] = None
    if not verified:
        # File names are the sender's text too: the reply says what was wrong, not what they called it.
        context["errors"] = [{**e, "filename": None} for e in context.get("errors") or []]
        context["not_forms"] = []
    return context


def _subject(message: Message, rendered: str, case_ref: str | None, verified: bool) -> str:
    if verified:
        return reply_subject(message.subject, rendered, case_ref)
    # Not "Re: <their subject>": a forged mail's subject would reach whoever it names, from us.
    return rendered + (f" [{CASE_TAG} {case_ref}]" if case_ref else "")


def _references(message: Message) -> str | None:
    refs = [r for r in (message.references or "").split() if r.startswith("<")]
    if message.message_id:
        refs.append(message.message_id.strip())
    return " ".join(list(dict.fromkeys(refs))[-20:]) or None  # the thread's head and tail, bounded


def preview_reply(session: Session, *, kind: str, task: Task, extra: dict[str, Any] | None = None,
                  settings: Settings) -> tuple[str, str, str] | None:
    """(to, subject, text) of the reply `draft_reply` would make for `task` now, rendered with the same
    templates and context and stored nowhere; None when no reply may go to the sender at all."""
    message = session.get(Message, task.message_pk)
    if message is None or refused_because(message.sender, message):
        return None
    to = recipient(plain_address(message.sender or "") or "") or ""
    verified = bool(message.sender_verified)
    # What the operator sees is what draft_reply will write: registry facts only to the driftsoperatør.
    context = reply_context(task, settings, verified=entitled_to_facts(session, task, to, verified))
    context["sender_name"] = (header_text(message.sender_name) or None) if verified else None
    context.update(extra or {})
    rendered = render(kind, context)
    to_addr = (plain_address(message.sender or "") or "").lower()
    return to_addr, reply_subject(message.subject, rendered.subject, task.case_ref), rendered.text


def cancel_pending(session: Session, task: Task, *, actor: str = audit.SYSTEM, reason: str,
                   details: dict[str, Any] | None = None) -> list[int]:
    """Cancel the task's automatic replies that have not gone out; the ids cancelled.

    Compare-and-set on the state, so a reply that send_due has just claimed ('sending') is left alone:
    on PostgreSQL the UPDATE waits for the claim's row lock and then no longer matches; on SQLite the
    two writers are serialised. Replies an operator wrote (decisions, requests with a note) stay:
    a person decides whether they still apply.
    """
    pending = session.execute(select(Reply.id, Reply.kind).where(
        Reply.task_id == task.id, Reply.automatic.is_(True), Reply.state.in_(UNSENT)).order_by(Reply.id)).all()
    cancelled = []
    for reply_id, kind in pending:
        state = reply_states.move(session, reply_id, "cancelled", only_from=tuple(UNSENT), next_attempt_at=None)
        if state is None:
            continue
        cancelled.append(reply_id)
        audit.record(session, actor, "reply.cancelled", "reply", reply_id,
                     {"task": task.id, "kind": kind, "state": {"before": state, "after": "cancelled"},
                      "reason": reason, **(details or {})})
    return cancelled


def release_draft(session: Session, reply_id: int, *, actor: str) -> Reply:
    """Queue a reply held as a draft (loop guard, mail older than the intake window) for sending."""
    reply = session.get(Reply, reply_id, with_for_update=True)
    if reply is None:
        raise PipelineError(f"no reply {reply_id}", code="reply.not_found")
    before = reply_states.move(session, reply_id, "queued", only_from=("draft",), next_attempt_at=None)
    if before is None:
        raise IllegalTransition(f"reply {reply_id} is {reply.state}: only a draft can be released for sending",
                                message_no="Bare et svarutkast kan sendes herfra.")
    session.refresh(reply)
    audit.record(session, actor, "reply.released", "reply", reply.id,
                 {"task": reply.task_id, "kind": reply.kind, "state": {"before": before, "after": "queued"}})
    return reply


def update_draft(session: Session, reply_id: int, *, actor: str, subject: str | None = None,
                 body_text: str | None = None) -> Reply:
    """Edit a reply that has not been picked up for sending yet."""
    reply = session.get(Reply, reply_id, with_for_update=True)
    if reply is None:
        raise PipelineError(f"no reply {reply_id}", code="reply.not_found")
    if reply.state not in ("draft", "queued"):
        raise IllegalTransition(f"reply {reply_id} is {reply.state}: only a draft or queued reply can be edited",
                                message_no="Svaret er allerede sendt eller under sending og kan ikke endres.")
    changes: dict[str, Any] = {}
    if subject is not None:
        new = header_text(subject)
        tag = _TAG.search(reply.subject)
        if tag and tag.group(0).strip() not in new:
            new = f"{new} {tag.group(0).strip()}"  # the case reference must survive an edit
        if new != reply.subject:
            changes["subject"] = {"before": reply.subject, "after": new}
            reply.subject = new
    if body_text is not None and body_text != reply.body_text:
        changes["body_text"] = {"before": reply.body_text, "after": body_text}
        reply.body_text = body_text
        # The HTML alternative must say the same thing: rebuild it from the edited text.
        paras = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>\n" for p in body_text.split("\n\n"))
        reply.body_html = f'<!DOCTYPE html>\n<html lang="nb"><head><meta charset="utf-8"></head><body>\n{paras}</body></html>\n'
    if changes:
        audit.record(session, actor, "reply.edited", "reply", reply.id, changes)
    return reply
