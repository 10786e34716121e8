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
`sender.unverified` for the person who decides, and a reply to anyone but the driftsoperatør names nobody.
The answer to "who is meant?" chooses the person only when pipeline.core.policy.may_answer says so (a
verified mail from the case's sender or the operator's registered address); anything else is a proposal,
and every case an answer raises carries the distrust of the request it answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import (
    Message,
    ProposedChange,
    RegistryCentre,
    RegistryOperator,
    RegistryUser,
    RegistryUserRole,
    Task,
)
from pipeline.adapters.registry_store.changes import admin_centres
from pipeline.checks.findings import Finding
from pipeline.checks.operator import check_sender
from pipeline.core import policy
from pipeline.core.clock import now_utc
from pipeline.core.domain import NEEDS_INFO, ORIGIN_EMAIL, PERSON, PROPOSED, REMOVAL, ROLE, USER_ACTIVE
from pipeline.core.removal_text import Person, read_names, read_removal
from pipeline.queries.senders import operator_of
from pipeline.registry.lookup import OperatorInfo
from pipeline.settings import Settings
from pipeline.steps import removals, replies, reviews
from pipeline.steps.followup import find_task_for_reply


def take(session: Session, message: Message, body: str, settings: Settings) -> str | None:
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


def _who_is_meant(session: Session, task: Task, message: Message, body: str, settings: Settings) -> str:
    """An answer to "who is meant?": the people it names in full or by e-mail. Only a verified mail from
    the case's sender or the driftsoperatør's registered address may choose them (pipeline.core.policy);
    from anyone else each person named is a proposal for an operator, and nothing else changes."""
    operator = session.get(RegistryOperator, task.operator_id) if task.operator_id else None
    reading = read_names(body, _people(session, task.operator_id) if task.operator_id else [])
    sender = (replies.plain_address(message.sender or "") or "").lower()
    if not policy.may_answer(REMOVAL, policy.Sender(sender, bool(message.sender_verified)), case_sender=task.sender,
                             operator_email=operator.email if operator else None):
        return _propose_people(session, task, message, reading.named, settings)
    task.answered_at = now_utc()
    if not reading.named or not reading.certain:
        audit.record(session, audit.SYSTEM, "task.answered_without_form", "task", task.id,
                     {"message": message.id, "unclear": list(reading.unclear)})
        return "no_form"  # a person reads it (and may assign the user on the case page)
    first, *others = reading.named
    removals.assign(session, task.id, user_id=first, centres=_centres_at(session, first, operator),
                    actor=audit.SYSTEM, settings=settings)
    # The cases the answer raises carry the distrust of the request it answers, and the answer's own.
    findings = inherited_distrust(task) or _verdict(sender, message, operator)
    for user_id in others:
        opened = removals.open_removal(session, user_id=user_id, centres=_centres_at(session, user_id, operator),
                                       origin=ORIGIN_EMAIL, message=message, reason=task.reason,
                                       findings=findings, details={"answer_to": task.case_ref})
        if opened.new:
            replies.draft_reply(session, kind="removal_receipt", task=opened.task, message=message,
                                automatic=True, settings=settings)
    return "queued"


def inherited_distrust(task: Task) -> list[Finding]:
    """The sender.unverified of the case an answer belongs to, for a case that answer raises."""
    return [Finding(f.code, f.severity, f.field, f.message_no, f.message_en,  # type: ignore[arg-type]
                    {k: v for k, v in (f.details or {}).items() if k != "extra"})
            for f in task.findings if f.code == "sender.unverified"]


def _propose_people(session: Session, task: Task, message: Message, named: Sequence[str],
                    settings: Settings) -> str:
    """An answer that may not choose the person: each registry user it names becomes a proposed change for
    an operator (accepting it assigns the user, or opens a case of its own that carries the distrust); its
    sender gets the same short acknowledgement as every stranger."""
    proposals = []
    for user_id in named:
        user = session.get(RegistryUser, user_id)
        name = " ".join(p for p in (user.first_name, user.last_name) if p) if user else user_id
        proposal = ProposedChange(task_id=task.id, message_pk=message.id, sender=message.sender,
                                  sender_verified=bool(message.sender_verified), reading={},
                                  changes={PERSON: {"before": task.user_id, "after": user_id, "name": name}},
                                  state=PROPOSED, created_at=now_utc())
        session.add(proposal)
        session.flush()
        proposals.append(proposal.id)
    audit.record(session, audit.SYSTEM, "task.answer_not_trusted", "task", task.id, {
        "message": message.id, "sender": message.sender, "sender_verified": bool(message.sender_verified),
        "proposals": proposals, "named": list(named)})
    replies.draft_reply(session, kind="acknowledgement", task=task, message=message, automatic=True,
                        settings=settings)
    return "no_form"


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


