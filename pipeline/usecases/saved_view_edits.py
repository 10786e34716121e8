"""Saving and deleting an operator's queue views, each one unit of work."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.models import SavedView
from pipeline.adapters.db.session import unit_of_work
from pipeline.errors import PipelineError

MAX_VIEWS = 30


def save(session_factory: sessionmaker[Session], operator: str, name: str, query: str) -> int:
    """Save the view under this name (a view of the same name is replaced); its id."""
    name = " ".join(name.split())[:80]
    if not name:
        raise PipelineError("a saved view needs a name", code="view.invalid", message_no="Gi visningen et navn.")
    with unit_of_work(session_factory) as session:
        row = session.scalar(select(SavedView).where(SavedView.owner == operator, SavedView.name == name))
        if row is None:
            mine = len(session.scalars(select(SavedView.id).where(SavedView.owner == operator)).all())
            if mine >= MAX_VIEWS:
                raise PipelineError("too many saved views", code="view.invalid",
                                    message_no=f"Du kan ha høyst {MAX_VIEWS} lagrede visninger. Slett en først.")
            row = SavedView(owner=operator, name=name, query=query[:1000])
            session.add(row)
        else:
            row.query = query[:1000]
        session.flush()
        return row.id


def delete(session_factory: sessionmaker[Session], operator: str, view_id: int) -> None:
    with unit_of_work(session_factory) as session:
        row = session.get(SavedView, view_id)
        if row is None or row.owner != operator:
            raise PipelineError(f"no view {view_id}", code="view.not_found", message_no="Fant ikke visningen.")
        session.delete(row)
