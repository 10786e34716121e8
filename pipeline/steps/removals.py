"""Removal tasks: a registry user's Mottaksadministrator role ends at some or all of their centres.

They go through the same queue as grants (review → approved → done, or rejected) and the same gate
(task_gate.transition). What asks for one (domain.ORIGINS):

    IMDi support          removal_orders.request_removal(session_factory, user_id, ...)`pipeline queue remove`
    a centre that closes  open_removal(..., origin=centre_closed)                 the registry import
    a driftsoperatør      open_removal(..., origin=email, message=...)            removal_requests (ingest)
    an access review      open_removal(..., origin=review, review_id=...)         reviews (ingest)

Nothing is guessed: a request whose person could not be told with confidence becomes a task without a
user (needs_info when we can ask the sender who is meant, else review for a person to read), and cannot
be approved until a person names the user (`assign`). Marking a removal done (`complete`, called by
tasks.mark_provisioned) takes the role off those centres in the same transaction, and confirms it to
whoever asked by e-mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import (
    FindingRow,
    Message,
    ProposedChange,
    RegistryCentre,
    RegistryOperator,
    RegistryUser,
    Task,
    TaskCentre,
)
from pipeline.adapters.registry_store import changes
from pipeline.checks.findings import Finding
from pipeline.core.domain import (
    NEEDS_INFO,
    ORIGIN_EMAIL,
    ORIGINS,
    PENDING,
    PERSON,
    REMOVAL,
    REVIEW,
    USER_ACTIVE,
)
from pipeline.errors import IllegalTransition, PipelineError, RegistryChangeError
from pipeline.settings import Settings
from pipeline.steps import replies
from pipeline.steps.task_gate import get_for_update, next_case_ref, transition


@dataclass(frozen=True)
class Opened:
    task: Task
    new: bool  # False: a pending removal already covered every centre asked for (that task is returned)


def _now() -> datetime:
    return datetime.now(UTC)


def active_user(session: Session, user_id: str) -> RegistryUser:
    user = session.get(RegistryUser, user_id)
    if user is None or user.status != USER_ACTIVE:
        raise RegistryChangeError(f"no active registry user {user_id}", code="registry.user_not_found",
                                  message_no=f"Finner ingen aktiv bruker {user_id} i registeret.")
    return user


def centres_to_end(session: Session, user_id: str, asked: Sequence[str] | None) -> list[str]:
    """The centres whose role ends: those asked for (each must be one the user holds), or all of them."""
    held = changes.admin_centres(session, user_id)
    if not held:
        raise RegistryChangeError(f"registry user {user_id} holds no Mottaksadministrator role",
                                  code="registry.no_role",
                                  message_no=f"Brukeren {user_id} har ikke rollen Mottaksadministrator.")
    wanted = list(dict.fromkeys(n.strip() for n in asked or () if n.strip())) or held
    missing = [n for n in wanted if n not in held]
    if missing:
        raise RegistryChangeError(
            f"registry user {user_id} holds Mottaksadministrator at {', '.join(held)}, not at {', '.join(missing)}",
            code="registry.no_role",
            message_no=f"Brukeren {user_id} har ikke rollen ved {', '.join(missing)} (har den ved {', '.join(held)}).")
    return wanted


def pending_centres(session: Session, user_id: str) -> dict[str, Task]:
    """Centre → the pending removal task that already ends the user's role there."""
    out: dict[str, Task] = {}
    for task in session.scalars(select(Task).where(Task.kind == REMOVAL, Task.user_id == user_id,
                                                   Task.state.in_(PENDING)).order_by(Task.id)):
        for c in task.centres:
            if c.mottaksnummer:
                out.setdefault(c.mottaksnummer, task)
    return out


def _centre_rows(session: Session, numbers: Sequence[str]) -> list[TaskCentre]:
    names = dict(session.execute(select(RegistryCentre.mottaksnummer, RegistryCentre.name)
                                 .where(RegistryCentre.mottaksnummer.in_(list(numbers)))).all())
    return [TaskCentre(position=i, written=names.get(n, n), mottaksnummer=n, name=names.get(n))
            for i, n in enumerate(numbers)]


def _operator(session: Session, operator_id: str | None, numbers: Sequence[str]) -> RegistryOperator | None:
    if operator_id is None and numbers:
        operator_id = session.scalar(select(RegistryCentre.operator_id)
                                     .where(RegistryCentre.mottaksnummer == numbers[0]))
    return session.get(RegistryOperator, operator_id) if operator_id else None


