"""Mail without a form that is about who should lose access: an answer to an access review, an answer
to "who is meant?", or a driftsoperatør asking that a person's access end.

    take(session, message, body, settings) -> outcome or None

Called by ingest (outcome.take_forms) inside the message's transaction, for a mail that holds no form;
None means "not ours": ingest carries on as before (an answer to a grant task, an ordinary mail).

A removal request is read against the registry users of the sender's driftsoperatør (by the sender's
e-mail domain, or the sender being the operator's or one of its users' address). Each person named with
confidence gets a removal task in review, for the centres of that operator where they hold the role, and
the sender a receipt. When no one can be told with confidence, one task in needs_info asks the sender who
is meant: nothing is guessed. Requests are read whatever the sender's verification says; the task carries
`sender.unverified` for the person who decides, and a reply to an unverified sender names nobody.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import (
    Message,
    RegistryCentre,
    RegistryOperator,
    RegistryUser,
    RegistryUserRole,
    Task,
)
from pipeline.adapters.registry_store.changes import admin_centres
from pipeline.checks.model import Finding
from pipeline.checks.operator import check_sender
from pipeline.core.clock import now_utc
from pipeline.core.domain import NEEDS_INFO, ORIGIN_EMAIL, REMOVAL, ROLE, USER_ACTIVE
from pipeline.core.removal_text import Person, read_names, read_removal
from pipeline.registry.lookup import OperatorInfo, RegistryIndex
from pipeline.settings import Settings
from pipeline.steps import removals, replies, reviews
from pipeline.steps.followup import find_task_for_reply


def take(session: Session, message: Message, body: str, settings: Settings | None = None) -> str | None:
    review = reviews.find_review(session, message)
    if review is not None:
        return reviews.take_answer(session, review, message, body, settings=settings)
    answered = find_task_for_reply(session, message)
    if answered is not None:
        if answered.kind == REMOVAL and answered.state == NEEDS_INFO and answered.user_id is None:
            return _who_is_meant(session, answered, message, body, settings)
        return None  # an answer to a grant, or to a removal already under way: recorded as before
    sender = (replies.plain_address(message.sender or "") or "").lower()
    operator = operator_of(session, sender)
    people = _people(session, operator.operator_id) if operator else []
    reading = read_removal(body, people, sender=sender)
    if not reading.intent:
        return None
    findings = _verdict(sender, message, operator)
    opened = []
    for user_id in reading.named:
        opened.append(removals.open_removal(
            session, user_id=user_id, centres=_centres_at(session, user_id, operator), origin=ORIGIN_EMAIL,
            message=message, reason=" / ".join(reading.evidence)[:1000], findings=findings))
    for item in opened:
        if item.new:
            replies.draft_reply(session, kind="removal_receipt", task=item.task, message=message, automatic=True,
                                settings=settings)
    if reading.certain and opened:
        return "queued"
    task = removals.open_removal(
        session, user_id=None, centres=None, origin=ORIGIN_EMAIL, message=message, state=NEEDS_INFO,
        operator_id=operator.operator_id if operator else None, findings=findings,
        reason=" / ".join(reading.evidence)[:1000],
        details={"unclear": list(reading.unclear), "operator_known": operator is not None}).task
    replies.draft_reply(session, kind="removal_needs_info", task=task, message=message, automatic=True,
                        settings=settings)
    return "needs_info"


def _who_is_meant(session: Session, task: Task, message: Message, body: str, settings: Settings | None) -> str:
    """The sender's answer to "who is meant?": the people it names in full or by e-mail."""
    operator = session.get(RegistryOperator, task.operator_id) if task.operator_id else None
    reading = read_names(body, _people(session, task.operator_id) if task.operator_id else [])
    task.answered_at = now_utc()
    if not reading.named or not reading.certain:
        audit.record(session, audit.SYSTEM, "task.answered_without_form", "task", task.id,
                     {"message": message.id, "unclear": list(reading.unclear)})
        return "no_form"  # a person reads it (and may assign the user on the case page)
    first, *others = reading.named
    removals.assign(session, task.id, user_id=first, centres=_centres_at(session, first, operator),
                    actor=audit.SYSTEM, settings=settings)
    for user_id in others:
        opened = removals.open_removal(session, user_id=user_id, centres=_centres_at(session, user_id, operator),
                                       origin=ORIGIN_EMAIL, message=message, reason=task.reason,
                                       findings=[], details={"answer_to": task.case_ref})
        if opened.new:
            replies.draft_reply(session, kind="removal_receipt", task=opened.task, message=message,
                                automatic=True, settings=settings)
    return "queued"


def operator_of(session: Session, sender: str) -> RegistryOperator | None:
    """The driftsoperatør a sender writes for: by its e-mail domain, or the address being the operator's
    or one of its administrators' (one operator only, else None)."""
    if not sender or "@" not in sender:
        return None
    ops = list(session.scalars(select(RegistryOperator)))
    index = RegistryIndex([], [OperatorInfo(o.operator_id, o.name, o.orgnr, o.email_domain, o.email) for o in ops])
    found = index.operators_by_domain(sender.rpartition("@")[2])
    ids = {o.operator_id for o in found}
    if not ids:
        ids = {o.operator_id for o in ops if (o.email or "").lower() == sender}
    if not ids:
        ids = set(session.scalars(
            select(RegistryCentre.operator_id).join(RegistryUserRole, RegistryUserRole.mottaksnummer
                                                    == RegistryCentre.mottaksnummer)
            .join(RegistryUser, RegistryUser.user_id == RegistryUserRole.user_id)
            .where(RegistryUser.email == sender, RegistryUser.status == USER_ACTIVE, RegistryUserRole.role == ROLE)))
    return session.get(RegistryOperator, ids.pop()) if len(ids) == 1 else None


def _people(session: Session, operator_id: str | None) -> list[Person]:
    """Active users holding Mottaksadministrator at the operator's centres."""
    if not operator_id:
        return []
    rows = session.execute(
        select(RegistryUser.user_id, RegistryUser.first_name, RegistryUser.last_name, RegistryUser.email)
        .join(RegistryUserRole, RegistryUserRole.user_id == RegistryUser.user_id)
        .join(RegistryCentre, RegistryCentre.mottaksnummer == RegistryUserRole.mottaksnummer)
        .where(RegistryCentre.operator_id == operator_id, RegistryUserRole.role == ROLE,
               RegistryUser.status == USER_ACTIVE).distinct().order_by(RegistryUser.user_id)).all()
    return [Person(*r) for r in rows]


def _centres_at(session: Session, user_id: str, operator: RegistryOperator | None) -> list[str] | None:
    """The user's Mottaksadministrator centres run by this operator (another operator's are not its to end)."""
    if operator is None:
        return None
    theirs = set(session.scalars(select(RegistryCentre.mottaksnummer)
                                 .where(RegistryCentre.operator_id == operator.operator_id)))
    held = [n for n in admin_centres(session, user_id) if n in theirs]
    return held or None


def _verdict(sender: str, message: Message, operator: RegistryOperator | None) -> list[Finding]:
    """sender.unverified (a warning on the task) when the mail is not verified as the operator's."""
    info = OperatorInfo(operator.operator_id, operator.name, operator.orgnr, operator.email_domain,
                        operator.email) if operator else None
    found = check_sender(sender or None, message.auth_results, info)
    return [found] if found else []


