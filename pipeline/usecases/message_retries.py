"""An operator's work on a stored message: process it again (a failed or unreadable one), audited.

    queue_retry(db, id, *, actor)   the web's "Kjør på nytt": the worker reads it again (nothing is read
                                    in the web process, whose memory and time a hostile mail must not use)
    retry(db, id, *, settings, actor)   `pipeline messages retry ID`: read it again here and now
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db import audit
from pipeline.adapters.db.session import unit_of_work
from pipeline.errors import PipelineError
from pipeline.queries.messages import message
from pipeline.queries.view_rows import MessageView
from pipeline.settings import Settings


def retry(session_factory: sessionmaker[Session], message_id: int, *, settings: Settings, actor: str) -> MessageView:
    """Process a stored message again, and record who asked for it (also when it fails)."""
    from pipeline.usecases.ingest import retry_message

    _recording_failure(session_factory, message_id, actor, lambda: retry_message(session_factory, message_id, settings=settings))
    with unit_of_work(session_factory) as session:
        view = message(session, message_id)
        audit.record(session, actor, "message.retried", "message", message_id,
                     {"outcome": view.outcome if view else None})
    assert view is not None
    return view


def queue_retry(session_factory: sessionmaker[Session], message_id: int, *, actor: str) -> MessageView:
    """Put a stored message back for the worker to read again; audited (also when refused)."""
    from pipeline.usecases.ingest import put_back

    _recording_failure(session_factory, message_id, actor, lambda: put_back(session_factory, message_id, actor=actor))
    with unit_of_work(session_factory) as session:
        view = message(session, message_id)
    assert view is not None
    return view


def _recording_failure(session_factory: sessionmaker[Session], message_id: int, actor: str, attempt: Callable[[], object]) -> None:
    """Run the attempt; when it fails, the audit log says who tried and why, and the error goes on."""
    try:
        attempt()
    except PipelineError as exc:
        with unit_of_work(session_factory) as session:
            audit.record(session, actor, "message.retry_failed", "message", message_id, {"error": exc.message})
        raise
