"""Reminders for requests for information left unanswered for some working days, in one unit of work (the
steps: pipeline.steps.followup)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.session import unit_of_work
from pipeline.settings import Settings
from pipeline.steps.followup import send_reminders


def remind_due(session_factory: sessionmaker[Session], *, settings: Settings, working_days: int | None = None,
               now: datetime | None = None) -> int:
    """Draft the due reminders in one unit of work (the worker's cycle and `pipeline reminders`)."""
    with unit_of_work(session_factory) as session:
        return send_reminders(session, now, working_days, settings=settings)
