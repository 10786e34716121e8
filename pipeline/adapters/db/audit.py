"""The audit log: who (system or an operator) did what to which record, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pipeline.adapters.db.models import AuditEvent

SYSTEM = "system"


def record(session: Session, actor: str, action: str, entity: str, entity_id: object,
           details: dict[str, Any] | None = None) -> AuditEvent:
    event = AuditEvent(actor=actor, action=action, entity=entity,
                       entity_id=None if entity_id is None else str(entity_id), details=details or {})
    session.add(event)
    return event
