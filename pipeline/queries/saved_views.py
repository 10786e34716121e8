"""An operator's saved queue views."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import SavedView


@dataclass(frozen=True)
class ViewRow:
    id: int
    name: str
    query: str  # the queue's query string


def for_operator(session: Session, operator: str) -> list[ViewRow]:
    return [ViewRow(v.id, v.name, v.query) for v in session.scalars(
        select(SavedView).where(SavedView.owner == operator).order_by(SavedView.name))]
