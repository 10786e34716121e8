"""Tasks: one per form, and the only place that changes a task's state.

    needs_info ──clear──▶ review ──approve──▶ approved ──provision──▶ provisioned
        ▲  │                │  │                 │
        │  └────────────────┼──┼── reject ───────┴──▶ rejected
        └──── request_info ─┘  └── supersede ───────▶ superseded   (from needs_info too)

`ACTIONS` is the whole state machine as data; `task_gate.transition` enforces it, stamps state_changed_at and
records an audit event (who, what, before/after) for every change. Each function here runs inside the
caller's transaction (pipeline.adapters.db.session.unit_of_work) and drafts the reply that goes with the step.

An answer (found by the case reference in the subject, or by In-Reply-To/References) that carries a
corrected form or values in its body updates the task it answers instead of opening a new one -- when
it comes from the case's own sender and that sender is verified (`may_change_by_mail`). From anyone
else, or unverified, its values become a proposed change that an operator accepts or refuses
(`pipeline.usecases.proposals`), and its sender gets an acknowledgement that says nothing about the case.
A resent form from the same verified sender for the same person without threading supersedes the open
task. Either way the automatic replies about the old form that have not gone out yet are cancelled
(replies.cancel_pending).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import Attachment, FindingRow, Message, ProposedChange, Task, TaskCentre
from pipeline.adapters.registry_store.view import RegistryView
from pipeline.checks.check import check_reading
from pipeline.checks.findings import CheckResult, Finding
from pipeline.core.clock import now_utc
from pipeline.core.domain import (
    ACTIONS,
    GRANT,
    PROPOSED,
    REMOVAL,
    REMOVAL_NEEDS_USER,
    TRANSITIONS,
    UNDECIDED,
    next_state,
)
from pipeline.core.render import EMPTY
from pipeline.errors import IllegalTransition
from pipeline.forms.reading import FIELD_PATHS, FormReading, fold, stored_values
from pipeline.settings import Settings
from pipeline.steps import replies

# Re-exported: part of this module's interface (pipeline.steps.tasks.find_task_for_reply, ...).
from pipeline.steps.followup import add_working_days, find_task_for_reply, send_reminders
from pipeline.steps.task_data import (
    asks_sender,
    effective_reading,
    split_centres,
    written_values,
)
from pipeline.steps.task_gate import get_for_update, next_case_ref, transition

__all__ = ["ACTIONS", "TRANSITIONS", "add_working_days", "approve", "confirm_reading", "correct",
           "find_task_for_reply", "mark_provisioned", "open_task", "record_answer", "reject", "request_info",
           "send_reminders"]

OPEN_STATES = tuple(sorted(UNDECIDED))


def take(session: Session, task_id: int, *, actor: str) -> Task:
    """The operator takes the case: others see who works on it and may still take it over."""
    task = get_for_update(session, task_id)
    previous = task.owner
    transition(session, task, "take", actor=actor, details={"owner": {"before": previous, "after": actor}})
    task.owner, task.owner_at = actor, now_utc()
    return task



def _store_result(task: Task, result: CheckResult, extra: Sequence[Finding] = ()) -> None:
    a = result.applicant
    task.first_name, task.last_name = a.get("first_name"), a.get("last_name")
    task.email, task.mobile, task.position = a.get("email"), a.get("mobile"), a.get("position")
    task.operator = dict(result.operator)
    task.operator_id, task.extends_user_id = result.operator_id, result.extends_user_id
    task.centres = [TaskCentre(position=i, written=c.written, mottaksnummer=c.mottaksnummer, name=c.name)
                    for i, c in enumerate(result.centres)]
    marked = range(len(result.findings), len(result.findings) + len(extra))
    # Findings the checks did not make (form.in_body, form.duplicate, ...) are marked, so that a
    # re-check after a correction keeps them.
    task.findings = [
        FindingRow(code=f.code, severity=f.severity, field=f.field, message_no=f.message_no,
                   message_en=f.message_en, details={**f.details, **({"extra": True} if i in marked else {})})
        for i, f in enumerate([*result.findings, *extra])
    ]


def _same_person(task: Task, applicant: dict[str, str | None]) -> bool:
    first, last = applicant.get("first_name"), applicant.get("last_name")
    return bool((applicant.get("email") and task.email == applicant.get("email"))
                or (applicant.get("mobile") and task.mobile == applicant.get("mobile"))
                or (first and last and ((task.first_name or "").casefold(), (task.last_name or "").casefold())
                    == (first.casefold(), last.casefold())))


def _about_the_same_person(task: Task, reading: FormReading, applicant: dict[str, str | None]) -> bool:
    """An answer is about the task's person when it says so; values written in the mail body often
    hold only what was corrected (a mobile number, a centre), so they count unless they name someone else."""
    if _same_person(task, applicant):
        return True
    return reading.format == "text" and not (applicant.get("first_name") and applicant.get("last_name"))


def _body_answer(task: Task, reading: FormReading,
                 extra: Sequence[Finding]) -> tuple[FormReading, Sequence[Finding]]:
    """Values written in an answer's body laid over what the task holds (fields not written stay).
    When the task came with a form document, that is the form: the body only corrects it, so the
    'send the form as an attachment' finding (form.in_body) does not apply."""
    base = effective_reading(task)
    fields = dict(base.fields)
    # Our requests list the values as read, '(ikke fylt ut)' for an empty one; a quoted request
    # brings those lines back, and the placeholder is not a value.
    fields.update({path: fv for path, fv in reading.fields.items() if fv.value and fv.value != EMPTY})
    centres = [c for c in reading.centres if c.value and c.value != EMPTY] or base.centres
    merged = FormReading(form=base.form, filename=base.filename, format=base.format, method=base.method,
                         fields=fields, centres=centres)
    if base.format != "text":
        extra = [f for f in extra if f.code != "form.in_body"]
    return merged, extra


def _same_values(a: FormReading, b: FormReading) -> bool:
    return all(fold(a.value(p) or "") == fold(b.value(p) or "") for p in FIELD_PATHS) and \
        [fold(c) for c in a.centre_names()] == [fold(c) for c in b.centre_names()]


def _check(session: Session, reading: FormReading, message: Message, *, exclude_task_id: int,
           settings: Settings) -> CheckResult:
    return check_reading(reading, RegistryView(session), sender=message.sender, auth=message.auth_results,
                         exclude_task_id=exclude_task_id, settings=settings)


def _recheck_without(session: Session, task: Task, reading: FormReading, message: Message,
                     result: CheckResult, settings: Settings) -> CheckResult:
    """A check made before we knew which task this form replaces counts that task's mobile as a pending
    duplicate of itself: check again leaving it out."""
    if not any(f.code == "mobile.duplicate" for f in result.findings):
        return result
    return check_reading(reading, RegistryView(session), sender=message.sender, auth=message.auth_results,
                         exclude_task_id=task.id, settings=settings)


def may_change_by_mail(task: Task, message: Message) -> bool:
    """An answer changes a case by itself only when its sender is verified (IMDi's mail host vouched
    for the From address) and is the case's sender (pipeline.core.policy.may_answer); anything else is a
    proposal for an operator."""
    from pipeline.core import policy

    sender = (replies.plain_address(message.sender or "") or message.sender or "").lower() or None
    return policy.may_answer(task.kind or GRANT, policy.Sender(sender, bool(message.sender_verified)),
                             case_sender=task.sender)


def open_task(session: Session, *, message: Message, attachment: Attachment | None, reading: FormReading,
              result: CheckResult, extra_findings: Sequence[Finding] = (), actor: str = audit.SYSTEM,
              settings: Settings) -> Task:
    """A task for one form (or, for an answer to an open task, that task brought up to date, or a
    proposed change to it when the answer may not change it by itself: `may_change_by_mail`)."""
    sender = (replies.plain_address(message.sender or "") or message.sender or "").lower() or None
    answered = find_task_for_reply(session, message)
    # An answer is about the task's person (a form for a colleague sent in the same thread is a case of
    # its own), and a form answers (or replaces) only a grant: a removal case is never turned into one.
    if (answered is not None and answered.kind == GRANT and answered.state in OPEN_STATES
            and _about_the_same_person(answered, reading, result.applicant)):
        trusted = may_change_by_mail(answered, message)
        if reading.format == "text":
            merged, extra_findings = _body_answer(answered, reading, extra_findings)
            if _same_values(merged, effective_reading(answered)):
                # Nothing new, e.g. 'Takk!' above our own quoted request: a person reads it; no reply.
                record_answer(session, answered, message, actor=actor, settings=settings)
                return answered
            reading = merged
            if trusted:
                result = _check(session, reading, message, exclude_task_id=answered.id, settings=settings)
        if not trusted:
            return _propose(session, answered, message=message, attachment=attachment, reading=reading,
                            actor=actor, settings=settings)
        result = _recheck_without(session, answered, reading, message, result, settings)
        return _apply_answer(session, answered, message=message, attachment=attachment, reading=reading,
                             result=result, extra_findings=extra_findings, actor=actor, settings=settings)
    older = []
    if sender and message.sender_verified:
        # A resent form supersedes the sender's open case for the same person -- only when the sender is
        # verified: a forged From must not end somebody's case.
        older = [t for t in session.scalars(select(Task).where(Task.sender == sender, Task.kind == GRANT,
                                                               Task.state.in_(OPEN_STATES))
                                            .order_by(Task.id).with_for_update()).all()
                 if _same_person(t, result.applicant)]
    if older:
        result = _recheck_without(session, older[-1], reading, message, result, settings)
    task = Task(case_ref=next_case_ref(session, now_utc().year), state="new", message_pk=message.id,
                attachment_pk=attachment.id if attachment else None, sender=sender, reading=reading.to_json(),
                corrections={}, created_at=now_utc(), updated_at=now_utc())
    _store_result(task, result, extra_findings)
    session.add(task)
    session.flush()
    asks = _asks_at_once([*result.findings, *extra_findings])
    transition(session, task, "open", actor=actor, to="needs_info" if asks else "review",
                details={"message": message.id, "attachment": task.attachment_pk,
                         "findings": [f.code for f in task.findings]})
    for old in older:
        old.superseded_by_id = task.id
        transition(session, old, "supersede", actor=actor, details={"superseded_by": task.id,
                                                                     "case_ref": task.case_ref})
        audit.record(session, actor, "task.supersedes", "task", task.id, {"superseded": old.id})
        # The old case's receipt or request, if it has not gone out yet, would now be stale.
        replies.cancel_pending(session, old, actor=actor, reason="superseded", details={"superseded_by": task.id})
    replies.draft_reply(session, kind="needs_info" if asks else "receipt", task=task, message=message,
                        automatic=True, settings=settings, actor=actor)
    return task


def _propose(session: Session, task: Task, *, message: Message, attachment: Attachment | None,
             reading: FormReading, actor: str, settings: Settings) -> Task:
    """The answer's values as a proposed change for an operator (the case itself is not touched), and a
    receipt to its sender that says nothing about the case."""
    before = written_values(task)
    after = reading_values(reading.to_json())
    changes = {p: {"before": before.get(p), "after": v} for p, v in after.items()
               if v not in (None, "", []) and before.get(p) != v}
    if not changes:  # the case's own values back: nothing to decide
        record_answer(session, task, message, actor=actor, settings=settings)
        return task
    proposal = ProposedChange(task_id=task.id, message_pk=message.id,
                              attachment_pk=attachment.id if attachment else None, sender=message.sender,
                              sender_verified=bool(message.sender_verified), reading=reading.to_json(),
                              changes=changes, state=PROPOSED, created_at=now_utc())
    session.add(proposal)
    session.flush()
    audit.record(session, actor, "task.change_proposed", "task", task.id, {
        "proposal": proposal.id, "message": message.id, "sender": message.sender,
        "sender_verified": bool(message.sender_verified), "changes": changes,
        "why": "the sender is not verified" if not message.sender_verified else "not the case's sender"})
    replies.draft_reply(session, kind="acknowledgement", task=task, message=message, automatic=True,
                        settings=settings, actor=actor)
    return task


reading_values = stored_values  # field path -> value of a stored reading


def _asks_at_once(findings: Sequence[Finding]) -> bool:
    """Whether the sender is asked for something at once. Not while the values were read by OCR and no
    person has checked them against the page (form.ocr): what looks missing or wrong may be a misreading,
    so an operator looks first and asks the sender only if the form itself is wrong."""
    if any(f.code == "form.ocr" for f in findings):
        return False
    return any(f.needs_sender for f in findings)


def _apply_answer(session: Session, task: Task, *, message: Message, attachment: Attachment | None,
                  reading: FormReading, result: CheckResult, extra_findings: Sequence[Finding], actor: str,
                  settings: Settings, action: str = "answer", stored: dict[str, Any] | None = None,
                  reply_to: Message | None = None) -> Task:
    """The answer's values become the case's (`stored`: the reading's JSON as it came, provenance and all)."""
    before = written_values(task)
    task.reading = stored if stored is not None else reading.to_json()
    dropped = dict(task.corrections or {})
    task.corrections = {}  # the sender's new form is the new truth
    # ... and a new reading: a confirmation of the old one does not carry over (the check that made
    # `result` knew of none either).
    task.reading_confirmed_by = task.reading_confirmed_at = None
    task.attachment_pk = attachment.id if attachment else task.attachment_pk
    task.answered_at = now_utc()
    task.reminder_sent_at = None
    _store_result(task, result, extra_findings)
    after = written_values(task)
    changed = {p: {"before": before.get(p), "after": v} for p, v in after.items() if before.get(p) != v}
    transition(session, task, action, actor=actor, details={
        "message": message.id, "changes": changed, "corrections_dropped": dropped,
        "findings": [f.code for f in task.findings]})
    asks = _asks_at_once([*result.findings, *extra_findings])
    if task.state == "needs_info" and not asks:
        transition(session, task, "clear", actor=actor, details={"by": action})
    elif task.state == "review" and asks:
        transition(session, task, "block", actor=actor, details={"by": action})
    # What we had not yet sent about the previous form (a request, a reminder) is replaced by this reply.
    replies.cancel_pending(session, task, actor=actor, reason="answered", details={"message": message.id})
    replies.draft_reply(session, kind="needs_info" if asks else "receipt", task=task,
                        message=reply_to or message, automatic=True, settings=settings, actor=actor)
    return task


def apply_proposal(session: Session, task: Task, proposal: ProposedChange, *, actor: str,
                   settings: Settings) -> Task:
    """An operator accepted a proposed change: its values become the case's, checked again as an answer
    from the case's sender would be; the reply (receipt or request) goes to the case's own sender."""
    from pipeline.adapters.registry_store import RegistryView
    from pipeline.checks import check_reading
    from pipeline.checks.readings import reading_from_json

    reading = reading_from_json(proposal.reading)
    original = session.get(Message, task.message_pk)
    answer = session.get(Message, proposal.message_pk)
    assert answer is not None
    result = check_reading(reading, RegistryView(session), sender=task.sender,
                           auth=original.auth_results if original else None, exclude_task_id=task.id,
                           settings=settings)
    kept = [Finding(r.code, r.severity, r.field, r.message_no, r.message_en,  # type: ignore[arg-type]
                    {k: v for k, v in r.details.items() if k != "extra"})
            for r in task.findings if r.details.get("extra")]
    attachment = session.get(Attachment, proposal.attachment_pk) if proposal.attachment_pk else None
    return _apply_answer(session, task, message=answer, attachment=attachment, reading=reading, result=result,
                         extra_findings=kept, actor=actor, settings=settings, action="accept_change",
                         stored=proposal.reading, reply_to=original)


def record_answer(session: Session, task: Task, message: Message, *, actor: str = audit.SYSTEM,
                  settings: Settings) -> None:
    """The sender answered without a form (e.g. wrote the fields in the mail): no reminder; a person reads
    it. From anyone but the case's verified sender it changes nothing (not even the reminder clock), and
    its sender gets a receipt that says nothing about the case."""
    if not may_change_by_mail(task, message):
        audit.record(session, actor, "task.answer_not_trusted", "task", task.id,
                     {"message": message.id, "sender": message.sender,
                      "sender_verified": bool(message.sender_verified)})
        replies.draft_reply(session, kind="acknowledgement", task=task, message=message, automatic=True,
                            settings=settings, actor=actor)
        return
    task.answered_at = now_utc()
    audit.record(session, actor, "task.answered_without_form", "task", task.id, {"message": message.id})


def approve(session: Session, task_id: int, *, actor: str, override_reason: str | None = None,
            bulk: bool = False) -> Task:
    """Approve as `actor`, asking pipeline.core.policy: what no reason passes is refused; what needs a reason
    (any finding, an unverified sender, a pending proposal, a centre left without an administrator,
    another operator's ownership) passes only with `override_reason`; bulk takes only clean cases."""
    from pipeline.checks.texts import APPROVAL_QUESTION, approval_reason
    from pipeline.core import policy
    from pipeline.queries.approval import facts

    task = get_for_update(session, task_id)
    case = facts(session, task)
    firm = policy.firm_blockers(case)
    if "form.ocr" in firm:
        # No override: what IMDi must do itself comes first (the operator confirms, then approves).
        raise IllegalTransition(
            f"task {task.case_ref} was read by OCR and the reading is not confirmed: confirm it first "
            "(pipeline queue confirm)",
            message_no="Skjemaet er lest maskinelt (OCR), og opplesningen må bekreftes før saken kan godkjennes: "
                       "sammenlign feltene med siden, rett det som er feil, og trykk «Bekreft opplesningen».")
    if "removal.person_unknown" in firm:
        raise IllegalTransition(f"removal task {task.case_ref} names no registry user yet: assign one first "
                                "(pipeline queue assign)", message_no=REMOVAL_NEEDS_USER)
    if firm:
        raise IllegalTransition(f"task {task.case_ref} has findings an operator must clear first ({', '.join(firm)})",
                                message_no="Saken har funn som må ryddes før den kan godkjennes.")
    reasons = policy.reasons_needed(case, actor)
    override = (override_reason or "").strip() or None
    why_no = ", ".join(approval_reason(code, task.owner) for code in reasons)
    if bulk and not policy.bulk_may_take(case, actor):
        raise IllegalTransition(f"task {task.case_ref} is not clean ({', '.join(reasons) or case.state}): "
                                "open it and approve it on its own",
                                message_no=f"{task.case_ref} kan ikke godkjennes sammen med andre: "
                                           + (f"{why_no}." if why_no else "den venter ikke på vurdering."))
    if reasons and not override:
        raise IllegalTransition(
            f"task {task.case_ref} needs a reason to be approved ({', '.join(reasons)}): "
            "approve with --override REASON",
            message_no=f"{APPROVAL_QUESTION} {why_no}. Skriv begrunnelsen og godkjenn på nytt.")
    details: dict[str, Any] = {"override_reason": override, "blocking": reasons} if override else {}
    transition(session, task, "approve", actor=actor, details={**details, **({"bulk": True} if bulk else {})})
    task.override_reason = override
    return task


def _internal(note: str | None) -> dict[str, Any]:
    # An operator's note for colleagues: kept in the audit record of the decision, never in a reply.
    note = (note or "").strip()
    return {"internal_note": note} if note else {}


def touch(task: Task, *, actor: str) -> None:
    """A change to the case outside its state machine (an operator edited or sent one of its replies):
    a new version, so that a page drawn before it is refused like one drawn before a decision."""
    task.version = (task.version or 1) + 1
    task.changed_by = actor


def reject(session: Session, task_id: int, *, actor: str, reason: str,
           settings: Settings, internal_note: str | None = None) -> Task:
    if not (reason or "").strip():
        raise IllegalTransition("a rejection needs a reason", message_no="Et avslag må ha en begrunnelse.")
    task = get_for_update(session, task_id)
    transition(session, task, "reject", actor=actor, details={"reason": reason.strip(), **_internal(internal_note)})
    task.decision_reason = reason.strip()
    if task.message_pk is not None:  # a removal IMDi support or an import asked for has nobody to tell
        replies.draft_reply(session, kind="rejection", task=task, automatic=False, settings=settings, actor=actor)
    return task


def request_info(session: Session, task_id: int, *, actor: str, note: str | None = None,
                 settings: Settings, internal_note: str | None = None) -> Task:
    task = get_for_update(session, task_id)
    transition(session, task, "request_info", actor=actor, details={"note": note, **_internal(internal_note)})
    task.reminder_sent_at = None  # a new request starts a new reminder clock
    task.state_changed_at = now_utc()
    replies.draft_reply(session, kind="needs_info", task=task, automatic=False,
                        extra={"note": (note or "").strip() or None}, settings=settings, actor=actor)
    return task


def mark_provisioned(session: Session, task_id: int, *, actor: str, user_id: str | None = None,
                     settings: Settings) -> Task:
    """The task was carried out in IMDinett (`queue done`): the registry follows in this transaction. A grant
    writes its user (a new one needs `user_id`, IMDinett's id); a removal takes the role off its centres."""
    task = get_for_update(session, task_id)
    transition(session, task, "provision", actor=actor, details={"user_id": user_id})
    if task.kind == REMOVAL:
        from pipeline.steps.removals import complete

        complete(session, task, actor=actor, user_id=user_id, settings=settings)
        return task
    from pipeline.adapters.registry_store.changes import Person, grant

    task.provisioned_user_id = grant(
        session, user_id=user_id, extends=task.extends_user_id, task_id=task.id, case_ref=task.case_ref,
        person=Person(task.first_name or "", task.last_name or "", task.email or "", task.mobile or ""),
        centres=[c.mottaksnummer for c in task.centres if c.mottaksnummer], actor=actor)
    replies.draft_reply(session, kind="confirmation", task=task, automatic=False, settings=settings, actor=actor)
    return task


Checker = Callable[[Session, FormReading, Task, Settings], CheckResult]


def _default_checker(session: Session, reading: FormReading, task: Task, settings: Settings) -> CheckResult:
    message = session.get(Message, task.message_pk)
    return check_reading(reading, RegistryView(session), sender=task.sender,
                         auth=message.auth_results if message else None, exclude_task_id=task.id,
                         reading_confirmed=task.reading_confirmed_at is not None, settings=settings)


def correct(session: Session, task_id: int, *, actor: str, changes: dict[str, Any],
            settings: Settings, checker: Checker | None = None) -> Task:
    """Operators' corrections by field path, kept apart from the reading as written, then checked again."""
    bad = [p for p in changes if p not in FIELD_PATHS and p != "centres"]
    if bad or not changes:
        raise IllegalTransition(f"cannot correct {bad or 'nothing'}: fields are {', '.join(FIELD_PATHS)}, centres",
                                message_no="Ukjent felt.")
    task = get_for_update(session, task_id)
    before = written_values(task)
    clean = {p: split_centres(v) if p == "centres" else fold(str(v)) if v is not None else None
             for p, v in changes.items()}
    diff = {p: {"before": before[p], "after": v} for p, v in clean.items() if before[p] != v}
    transition(session, task, "correct", actor=actor, details={"changes": diff})
    if not diff:
        return task
    task.corrections = {**(task.corrections or {}), **{p: clean[p] for p in diff}}
    # Findings the checks did not make (form.in_body, form.duplicate, ...) stay; the rest come fresh.
    kept = [Finding(r.code, r.severity, r.field, r.message_no, r.message_en,  # type: ignore[arg-type]
                    {k: v for k, v in r.details.items() if k != "extra"})
            for r in task.findings if r.details.get("extra")]
    result = (checker or _default_checker)(session, effective_reading(task), task, settings)
    _store_result(task, result, kept)
    session.flush()
    audit.record(session, actor, "task.rechecked", "task", task.id,
                 {"findings": [f.code for f in task.findings]})
    if task.state == "needs_info" and not asks_sender(task):
        transition(session, task, "clear", actor=actor, details={"by": "correction"})
        replies.cancel_pending(session, task, actor=actor, reason="corrected")  # the request is moot
        replies.draft_reply(session, kind="receipt", task=task, automatic=True, settings=settings, actor=actor)
    return task


def confirm_reading(session: Session, task_id: int, *, actor: str) -> Task:
    """An operator compared a reading made by OCR with the page (after any corrections) and vouches for
    the values in force: form.ocr goes, and stays gone when the case is corrected and checked again.
    The state does not change and the sender is told nothing (they were asked nothing)."""
    task = get_for_update(session, task_id)
    next_state("confirm_reading", task.state, case_ref=task.case_ref)  # an ended case: refused as such
    if not any(f.code == "form.ocr" for f in task.findings):
        raise IllegalTransition(
            f"task {task.case_ref} has no OCR reading waiting for confirmation",
            message_no=f"Saken {task.case_ref} har ingen maskinlest opplesning som venter på bekreftelse.")
    transition(session, task, "confirm_reading", actor=actor, details={
        "values": written_values(task), "corrected": sorted(task.corrections or {})})
    task.reading_confirmed_by, task.reading_confirmed_at = actor, now_utc()
    task.findings = [f for f in task.findings if f.code != "form.ocr"]
    return task
