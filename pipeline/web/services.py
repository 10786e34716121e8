"""Calls into the service layer (pipeline.service.*), in one place.

The task and reply services and message re-processing belong to other parts of the pipeline; the
views call them only through these functions, so the UI's view of their signatures is in one file.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from pipeline import audit
from pipeline.db.models import Task
from pipeline.db.session import unit_of_work
from pipeline.errors import PipelineError
from pipeline.settings import Settings


class ServiceUnavailable(PipelineError):
    code = "web.service_unavailable"
    message_no = "Denne funksjonen er ikke tilgjengelig i denne versjonen."


def _tasks() -> Any:
    try:
        from pipeline.service import tasks
    except ImportError as exc:
        raise ServiceUnavailable("pipeline.service.tasks is not installed") from exc
    return tasks


def approve(session: Session, task_id: int, *, actor: str, override_reason: str | None) -> Task:
    return _tasks().approve(session, task_id, actor=actor, override_reason=override_reason)


def reject(session: Session, task_id: int, *, actor: str, reason: str) -> Task:
    return _tasks().reject(session, task_id, actor=actor, reason=reason)


def request_info(session: Session, task_id: int, *, actor: str, note: str | None) -> Task:
    return _tasks().request_info(session, task_id, actor=actor, note=note)


def mark_provisioned(session: Session, task_id: int, *, actor: str, user_id: str | None) -> Task:
    return _tasks().mark_provisioned(session, task_id, actor=actor, user_id=user_id)


def correct(session: Session, task_id: int, *, actor: str, changes: dict[str, Any]) -> Task:
    return _tasks().correct(session, task_id, actor=actor, changes=changes)


def update_draft(session: Session, reply_id: int, *, actor: str, subject: str, body_text: str) -> Any:
    try:
        from pipeline.service import replies
    except ImportError as exc:
        raise ServiceUnavailable("pipeline.service.replies is not installed") from exc
    return replies.update_draft(session, reply_id, actor=actor, subject=subject, body_text=body_text)


def release_draft(session: Session, reply_id: int, *, actor: str) -> Any:
    from pipeline.service import replies

    return replies.release_draft(session, reply_id, actor=actor)


def retry_message(factory: sessionmaker[Session], message_id: int, settings: Settings, *, actor: str) -> Any:
    """Process a stored message again (mail part's retry_message), and log who asked for it."""
    try:
        from pipeline.service import ingest
    except ImportError as exc:
        raise ServiceUnavailable("pipeline.service.ingest is not installed") from exc
    if not hasattr(ingest, "retry_message"):
        raise ServiceUnavailable("pipeline.service.ingest has no retry_message")
    try:
        message = ingest.retry_message(factory, message_id, settings=settings)
    except PipelineError as exc:
        with unit_of_work(factory) as session:
            audit.record(session, actor, "message.retry_failed", "message", message_id, {"error": exc.message})
        raise
    with unit_of_work(factory) as session:
        audit.record(session, actor, "message.retried", "message", message_id,
                     {"outcome": getattr(message, "outcome", None)})
    return message
