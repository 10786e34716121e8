"""The one gate for a reply's state: a compare-and-set that only makes the moves domain allows.

    move(session, reply_id, to, *, only_from=None, **values) -> str | None   (the state it left, or None)

Every change of Reply.state goes through here. The UPDATE names the states the reply may be in
(`domain.reply_sources(to)`, narrowed by `only_from`), so a change races safely with another worker:
on PostgreSQL the UPDATE waits for a row lock held by a concurrent claim and then no longer matches; on
SQLite writers are serialised. A reply that a sender has claimed ('sending') can therefore never be
cancelled or held back by a retry that overlaps the send.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import Reply
from pipeline.core.domain import REPLY_STATES, reply_sources


def move(session: Session, reply_id: int, to: str, *, only_from: tuple[str, ...] | None = None,
         also: ColumnElement[bool] | None = None, **values: Any) -> str | None:
    """Move the reply to `to` if its state allows it (and is one of `only_from`, and `also` holds); the
    state it left, or None when it was in no such state (someone else moved it first, or the move is
    not allowed). `values` are written with the move."""
    if to not in REPLY_STATES:
        raise ValueError(f"unknown reply state {to!r}")
    sources = tuple(s for s in reply_sources(to) if only_from is None or s in only_from)
    if not sources:
        return None
    before = session.scalar(select(Reply.state).where(Reply.id == reply_id))
    if before not in sources:
        return None
    where = [Reply.id == reply_id, Reply.state == before, *([also] if also is not None else [])]
    done = session.execute(update(Reply).where(*where)
                           .values(state=to, **values).execution_options(synchronize_session="fetch"))
    return before if getattr(done, "rowcount", 0) == 1 else None
