"""What the task page shows, gathered from the database (no Flask here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, defer

from pipeline.checks.model import is_blocking
from pipeline.db.models import (
    Attachment,
    AuditEvent,
    FindingRow,
    Message,
    RegistryUser,
    Reply,
    Task,
)
from pipeline.domain import FIELD_PATHS, operator_actions
from pipeline.web.labels import OPEN_STATES

EDITABLE: tuple[str, ...] = (*(p for p in FIELD_PATHS if p.startswith("applicant.")),
                             *(p for p in FIELD_PATHS if p.startswith("operator.")))


@dataclass
class FieldRow:
    path: str
    as_read: str | None
    where: Any
    current: str | None
    corrected: bool
    findings: list[FindingRow] = field(default_factory=list)


def current_value(task: Task, path: str) -> str | None:
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


def current_centres(task: Task) -> list[str]:
    corrections = getattr(task, "corrections", None) or {}
    if isinstance(corrections.get("centres"), list):
        return [str(c) for c in corrections["centres"]]
    return [c.written for c in task.centres]


def centre_choices(task: Task, finding: FindingRow) -> list[tuple[str, str]]:
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


def field_rows(task: Task) -> list[FieldRow]:
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
    task: Task
    message: Message | None
    attachment: Attachment | None
    attachment_kind: str
    fields: list[FieldRow]
    centre_rows: list[dict[str, Any]]
    centre_findings: list[FindingRow]
    other_findings: list[FindingRow]
    replies: list[Reply]
    history: list[AuditEvent]
    mobile_holders: list[RegistryUser]
    same_mobile_tasks: list[Task]
    actions: tuple[str, ...]
    has_errors: bool


def load(session: Session, task_id: int) -> TaskPage | None:
    task = session.get(Task, task_id)
    if task is None:
        return None
    message = session.scalar(select(Message).options(defer(Message.raw)).where(Message.id == task.message_pk))
    attachment = None
    kind = "none"
    if task.attachment_pk:
        attachment = session.scalar(select(Attachment).options(defer(Attachment.data))
                                    .where(Attachment.id == task.attachment_pk))
        if attachment is not None:
            from pipeline.web.documents import kind_of

            # The first bytes tell a PDF from a zip; the rest of the file stays in the database.
            head = session.scalar(select(func.substr(Attachment.data, 1, 8)).where(Attachment.id == attachment.id))
            kind = kind_of(head[:8] if head else None, attachment.filename)
    rows = field_rows(task)
    known = {r.path for r in rows}
    taken = {f.id for r in rows for f in r.findings}
    centre_findings = [f for f in task.findings if f.field and f.field.startswith("centres")]
    taken |= {f.id for f in centre_findings}
    other = [f for f in task.findings if f.id not in taken and (f.field not in known or f.field is None)]
    reading_centres = (task.reading or {}).get("centres") or []
    prov = ((task.reading or {}).get("source") or {}).get("provenance", {}).get("centres") or []
    centre_rows = []
    for c in task.centres:
        where = prov[c.position] if c.position < len(prov) else None
        centre_rows.append({"written": c.written, "mottaksnummer": c.mottaksnummer, "name": c.name,
                            "where": where,
                            "findings": [f for f in centre_findings
                                         if (f.details or {}).get("written") in (None, c.written)]})
    if not task.centres:
        centre_rows = [{"written": w, "mottaksnummer": None, "name": None, "where": None, "findings": []}
                       for w in reading_centres]
    replies = list(session.scalars(select(Reply).where(Reply.task_id == task.id).order_by(Reply.id)))
    reply_ids = [str(r.id) for r in replies]
    conds = [and_(AuditEvent.entity == "task", AuditEvent.entity_id == str(task.id))]
    if reply_ids:
        conds.append(and_(AuditEvent.entity == "reply", AuditEvent.entity_id.in_(reply_ids)))
    conds.append(and_(AuditEvent.entity == "message", AuditEvent.entity_id == str(task.message_pk)))
    history = list(session.scalars(select(AuditEvent).where(or_(*conds)).order_by(AuditEvent.at, AuditEvent.id)))
    holders: list[RegistryUser] = []
    same: list[Task] = []
    mobile = current_value(task, "applicant.mobile")
    if mobile:
        holders = list(session.scalars(select(RegistryUser).where(RegistryUser.mobile == mobile)))
        same = list(session.scalars(select(Task).options(defer(Task.reading)).where(
            Task.mobile == mobile, Task.id != task.id, Task.state.in_(OPEN_STATES)).limit(10)))
    return TaskPage(task=task, message=message, attachment=attachment, attachment_kind=kind, fields=rows,
                    centre_rows=centre_rows, centre_findings=centre_findings, other_findings=other,
                    replies=replies, history=history, mobile_holders=holders, same_mobile_tasks=same,
                    actions=operator_actions(task.kind, task.state),
                    # The same rule as the task service: only blocking findings need an override.
                    has_errors=any(is_blocking(f.code) for f in task.findings))
