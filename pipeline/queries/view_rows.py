"""Frozen views of stored records, made from ORM rows inside a read session (so nothing lazy-loads later).

Their attribute names are the records' own, so templates and the CLI read them as they read the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.adapters.db.models import Attachment, AuditEvent, FindingRow, Message, Reply, Task, TaskCentre
from pipeline.checks.findings import CodeRules


@dataclass(frozen=True)
class CentreView:
    position: int
    written: str
    mottaksnummer: str | None
    name: str | None


@dataclass(frozen=True)
class FindingView(CodeRules):
    id: int
    code: str
    severity: str
    field: str | None
    message_no: str
    message_en: str
    details: dict[str, Any]


@dataclass(frozen=True)
class TaskView:
    id: int
    case_ref: str
    kind: str
    state: str
    version: int
    message_pk: int | None  # None: a removal IMDi support or an import asked for
    attachment_pk: int | None
    sender: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    mobile: str | None
    position: str | None
    operator: dict[str, Any]
    operator_id: str | None
    reading: dict[str, Any]
    corrections: dict[str, Any]
    extends_user_id: str | None
    provisioned_user_id: str | None
    decision_reason: str | None
    override_reason: str | None
    superseded_by_id: int | None
    reminder_sent_at: datetime | None
    state_changed_at: datetime | None
    answered_at: datetime | None
    created_at: datetime | None
    updated_at: datetime | None
    owner: str | None
    owner_at: datetime | None
    changed_by: str | None
    reading_confirmed_by: str | None = None
    reading_confirmed_at: datetime | None = None
    centres: tuple[CentreView, ...] = ()
    findings: tuple[FindingView, ...] = ()
    # A removal: the registry user whose role ends at `centres`, what asked for it and why.
    user_id: str | None = None
    origin: str | None = None
    reason: str | None = None
    review_id: int | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True)
class ReplyView:
    id: int
    task_id: int | None
    message_pk: int | None
    kind: str
    automatic: bool
    to_addr: str
    subject: str
    body_text: str
    body_html: str | None
    rfc_message_id: str
    in_reply_to: str | None
    references: str | None
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime | None


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime | None
    actor: str
    action: str
    entity: str
    entity_id: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class AttachmentView:
    id: int
    filename: str | None
    content_type: str | None
    size: int
    code: str
    error_message: str | None


@dataclass(frozen=True)
class MessageView:
    id: int
    message_id: str | None
    sender: str | None
    sender_name: str | None
    subject: str | None
    received_at: datetime | None
    ingested_at: datetime | None
    outcome: str | None
    error: str | None
    attempts: int
    auth_results: dict[str, Any] | None
    attachments: tuple[AttachmentView, ...] = field(default=())


def centre_view(c: TaskCentre) -> CentreView:
    return CentreView(c.position, c.written, c.mottaksnummer, c.name)


def finding_view(f: FindingRow) -> FindingView:
    return FindingView(f.id, f.code, f.severity, f.field, f.message_no, f.message_en, dict(f.details or {}))


def task_view(t: Task, *, with_reading: bool = True, centres: list[TaskCentre] | None = None,
              findings: list[FindingRow] | None = None) -> TaskView:
    """`with_reading=False` for lists, which never need the stored reading (several kB per case)."""
    return TaskView(
        id=t.id, case_ref=t.case_ref, kind=t.kind or "grant", state=t.state, version=t.version or 1,
        message_pk=t.message_pk, attachment_pk=t.attachment_pk, sender=t.sender, first_name=t.first_name,
        last_name=t.last_name, email=t.email, mobile=t.mobile, position=t.position, operator=dict(t.operator or {}),
        operator_id=t.operator_id, reading=dict(t.reading or {}) if with_reading else {},
        corrections=dict(t.corrections or {}), extends_user_id=t.extends_user_id,
        provisioned_user_id=t.provisioned_user_id, decision_reason=t.decision_reason,
        override_reason=t.override_reason, superseded_by_id=t.superseded_by_id,
        reminder_sent_at=t.reminder_sent_at, state_changed_at=t.state_changed_at, answered_at=t.answered_at,
        created_at=t.created_at, updated_at=t.updated_at, owner=t.owner, owner_at=t.owner_at,
        changed_by=t.changed_by, reading_confirmed_by=t.reading_confirmed_by,
        reading_confirmed_at=t.reading_confirmed_at,
        centres=tuple(centre_view(c) for c in (t.centres if centres is None else centres)),
        findings=tuple(finding_view(f) for f in (t.findings if findings is None else findings)),
        user_id=t.user_id, origin=t.origin, reason=t.reason, review_id=t.review_id,
    )


def reply_view(r: Reply) -> ReplyView:
    return ReplyView(r.id, r.task_id, r.message_pk, r.kind, bool(r.automatic), r.to_addr, r.subject, r.body_text,
                     r.body_html, r.rfc_message_id, r.in_reply_to, r.references, r.state, r.attempts or 0,
                     r.next_attempt_at, r.last_error, r.sent_at, r.created_at)


def audit_view(e: AuditEvent) -> AuditView:
    return AuditView(e.id, e.at, e.actor, e.action, e.entity, e.entity_id, dict(e.details or {}))


def attachment_view(a: Attachment) -> AttachmentView:
    return AttachmentView(a.id, a.filename, a.content_type, a.size or 0, a.code, a.error_message)


def message_view(m: Message, attachments: list[Attachment] | None = None) -> MessageView:
    return MessageView(m.id, m.message_id, m.sender, m.sender_name, m.subject, m.received_at, m.ingested_at,
                       m.outcome, m.error, m.attempts or 0, m.auth_results,
                       tuple(attachment_view(a) for a in (attachments or [])))