def open_removal(session: Session, *, user_id: str | None, centres: Sequence[str] | None, origin: str,
                 reason: str | None, actor: str = audit.SYSTEM, message: Message | None = None,
                 review_id: int | None = None, operator_id: str | None = None, state: str = REVIEW,
                 findings: Sequence[Finding] = (), details: dict[str, Any] | None = None) -> Opened:
    """A removal task (or the pending one that already covers it). Without a user: a task for a person to
    tell who is meant (`state` needs_info when the sender will be asked)."""
    if origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r}")
    now = _now()
    numbers: list[str] = []
    user: RegistryUser | None = None
    if user_id is not None:
        user = active_user(session, user_id)
        numbers = centres_to_end(session, user.user_id, centres)
        covered = pending_centres(session, user.user_id)
        if all(n in covered for n in numbers):
            task = covered[numbers[0]]
            audit.record(session, actor, "task.removal_already_pending", "task", task.id,
                         {"origin": origin, "centres": numbers, "message": message.id if message else None,
                          "review": review_id})
            return Opened(task, False)
        numbers = [n for n in numbers if n not in covered]
    operator = _operator(session, operator_id, numbers)
    sender = (replies.plain_address(message.sender or "") or "").lower() or None if message else None
    task = Task(case_ref=next_case_ref(session, now.year), kind=REMOVAL, state="new", origin=origin,
                reason=(reason or "").strip() or None, user_id=user.user_id if user else None,
                first_name=user.first_name if user else None, last_name=user.last_name if user else None,
                email=user.email if user else None, mobile=user.mobile if user else None,
                operator=_operator_json(operator), operator_id=operator.operator_id if operator else None,
                message_pk=message.id if message else None, sender=sender, review_id=review_id, reading={},
                corrections={}, created_at=now, updated_at=now)
    task.centres = _centre_rows(session, numbers)
    task.findings = [_row(f) for f in findings]
    session.add(task)
    session.flush()
    _removal_findings(session, task)
    transition(session, task, "open", actor=actor, to=state, details={
        "kind": REMOVAL, "origin": origin, "reason": task.reason, "user_id": task.user_id, "centres": numbers,
        "message": task.message_pk, "review": review_id, **(details or {})})
    return Opened(task, True)


def _row(f: Finding) -> FindingRow:
    return FindingRow(code=f.code, severity=f.severity, field=f.field, message_no=f.message_no,
                      message_en=f.message_en, details={**f.details, "extra": True})


# The findings a removal's own facts make (whom it names, what it leaves behind), kept up to date by
# open_removal and assign; the others (sender.unverified, ...) came with the request and stay.
_OWN = ("removal.person_unknown", "centre.last_admin")


def _removal_findings(session: Session, task: Task) -> None:
    """removal.person_unknown while nobody is chosen; centre.last_admin when the removal would leave a
    centre with no administrator (the centre could then create no users)."""
    from pipeline.checks.texts import finding
    from pipeline.queries.approval import last_admin_centres

    kept = [f for f in task.findings if f.code not in _OWN]
    own: list[Finding] = []
    numbers = [c.mottaksnummer for c in task.centres if c.mottaksnummer]
    if task.user_id is None or not numbers:
        own.append(finding("removal.person_unknown", None))
    else:
        last = last_admin_centres(session, task_id=task.id, user_id=task.user_id, centres=numbers)
        if last:
            names = ", ".join(f"{c.name or c.written} ({c.mottaksnummer})" for c in task.centres
                              if c.mottaksnummer in last)
            own.append(finding("centre.last_admin", None, {"centres": list(last), "names": names}, names=names))
    task.findings = [*kept, *(_row(f) for f in own)]
    session.flush()


def _operator_json(operator: RegistryOperator | None) -> dict[str, Any]:
    if operator is None:
        return {}
    return {"organisation": operator.name, "manager": operator.manager, "email": operator.email,
            "phone": operator.phone}






