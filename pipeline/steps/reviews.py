"""Periodic access reviews (certification): each driftsoperatør confirms who holds Mottaksadministrator
at its centres, or names who should not.

    review_campaigns.start(session_factory, operators=[...] | all_operators=True, ...)`pipeline review start`
    send_due_reminders(session, now=...) -> int                                    the worker's cycle
    find_review(session, message) -> AccessReview | None                           an answer, by ref or thread
    take_answer(session, review, message, body) -> outcome                         ingest (removal_requests)

One campaign (`review start`) sends one review per driftsoperatør that has administrators, to the operator's
address in the registry, listing per centre who holds the role; the mail is queued in the outbox like every
reply and goes out with the next send. Its subject carries the review's own reference
([IMDi-gjennomgang 2026-G001]). Only a trusted answer (verified, from the driftsoperatør's address:
pipeline.core.policy.may_confirm_review) moves the review: "alt stemmer" confirms it, people named as leaving
get a removal task each, and anything else becomes a task for a person to read. Any other answer is kept
as an untrusted answer beside the review, which stays waiting (its reminder still falls due); removals it
names are cases that carry sender.unverified.
Unanswered after N working days: one reminder, and the review is `overdue` (a late answer still counts).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import (
    AccessCampaign,
    AccessReview,
    Message,
    RegistryCentre,
    RegistryOperator,
    RegistryUser,
    RegistryUserRole,
    Reply,
    Task,
)
from pipeline.adapters.registry_store.changes import admin_centres
from pipeline.checks.findings import Finding
from pipeline.checks.operator import check_sender
from pipeline.checks.texts import finding
from pipeline.core import policy
from pipeline.core.clock import OSLO, now_utc
from pipeline.core.domain import (
    ORIGIN_REVIEW,
    REVIEW,
    REVIEW_CHANGES,
    REVIEW_CONFIRMED,
    REVIEW_OVERDUE,
    REVIEW_SENT,
    REVIEW_UNCLEAR,
    ROLE,
    USER_ACTIVE,
    review_after_answer,
)
from pipeline.core.removal_text import Person, Reading, read_review_answer
from pipeline.core.render import render
from pipeline.core.workdays import add_working_days
from pipeline.registry.lookup import OperatorInfo
from pipeline.settings import Settings
from pipeline.steps import removals
from pipeline.steps.replies import plain_address

log = logging.getLogger(__name__)

TAG = "IMDi-gjennomgang"
REF = re.compile(r"\[\s*IMDi-gjennomgang\s+(\d{4}-G\d{3,})\s*\]", re.IGNORECASE)
_MSGID = re.compile(r"<[^<>\s]+>")
ENTITY = "access_review"
_MONTHS = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
           "november", "desember")




def norwegian_date(at: datetime) -> str:
    local = at.astimezone(OSLO)
    return f"{local.day}. {_MONTHS[local.month - 1]} {local.year}"


def listing_of(session: Session, operator_id: str) -> list[dict[str, Any]]:
    """Per centre of the operator, the active users holding Mottaksadministrator (centres without one left out)."""
    rows = session.execute(
        select(RegistryCentre.mottaksnummer, RegistryCentre.name, RegistryUser.user_id, RegistryUser.first_name,
               RegistryUser.last_name, RegistryUser.email)
        .join(RegistryUserRole, RegistryUserRole.mottaksnummer == RegistryCentre.mottaksnummer)
        .join(RegistryUser, RegistryUser.user_id == RegistryUserRole.user_id)
        .where(RegistryCentre.operator_id == operator_id, RegistryUserRole.role == ROLE,
               RegistryUser.status == USER_ACTIVE)
        .order_by(RegistryCentre.mottaksnummer, RegistryUser.last_name, RegistryUser.first_name)).all()
    out: dict[str, dict[str, Any]] = {}
    for number, name, uid, first, last, email in rows:
        out.setdefault(number, {"mottaksnummer": number, "name": name, "admins": []})["admins"].append(
            {"user_id": uid, "first_name": first, "last_name": last, "email": email})
    return list(out.values())


def _next_ref(session: Session, year: int) -> str:
    refs = session.scalars(select(AccessReview.ref).where(AccessReview.ref.like(f"{year}-G%"))).all()
    last = max((int(r.split("-G", 1)[1]) for r in refs), default=0)
    return f"{year}-G{last + 1:03d}"




def _send(session: Session, campaign: AccessCampaign, operator: RegistryOperator, listing: list[dict[str, Any]],
          *, now: datetime, due_days: int, actor: str, settings: Settings) -> AccessReview:
    due = add_working_days(now, due_days)
    review = AccessReview(ref=_next_ref(session, now.astimezone(OSLO).year), campaign_id=campaign.id,
                          operator_id=operator.operator_id, to_addr=(operator.email or "").lower(), state=REVIEW_SENT,
                          listing=listing, sent_at=now, due_at=due)
    session.add(review)
    session.flush()
    reply = _draft(session, review, "review", operator.name, listing, settings=settings, automatic=False, now=now)
    audit.record(session, actor, "review.sent", ENTITY, review.id, {
        "ref": review.ref, "operator_id": review.operator_id, "to": review.to_addr, "reply": reply.id,
        "due_at": due.isoformat(), "admins": [a["user_id"] for c in listing for a in c["admins"]]})
    return review


def _draft(session: Session, review: AccessReview, kind: str, operator_name: str, listing: list[dict[str, Any]], *,
           settings: Settings, automatic: bool, now: datetime, thread: Reply | None = None) -> Reply:
    context = {"signature": settings.signature, "sender_address": parseaddr(settings.reply_from)[1],
               "sender_name": None,
               "review": {"ref": review.ref, "operator": operator_name, "listing": listing,
                          "due": norwegian_date(review.due_at if review.due_at.tzinfo else
                                                review.due_at.replace(tzinfo=UTC))}}
    rendered = render(kind, context)
    domain = parseaddr(settings.reply_from)[1].rpartition("@")[2] or "imdi.no"
    reply = Reply(review_id=review.id, kind=kind, automatic=automatic, to_addr=review.to_addr,
                  subject=f"{rendered.subject} [{TAG} {review.ref}]", body_text=rendered.text,
                  body_html=rendered.html, rfc_message_id=f"<review-{uuid.uuid4().hex}@{domain}>",
                  in_reply_to=thread.rfc_message_id if thread else None,
                  references=thread.rfc_message_id if thread else None, state="queued", attempts=0, created_at=now)
    session.add(reply)
    session.flush()
    audit.record(session, audit.SYSTEM, "reply.drafted", "reply", reply.id,
                 {"kind": kind, "review": review.id, "state": "queued", "automatic": automatic})
    return reply


def send_due_reminders(session: Session, *, now: datetime | None = None, settings: Settings) -> int:
    """One reminder for each review past its due date without an answer; the review is then `overdue`."""
    now = now or now_utc()
    due = session.scalars(select(AccessReview).where(AccessReview.state == REVIEW_SENT,
                                                     AccessReview.due_at <= now)
                          .order_by(AccessReview.id).with_for_update(skip_locked=True)).all()
    for review in due:
        operator = session.get(RegistryOperator, review.operator_id)
        first = session.scalars(select(Reply).where(Reply.review_id == review.id, Reply.kind == "review")
                                .order_by(Reply.id)).first()
        # The list as it is now: someone may have been removed since the review went out. An answer still
        # names people from the list as sent (review.listing).
        listing = listing_of(session, review.operator_id) or review.listing
        reply = _draft(session, review, "review_reminder", operator.name if operator else review.operator_id,
                       listing, settings=settings, automatic=True, now=now, thread=first)
        review.reminder_sent_at, review.state = now, REVIEW_OVERDUE
        audit.record(session, audit.SYSTEM, "review.overdue", ENTITY, review.id,
                     {"ref": review.ref, "reminder": reply.id, "state": {"before": REVIEW_SENT, "after": REVIEW_OVERDUE}})
    return len(due)


def find_review(session: Session, message: Message) -> AccessReview | None:
    """The review a mail answers: by the reference in its subject, else by In-Reply-To/References."""
    match = REF.search(message.subject or "")
    if match:
        found = session.scalar(select(AccessReview).where(AccessReview.ref == match.group(1).upper()))
        if found is not None:
            return found
    ids = _MSGID.findall(" ".join(filter(None, (message.in_reply_to, message.references))))
    if not ids:
        return None
    review_id = session.scalar(select(Reply.review_id).where(Reply.rfc_message_id.in_(ids), Reply.review_id.is_not(None))
                               .order_by(Reply.id.desc()).limit(1))
    return session.get(AccessReview, review_id) if review_id else None


def _listed(review: AccessReview) -> list[Person]:
    seen: dict[str, Person] = {}
    for centre in review.listing or []:
        for a in centre["admins"]:
            seen.setdefault(a["user_id"], Person(a["user_id"], a["first_name"], a["last_name"], a["email"]))
    return list(seen.values())


def _centres_listed(review: AccessReview, user_id: str) -> list[str]:
    return [c["mottaksnummer"] for c in review.listing or [] if any(a["user_id"] == user_id for a in c["admins"])]


def take_answer(session: Session, review: AccessReview, message: Message, body: str, *,
                settings: Settings) -> str:
    """Read an answer to `review` and act on it; the message's outcome (queued when it raised a task).

    Only a trusted answer (pipeline.core.policy.may_confirm_review: verified, from the address the review
    went to or the driftsoperatør's registered address) moves the review: confirmed, changes or unclear.
    Any other answer is kept beside it as an untrusted answer ("ubekreftet svar"): the review stays
    waiting and its reminder still falls due. Every removal an answer names is a case a person decides;
    one raised by an untrusted answer carries sender.unverified, so it never looks clean."""
    sender = (plain_address(message.sender or "") or "").lower()
    reading = read_review_answer(body, _listed(review), sender=sender)
    trusted, findings = _trust(session, review, message, sender)
    task_ids, notes = _raise_removals(session, review, message, reading, findings)
    verdict = (REVIEW_UNCLEAR if not reading.certain else REVIEW_CHANGES if reading.named
               else REVIEW_CONFIRMED if reading.confirms else REVIEW_UNCLEAR)
    before = review.state
    record = {"verdict": verdict, "named": list(reading.named), "unclear": list(reading.unclear),
              "evidence": list(reading.evidence), "sender": sender, "verified": bool(message.sender_verified),
              "trusted": trusted, "notes": notes, "tasks": task_ids, "message": message.id,
              "at": now_utc().isoformat()}
    kept = dict(review.answer or {})
    untrusted = list(kept.get("untrusted") or [])
    if trusted:
        review.state = review_after_answer(before, verdict)
        review.answered_at = now_utc()
        review.answer_message_pk = message.id
        review.answer = {**record, "untrusted": untrusted}
    else:
        # Kept and shown, never acted on: the review waits for the driftsoperatør's own answer.
        untrusted.append(record)
        review.answer = {**kept, "untrusted": untrusted}
    audit.record(session, audit.SYSTEM, "review.answered" if trusted else "review.answer_not_trusted", ENTITY,
                 review.id, {"ref": review.ref, "message": message.id, "verdict": verdict,
                             "named": list(reading.named), "tasks": task_ids, "verified": bool(message.sender_verified),
                             "trusted": trusted, "state": {"before": before, "after": review.state}})
    log.info("review %s answered (%s): %s", review.ref, "trusted" if trusted else "untrusted", verdict)
    return "queued" if task_ids else "no_form"


def _trust(session: Session, review: AccessReview, message: Message, sender: str) -> tuple[bool, list[Finding]]:
    """Whether the answer may move the review, and the finding a removal it raises carries when not."""
    operator = session.get(RegistryOperator, review.operator_id)
    info = OperatorInfo(operator.operator_id, operator.name, operator.orgnr, operator.email_domain,
                        operator.email) if operator else None
    trusted = policy.may_confirm_review(policy.Sender(sender, bool(message.sender_verified)),
                                        review_to=review.to_addr, operator_email=operator.email if operator else None)
    unverified = check_sender(sender or None, message.auth_results, info)
    if unverified is None and not trusted:
        # Verified, and at the operator's domain, but not the address the review is for: still not theirs.
        why = f"{sender or 'the sender'} is not the address the review was sent to ({review.to_addr})"
        unverified = finding("sender.unverified", None, {"sender": sender, "reasons": [why],
                                                         "operator_id": review.operator_id},
                             sender=sender, reason=why)
    return trusted, [unverified] if unverified else []


def _raise_removals(session: Session, review: AccessReview, message: Message, reading: Reading,
                    findings: list[Finding]) -> tuple[list[int], list[str]]:
    """A removal case for each person the answer names who still holds the role at the centres listed,
    and one for a person to read when the answer could not be read with confidence."""
    task_ids: list[int] = []
    notes: list[str] = []
    for user_id in reading.named:
        held = [n for n in _centres_listed(review, user_id) if n in admin_centres(session, user_id)]
        user = session.get(RegistryUser, user_id)
        if user is None or user.status != USER_ACTIVE or not held:
            notes.append(f"{user_id} no longer holds the role at the centres listed")
            continue
        opened = removals.open_removal(
            session, user_id=user_id, centres=held, origin=ORIGIN_REVIEW, message=message, review_id=review.id,
            reason=f"Svar på gjennomgang {review.ref}: " + " / ".join(reading.evidence)[:500], findings=findings,
            details={"review_ref": review.ref})
        task_ids.append(opened.task.id)
    if not reading.certain:
        opened = removals.open_removal(
            session, user_id=None, centres=None, origin=ORIGIN_REVIEW, message=message, review_id=review.id,
            operator_id=review.operator_id, state=REVIEW, findings=findings,
            reason=f"Uklart svar på gjennomgang {review.ref}: les svaret og velg hvem som skal fjernes, "
                   "eller avslå saken.",
            details={"review_ref": review.ref, "unclear": list(reading.unclear)})
        task_ids.append(opened.task.id)
    return task_ids, notes


def removal_task_ids(session: Session, review_ids: Sequence[int]) -> dict[int, list[int]]:
    """The tasks each review's answers raised (removals, and answers for a person to read)."""
    out: dict[int, list[int]] = {i: [] for i in review_ids}
    if review_ids:
        for task_id, review_id in session.execute(select(Task.id, Task.review_id).where(
                Task.review_id.in_(list(review_ids))).order_by(Task.id)):
            out.setdefault(review_id or 0, []).append(task_id)
    return out
