"""One case as its page shows it: the fields with where each was found, findings, replies, history,
who else has the mobile, the decisions it offers, and the original document's bytes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, defer, selectinload

from pipeline.adapters.db.models import (
    AccessReview,
    Attachment,
    AuditEvent,
    Message,
    RegistryCentre,
    RegistryOperator,
    RegistryUser,
    RegistryUserRole,
    Reply,
    Task,
    TaskCentre,
)
from pipeline.checks.findings import blocks_approval, needs_sender
from pipeline.checks.texts import approval_reason, operator_text
from pipeline.core import policy
from pipeline.core.domain import (
    FIELD_PATHS,
    GRANT,
    PENDING,
    REMOVAL,
    ROLE,
    UNDECIDED,
    USER_ACTIVE,
    operator_actions,
)
from pipeline.errors import PipelineError
from pipeline.forms.page_drawing import LOW_CONFIDENCE
from pipeline.queries import approval, registry_users
from pipeline.queries.registry_users import RegistryUserView
from pipeline.queries.view_rows import (
    AttachmentView,
    AuditView,
    FindingView,
    MessageView,
    ReplyView,
    TaskView,
    attachment_view,
    audit_view,
    message_view,
    reply_view,
    task_view,
)

EDITABLE: tuple[str, ...] = (*(p for p in FIELD_PATHS if p.startswith("applicant.")),
                             *(p for p in FIELD_PATHS if p.startswith("operator.")))


@dataclass
class FieldRow:
    path: str
    as_read: str | None
    where: Any
    current: str | None
    corrected: bool
    findings: list[FindingView] = field(default_factory=list)


def current_value(task: TaskView, path: str) -> str | None:
    """The value the task works with now: a correction, else the checked (normalised) value, else as read."""
    corrections = getattr(task, "corrections", None) or {}
    if path in corrections:
        value = corrections[path]
        return None if value is None else str(value)
    section, name = path.split(".")
    if section == "applicant" and name in ("first_name", "last_name", "email", "mobile", "position"):
        value = getattr(task, name)
        if value:
            return str(value)
    if section == "operator" and (task.operator or {}).get(name):
        return str(task.operator[name])
    return ((task.reading or {}).get(section) or {}).get(name)


def current_centres(task: TaskView) -> list[str]:
    corrections = getattr(task, "corrections", None) or {}
    if isinstance(corrections.get("centres"), list):
        return [str(c) for c in corrections["centres"]]
    return [c.written for c in task.centres]


def centre_choices(task: TaskView, finding: FindingView) -> list[tuple[str, str]]:
    """One-click corrections for an unknown or ambiguous centre: (label, the whole centre list with that line
    replaced by the registry's exact name), one per candidate the check suggested."""
    details = finding.details or {}
    options = details.get("candidates") or details.get("suggestions") or []
    written = details.get("written")
    current = current_centres(task)
    index = details.get("index")
    if not (isinstance(index, int) and 0 <= index < len(current) and current[index] == written):
        index = current.index(written) if written in current else None
    if index is None or not isinstance(options, list):
        return []
    out = []
    for option in options[:5]:
        name = option.get("name") if isinstance(option, dict) else None
        if name:
            lines = [*current[:index], name, *current[index + 1:]]
            out.append((f"{name} ({option.get('mottaksnummer') or '–'})", "\n".join(lines)))
    return out


def field_rows(task: TaskView) -> list[FieldRow]:
    reading = task.reading or {}
    provenance = (reading.get("source") or {}).get("provenance") or {}
    rows = []
    for path in FIELD_PATHS:
        section, name = path.split(".")
        rows.append(FieldRow(
            path=path, as_read=(reading.get(section) or {}).get(name), where=provenance.get(path),
            current=current_value(task, path), corrected=path in (getattr(task, "corrections", None) or {}),
            findings=[f for f in task.findings if f.field == path or (f.field or "").endswith(":" + path)],
        ))
    return rows


@dataclass
class TaskPage:
    task: TaskView
    message: MessageView | None
    attachment: AttachmentView | None
    attachment_kind: str
    fields: list[FieldRow]
    centre_rows: list[dict[str, Any]]
    centre_findings: list[FindingView]
    other_findings: list[FindingView]
    replies: list[ReplyView]
    history: list[AuditView]
    mobile_holders: list[HolderView]
    same_mobile_tasks: list[TaskView]
    actions: tuple[str, ...]
    # Approval needs an override and a reason: a finding stands that the sender was (or should be) asked about.
    needs_override: bool
    # Approval is refused until an operator confirms the OCR reading (form.ocr stands).
    reading_to_confirm: bool
    # Fields and centres (centres.<n>) OCR was unsure of, to mark beside their values.
    low_confidence: frozenset[str] = frozenset()
    # Each finding in the operator's words, naming the people and companies behind it (finding id -> text).
    operator_texts: dict[int, str] = field(default_factory=dict)
    # Who runs each suggested or candidate centre (mottaksnummer -> driftsoperatør's name).
    centre_operators: dict[str, str] = field(default_factory=dict)
    operator_name: str | None = None  # the driftsoperatør the form was matched to

    # Why approval asks for a reason (pipeline.core.policy.reasons_needed), in the operator's words.
    approval_reasons: tuple[str, ...] = ()

    @property
    def warnings(self) -> list[FindingView]:
        """The findings that ask for a look without stopping approval."""
        return [f for f in self.task.findings if not blocks_approval(f.code)]

    @property
    def person_to_choose(self) -> bool:
        """A removal that names nobody yet: approval waits until an operator has chosen the person."""
        return any(f.code == "removal.person_unknown" for f in self.task.findings)

    @property
    def blocking(self) -> list[FindingView]:
        return [f for f in self.task.findings if blocks_approval(f.code)]
    removal: RemovalInfo | None = None


@dataclass(frozen=True)
class RemovalInfo:
    """What a removal case is about, for the person who decides it."""

    user: RegistryUserView | None  # None: nobody could be told with confidence (choose among `candidates`)
    origin: str | None
    reason: str | None
    review_ref: str | None
    mail_text: str | None  # the sender's own words (quoted mail cut off), for a request by e-mail
    verdict: tuple[str, ...]  # how the mail's sender was verified: "SPF pass", "DMARC fail", ...
    candidates: tuple[RegistryUserView, ...]  # the operator's administrators
    ends_all: bool  # the role ends at every centre the user holds it at


@dataclass(frozen=True)
class HolderView:
    user_id: str
    first_name: str
    last_name: str
    email: str


def load(session: Session, task_id: int, actor: str | None = None) -> TaskPage | None:
    """The case page for `actor` (the operator looking: another's ownership is a reason approval asks for)."""
    row = session.get(Task, task_id)
    if row is None:
        return None
    rule = approval.facts(session, row)
    task = task_view(row)
    msg = session.scalar(select(Message).options(defer(Message.raw)).where(Message.id == task.message_pk))
    message = message_view(msg) if msg is not None else None
    attachment, kind = _attachment(session, task)
    rows = field_rows(task)
    known = {r.path for r in rows}
    centre_findings = [f for f in task.findings if f.field and f.field.startswith("centres")]
    taken = {f.id for r in rows for f in r.findings} | {f.id for f in centre_findings}
    other = [f for f in task.findings if f.id not in taken and (f.field not in known or f.field is None)]
    replies = [reply_view(r) for r in session.scalars(select(Reply).where(Reply.task_id == task.id)
                                                         .order_by(Reply.id))]
    to_confirm = any(f.code == "form.ocr" for f in task.findings)
    holders, same = _same_mobile(session, task)
    operators = _operator_names(session, task)
    centre_operators = _centre_operators(session, task)
    texts = {}
    for f in task.findings:
        text = operator_text(f.code, f.field, f.details, _names(session, task, f, operators, centre_operators))
        if text:
            texts[f.id] = text
    return TaskPage(task=task, message=message, attachment=attachment, attachment_kind=kind, fields=rows,
                    centre_rows=_centre_rows(task, centre_findings), centre_findings=centre_findings,
                    other_findings=other, replies=replies, history=_history(session, task, replies),
                    mobile_holders=holders, same_mobile_tasks=same,
                    actions=operator_actions(task.kind, task.state, reading_to_confirm=to_confirm),
                    # The same rule as the task service's approve (pipeline.core.policy): every reason it
                    # would ask for is asked here, on the `a` key and by the button alike.
                    needs_override=bool(policy.reasons_needed(rule, actor)),
                    approval_reasons=tuple(approval_reason(code, task.owner)
                                           for code in policy.reasons_needed(rule, actor)),
                    reading_to_confirm=to_confirm, low_confidence=low_confidence(task), operator_texts=texts,
                    centre_operators=centre_operators, operator_name=operators.get(task.operator_id or ""),
                    removal=removal_info(session, task, message) if task.kind == REMOVAL else None)


def _attachment(session: Session, task: TaskView) -> tuple[Any, str]:
    """The case's form file (without its bytes) and what kind of file it is."""
    if not task.attachment_pk:
        return None, "none"
    att = session.scalar(select(Attachment).options(defer(Attachment.data)).where(Attachment.id == task.attachment_pk))
    if att is None:
        return None, "none"
    # The first bytes tell a PDF from a zip; the rest of the file stays in the database.
    head = session.scalar(select(func.substr(Attachment.data, 1, 8)).where(Attachment.id == att.id))
    return attachment_view(att), kind_of(head[:8] if head else None, att.filename)


def _centre_rows(task: TaskView, centre_findings: list[Any]) -> list[dict[str, Any]]:
    """Each centre as written, with what it resolved to, where it was found and its findings."""
    if not task.centres:
        return [{"written": w, "mottaksnummer": None, "name": None, "where": None, "findings": []}
                for w in (task.reading or {}).get("centres") or []]
    prov = ((task.reading or {}).get("source") or {}).get("provenance", {}).get("centres") or []
    return [{"written": c.written, "mottaksnummer": c.mottaksnummer, "name": c.name,
             "where": prov[c.position] if c.position < len(prov) else None,
             "findings": [f for f in centre_findings if (f.details or {}).get("written") in (None, c.written)]}
            for c in task.centres]


def _history(session: Session, task: TaskView, replies: list[Any]) -> list[Any]:
    """The case's events, its replies' and its message's, and what carrying it out did to the registry user."""
    reply_ids = [str(r.id) for r in replies]
    conds = [and_(AuditEvent.entity == "task", AuditEvent.entity_id == str(task.id))]
    if reply_ids:
        conds.append(and_(AuditEvent.entity == "reply", AuditEvent.entity_id.in_(reply_ids)))
    if task.message_pk is not None:
        conds.append(and_(AuditEvent.entity == "message", AuditEvent.entity_id == str(task.message_pk)))
    # What carrying the case out did to the registry user (granted, roles added or taken off, removed).
    registry_user = task.user_id or task.provisioned_user_id
    if registry_user and task.created_at is not None:
        # (A second's slack: SQLite's CURRENT_TIMESTAMP, the events' default, has no fraction of a second.)
        conds.append(and_(AuditEvent.entity == "registry_user", AuditEvent.entity_id == registry_user,
                          AuditEvent.at >= task.created_at.replace(microsecond=0) - timedelta(seconds=1)))
    return [audit_view(e) for e in session.scalars(select(AuditEvent).where(or_(*conds))
                                                   .order_by(AuditEvent.at, AuditEvent.id))]


def _same_mobile(session: Session, task: TaskView) -> tuple[list[HolderView], list[TaskView]]:
    """Who in the registry holds the applicant's mobile, and the other pending grants that give it."""
    mobile = current_value(task, "applicant.mobile") if task.kind == GRANT else None
    if not mobile:
        return [], []
    holders = [HolderView(u.user_id, u.first_name, u.last_name, u.email)
               for u in session.scalars(select(RegistryUser).where(RegistryUser.mobile == mobile,
                                                                   RegistryUser.status == USER_ACTIVE))]
    # The cases with this mobile first (a handful, by its index), then their kind and state: asked in
    # one WHERE, SQLite without statistics starts from (kind, state) and reads every pending grant.
    with_mobile = select(Task.id).where(Task.mobile == mobile).scalar_subquery()
    same = [task_view(t, with_reading=False, centres=[], findings=[]) for t in session.scalars(
        select(Task).options(defer(Task.reading)).where(
            Task.id.in_(with_mobile), Task.id != task.id, Task.kind == GRANT, Task.state.in_(PENDING))
        .limit(10))]
    return holders, same


def low_confidence(task: TaskView) -> frozenset[str]:
    """The values OCR read with little confidence (a word under LOW_CONFIDENCE) or repaired: field paths, and
    centres.<n> for the nth centre of the reading (from 0)."""
    provenance = ((task.reading or {}).get("source") or {}).get("provenance") or {}

    def low(where: Any) -> bool:
        if isinstance(where, dict) and where.get("unsure") is True:
            return True  # a value the reader repaired (an address rebuilt): never a silent guess
        value = where.get("min_confidence") if isinstance(where, dict) else None
        return isinstance(value, int | float) and value < LOW_CONFIDENCE

    out = {path for path, where in provenance.items() if path != "centres" and low(where)}
    out |= {f"centres.{i}" for i, where in enumerate(provenance.get("centres") or []) if low(where)}
    return frozenset(out)


def _operator_names(session: Session, task: TaskView) -> dict[str, str]:
    """Names of the driftsoperatører the case and its findings mention (operator id -> name)."""
    ids = {task.operator_id} | {str(f.details.get(k)) for f in task.findings
                                for k in ("operator_id", "centre_operator_id") if f.details.get(k)}
    ids.discard(None)
    if not ids:
        return {}
    return dict(session.execute(select(RegistryOperator.operator_id, RegistryOperator.name)
                                .where(RegistryOperator.operator_id.in_(ids))).all())


def _centre_operators(session: Session, task: TaskView) -> dict[str, str]:
    """Who runs each centre a finding suggests (mottaksnummer -> the driftsoperatør's name)."""
    numbers: set[str] = set()
    for f in task.findings:
        for option in (f.details.get("suggestions") or []) + (f.details.get("candidates") or []):
            if isinstance(option, dict) and option.get("mottaksnummer"):
                numbers.add(str(option["mottaksnummer"]))
    if not numbers:
        return {}
    rows = session.execute(select(RegistryCentre.mottaksnummer, RegistryOperator.name)
                           .join(RegistryOperator, RegistryOperator.operator_id == RegistryCentre.operator_id)
                           .where(RegistryCentre.mottaksnummer.in_(numbers)))
    return {number: name for number, name in rows}


def _names(session: Session, task: TaskView, f: FindingView, operators: dict[str, str],
           centre_operators: dict[str, str]) -> dict[str, Any]:
    d = f.details or {}
    names: dict[str, Any] = {}
    if f.code == "centre.admin_limit" and d.get("mottaksnummer"):
        names["people"] = centre_administrators(session, str(d["mottaksnummer"]), exclude_task_id=task.id)
    if d.get("centre_operator_id"):
        names["centre_operator"] = operators.get(str(d["centre_operator_id"]))
    operator_id = d.get("operator_id") or task.operator_id
    if operator_id:
        names["operator"] = operators.get(str(operator_id))
    return names


def centre_administrators(session: Session, mottaksnummer: str, *, exclude_task_id: int | None = None) -> list[str]:
    """The people who hold or wait for the role at a centre, in words: registry users and pending cases."""
    people = [f"{u.first_name} {u.last_name} (bruker {u.user_id})" for u in session.scalars(
        select(RegistryUser).join(RegistryUserRole, RegistryUserRole.user_id == RegistryUser.user_id)
        .where(RegistryUserRole.mottaksnummer == mottaksnummer, RegistryUserRole.role == ROLE,
               RegistryUser.status == USER_ACTIVE)
        .order_by(RegistryUser.last_name, RegistryUser.first_name))]
    waiting = session.execute(select(Task.first_name, Task.last_name, Task.case_ref)
                              .join(TaskCentre, TaskCentre.task_id == Task.id)
                              .where(TaskCentre.mottaksnummer == mottaksnummer, Task.state.in_(PENDING),
                                     Task.kind == GRANT, Task.id != (exclude_task_id or 0))
                              .order_by(Task.id).limit(10))
    people += [f"{first or ''} {last or ''} (sak {ref} under behandling)".strip() for first, last, ref in waiting]
    return people


def removal_info(session: Session, task: TaskView, message: MessageView | None) -> RemovalInfo:
    held = registry_users.user(session, task.user_id) if task.user_id else None
    review_ref = session.scalar(select(AccessReview.ref).where(AccessReview.id == task.review_id)) \
        if task.review_id else None
    text = None
    if task.message_pk:
        raw = session.scalar(select(Message.raw).where(Message.id == task.message_pk))
        if raw:
            from pipeline.adapters.mail.parse import parse_message
            from pipeline.core.removal_text import new_text

            text = new_text(parse_message(raw).body_text)[:5000] or None
    auth = (message.auth_results if message else None) or {}
    verdict = tuple(f"{key.upper()} {value}" for key in ("spf", "dkim", "dmarc")
                    if (value := _verdict(auth.get(key))))
    ending = {c.mottaksnummer for c in task.centres}
    return RemovalInfo(
        user=held, origin=task.origin, reason=task.reason, review_ref=review_ref, mail_text=text, verdict=verdict,
        candidates=tuple(registry_users.operator_users(session, task.operator_id)) if task.state in UNDECIDED else (),
        ends_all=bool(held) and {r.mottaksnummer for r in held.admin_centres} <= ending)  # type: ignore[union-attr]


def _verdict(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("result") or value.get("verdict")
    if isinstance(value, list | tuple):
        value = ", ".join(filter(None, (_verdict(v) for v in value)))
    return str(value) if value else None


def kind_of(data: bytes | None, filename: str | None) -> str:
    """'pdf', 'docx', 'other' or 'none', from the bytes first and the name second."""
    if not data:
        return "none"
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        return "docx"
    return "other"


@dataclass(frozen=True)
class Document:
    filename: str | None
    data: bytes
    kind: str  # pdf, docx, other


def document(session: Session, task_id: int) -> Document | None:
    """The case's original document (the form as it came), or None when there is none or it was purged."""
    attachment_pk = session.scalar(select(Task.attachment_pk).where(Task.id == task_id))
    if not attachment_pk:
        return None
    row = session.execute(select(Attachment.filename, Attachment.data).where(Attachment.id == attachment_pk)).first()
    if row is None or not row.data:
        return None
    return Document(row.filename, row.data, kind_of(row.data, row.filename))


# --- the CLI's views of cases (`pipeline queue list|show --json`) ---------------------------------------


def find_task(session: Session, ref: int | str, *, lock: bool = False) -> Task:
    """The task with this id or case reference ("2026-0042"), or PipelineError task.not_found."""
    text = str(ref).strip()
    query = select(Task)
    if text.isdigit():
        query = query.where(Task.id == int(text))
    elif re.fullmatch(r"\d{4}-\d{1,6}", text):
        query = query.where(Task.case_ref == text)
    else:
        raise PipelineError(f"no task {text!r}: give an id or a case reference like 2026-0042",
                            code="task.not_found", message_no=f"Fant ingen sak «{text}».")
    task = session.scalar(query.with_for_update() if lock else query)
    if task is None:
        raise PipelineError(f"no task {text}", code="task.not_found", message_no=f"Fant ingen sak «{text}».")
    return task


def applicant_json(task: Task | TaskView) -> dict[str, Any]:
    return {"first_name": task.first_name, "last_name": task.last_name, "email": task.email,
            "mobile": task.mobile, "position": task.position}


def task_json(task: Task | TaskView, message_id: str | None, *, full: bool = False) -> dict[str, Any]:
    """The `pipeline queue list --json` contract (DESIGN.md), plus case_ref and timestamps."""
    out: dict[str, Any] = {
        "id": task.id,
        "case_ref": task.case_ref,
        "kind": task.kind,
        "state": task.state,
        "message_id": message_id,
        "sender": task.sender,
        "applicant": applicant_json(task),
        "operator": dict(task.operator or {}),
        "operator_id": task.operator_id,
        "centres": [{"written": c.written, "mottaksnummer": c.mottaksnummer, "name": c.name} for c in task.centres],
        "findings": [{"code": f.code, "severity": f.severity, "field": f.field} for f in task.findings],
        "blocking": any(blocks_approval(f.code) for f in task.findings),
        "needs_sender": any(needs_sender(f.code) for f in task.findings),
        "extends_user_id": task.extends_user_id,
        "provisioned_user_id": task.provisioned_user_id,
        "reading_confirmed_by": task.reading_confirmed_by,
        "superseded_by_id": task.superseded_by_id,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }
    if task.kind == REMOVAL:
        # The contract: the registry user whose role ends, and the centres where it ends.
        out["user_id"] = task.user_id
        out["centres"] = [{"mottaksnummer": c.mottaksnummer, "name": c.name} for c in task.centres]
        out["origin"] = task.origin
        out["reason"] = task.reason
        out["review_id"] = task.review_id
    if full:
        out["findings"] = [{"code": f.code, "severity": f.severity, "field": f.field, "message": f.message_no,
                            "message_en": f.message_en, "details": f.details} for f in task.findings]
        out["reading"] = task.reading
        out["corrections"] = task.corrections
        out["decision_reason"] = task.decision_reason
        out["override_reason"] = task.override_reason
        out["reminder_sent_at"] = task.reminder_sent_at
        out["answered_at"] = task.answered_at
    return out



def case_rows(session: Session, *, state: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Every case (oldest first) as `pipeline queue list --json` prints it."""
    # An outer join: a removal IMDi support or an import asked for has no mail.
    query = (select(Task, Message.message_id).outerjoin(Message, Message.id == Task.message_pk)
             .options(defer(Task.reading), selectinload(Task.centres), selectinload(Task.findings))
             .order_by(Task.id))
    if state:
        query = query.where(Task.state == state)
    if kind:
        query = query.where(Task.kind == kind)
    return [task_json(task_view(t, with_reading=False), mid) for t, mid in session.execute(query)]


def case_detail(session: Session, ref: int | str) -> dict[str, Any]:
    """One case with its reading, corrections, findings in full, replies and audit trail (`queue show --json`)."""
    task = find_task(session, ref)
    message_id = session.scalar(select(Message.message_id).where(Message.id == task.message_pk))
    data = task_json(task_view(task), message_id, full=True)
    data["replies"] = [{"id": r.id, "kind": r.kind, "state": r.state, "subject": r.subject, "to": r.to_addr,
                        "automatic": r.automatic, "sent_at": r.sent_at}
                       for r in session.scalars(select(Reply).where(Reply.task_id == task.id).order_by(Reply.id))]
    data["audit"] = [{"at": e.at, "actor": e.actor, "action": e.action, "details": e.details}
                     for e in session.scalars(select(AuditEvent).where(
                         AuditEvent.entity == "task", AuditEvent.entity_id == str(task.id)).order_by(AuditEvent.id))]
    return data


def attachment_id(session: Session, task_id: int) -> int | None:
    return session.scalar(select(Task.attachment_pk).where(Task.id == task_id))


def find_ref(session: Session, task_id: int) -> str | None:
    return session.scalar(select(Task.case_ref).where(Task.id == task_id))


def summary(session: Session, task_id: int) -> TaskView | None:
    """The case's own columns only (no reading, centres or findings): for a quick look before an action."""
    row = session.scalar(select(Task).options(defer(Task.reading)).where(Task.id == task_id))
    return task_view(row, with_reading=False, centres=[], findings=[]) if row is not None else None