def assign(session: Session, task_id: int, *, user_id: str, centres: Sequence[str] | None, actor: str,
           settings: Settings) -> Task:
    """A person says whom a removal task means (and at which centres); a task waiting for the sender's
    answer then goes to review, and the sender gets a receipt."""
    task = get_for_update(session, task_id)
    if task.kind != REMOVAL:
        raise IllegalTransition(f"task {task.case_ref} is a grant: only a removal names a user to remove",
                                message_no="Bare en sak om å fjerne tilgang kan knyttes til en bruker slik.")
    user = active_user(session, user_id)
    if not centres and task.operator_id:
        # Not said where: the operator's centres where the user holds the role (another operator's are not
        # this request's to end), else all of them.
        theirs = set(session.scalars(select(RegistryCentre.mottaksnummer)
                                     .where(RegistryCentre.operator_id == task.operator_id)))
        centres = [n for n in changes.admin_centres(session, user.user_id) if n in theirs] or None
    numbers = centres_to_end(session, user.user_id, centres)
    before = {"user_id": task.user_id, "centres": [c.mottaksnummer for c in task.centres]}
    transition(session, task, "assign", actor=actor,
                     details={"before": before, "after": {"user_id": user.user_id, "centres": numbers}})
    task.user_id, task.first_name, task.last_name = user.user_id, user.first_name, user.last_name
    task.email, task.mobile = user.email, user.mobile
    task.centres = _centre_rows(session, numbers)
    session.flush()
    _removal_findings(session, task)
    if not task.operator_id:
        operator = _operator(session, None, numbers)
        task.operator, task.operator_id = _operator_json(operator), operator.operator_id if operator else None
    if task.state == NEEDS_INFO:
        transition(session, task, "clear", actor=actor, details={"by": "assign"})
        if task.message_pk:
            replies.cancel_pending(session, task, actor=actor, reason="assigned")
            replies.draft_reply(session, kind="removal_receipt", task=task, automatic=True, settings=settings,
                                actor=actor)
    return task


def accept_person(session: Session, task: Task, proposal: ProposedChange, *, actor: str,
                  settings: Settings) -> Task:
    """An operator accepted a person an untrusted answer named: the case is about them when it names
    nobody yet, else they get a case of their own, which carries the answer's distrust."""
    from pipeline.checks.texts import finding

    user_id = str((proposal.changes.get(PERSON) or {}).get("after") or "")
    if not user_id:
        raise IllegalTransition(f"proposed change {proposal.id} names nobody",
                                message_no="Forslaget navngir ingen bruker.")
    theirs = None
    if task.operator_id:
        mine = set(session.scalars(select(RegistryCentre.mottaksnummer)
                                   .where(RegistryCentre.operator_id == task.operator_id)))
        theirs = [n for n in changes.admin_centres(session, user_id) if n in mine] or None
    if task.user_id is None:
        return assign(session, task.id, user_id=user_id, centres=theirs, actor=actor, settings=settings)
    answer = session.get(Message, proposal.message_pk)
    distrust = [f for f in task.findings if f.code == "sender.unverified"]
    carried = [Finding(f.code, f.severity, f.field, f.message_no, f.message_en,  # type: ignore[arg-type]
                       {k: v for k, v in (f.details or {}).items() if k != "extra"}) for f in distrust] or [
        finding("sender.unverified", None, {"sender": proposal.sender, "reasons": ["named in an untrusted answer"]},
                sender=proposal.sender, reason="named in an answer from a sender who may not answer the case")]
    opened = open_removal(session, user_id=user_id, centres=theirs, origin=task.origin or ORIGIN_EMAIL,
                          reason=task.reason, actor=actor, message=answer, review_id=task.review_id,
                          operator_id=task.operator_id, findings=carried,
                          details={"answer_to": task.case_ref, "proposal": proposal.id})
    return opened.task


def complete(session: Session, task: Task, *, actor: str, user_id: str | None = None,
             settings: Settings) -> None:
    """The removal was carried out in IMDinett (the task is already `provisioned`): the registry follows."""
    if user_id and task.user_id and user_id.strip() != task.user_id:
        raise RegistryChangeError(f"removal task {task.case_ref} is about {task.user_id}, not {user_id}",
                                  code="registry.user_id_mismatch",
                                  message_no=f"Saken gjelder brukeren {task.user_id}.")
    if task.user_id is None:
        raise PipelineError(f"removal task {task.case_ref} names no user", code="task.no_user")
    removed = changes.remove_roles(session, task.user_id, [c.mottaksnummer for c in task.centres if c.mottaksnummer],
                                   reason=f"removal task {task.case_ref}", task_id=task.id, actor=actor)
    task.provisioned_user_id = task.user_id
    if task.message_pk:
        replies.draft_reply(session, kind="removal_confirmation", task=task, automatic=False, settings=settings,
                            actor=actor, extra={"user_removed": removed.user_removed})
