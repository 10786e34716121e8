"""Keeps each case's search text and trigrams (tables task_search, task_gram) in step with the case.

Any flush that adds or changes a case, or its centres, rewrites that case's search rows in the same
transaction (an `after_flush` listener on every Session), so the ingest, an answer, a correction or a
new kind of case keeps the index without calling anything. Rows written with bulk Core inserts (the
UI benchmark, the migration) are indexed by `rebuild`.

Only the difference is written: the trigrams the old text had and the new one lacks are deleted by
their primary key, the new ones inserted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from pipeline.core.search import case_text, grams

# Table shapes as this module needs them (not the ORM models), so the migration that creates the index
# can fill it with the same code whatever later migrations add to these tables.
_task = sa.table("task", sa.column("id"), sa.column("case_ref"), sa.column("first_name"), sa.column("last_name"),
                 sa.column("email"), sa.column("mobile"), sa.column("sender"), sa.column("message_pk"),
                 sa.column("operator"))
_centre = sa.table("task_centre", sa.column("task_id"), sa.column("position"), sa.column("written"),
                   sa.column("mottaksnummer"), sa.column("name"))
_message = sa.table("message", sa.column("id"), sa.column("subject"))
_search = sa.table("task_search", sa.column("task_id"), sa.column("text"))
_gram = sa.table("task_gram", sa.column("gram"), sa.column("task_id"))

_BATCH = 500


def texts(conn: Connection, task_ids: list[int]) -> dict[int, str]:
    """The search text of each of these cases, from the rows as they are in this transaction."""
    centres: dict[int, list[tuple[str | None, str | None, str | None]]] = {i: [] for i in task_ids}
    for c in conn.execute(sa.select(_centre.c.task_id, _centre.c.written, _centre.c.mottaksnummer,
                                    _centre.c.name).where(_centre.c.task_id.in_(task_ids))
                          .order_by(_centre.c.task_id, _centre.c.position)):
        centres[c.task_id].append((c.written, c.mottaksnummer, c.name))
    out: dict[int, str] = {}
    query = (sa.select(_task.c.id, _task.c.case_ref, _task.c.first_name, _task.c.last_name, _task.c.email,
                       _task.c.mobile, _task.c.sender, _task.c.operator, _message.c.subject)
             .select_from(_task.outerjoin(_message, _message.c.id == _task.c.message_pk))
             .where(_task.c.id.in_(task_ids)))
    for row in conn.execute(query):
        operator = row.operator if isinstance(row.operator, dict) else {}
        out[row.id] = case_text(case_ref=row.case_ref, first_name=row.first_name, last_name=row.last_name,
                                email=row.email, mobile=row.mobile, centres=centres[row.id], sender=row.sender,
                                subject=row.subject, organisation=operator.get("organisation"))
    return out


def refresh(conn: Connection, task_ids: Iterable[int]) -> None:
    ids = sorted(set(task_ids))
    for lo in range(0, len(ids), _BATCH):
        _refresh(conn, ids[lo:lo + _BATCH])


def _refresh(conn: Connection, ids: list[int]) -> None:
    new = texts(conn, ids)
    old = dict(conn.execute(sa.select(_search.c.task_id, _search.c.text).where(_search.c.task_id.in_(ids))).all())
    gone: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    for task_id in ids:
        before, after = old.get(task_id), new.get(task_id)
        if before == after:
            continue
        was, now = grams(before or ""), grams(after or "")
        gone += [{"g": g, "t": task_id} for g in was - now]
        added += [{"gram": g, "task_id": task_id} for g in now - was]
        if after is None:
            conn.execute(sa.delete(_search).where(_search.c.task_id == task_id))
        elif before is None:
            conn.execute(sa.insert(_search).values(task_id=task_id, text=after))
        else:
            conn.execute(sa.update(_search).where(_search.c.task_id == task_id).values(text=after))
    if gone:
        conn.execute(sa.delete(_gram).where(_gram.c.gram == sa.bindparam("g"), _gram.c.task_id == sa.bindparam("t")),
                     gone)
    if added:
        conn.execute(sa.insert(_gram), added)


def rebuild(conn: Connection | Session) -> int:
    """Index every case that has no search text yet (after a bulk load, or when the tables are new)."""
    bind = conn.connection() if isinstance(conn, Session) else conn
    missing = list(bind.scalars(sa.select(_task.c.id).where(~sa.exists().where(_search.c.task_id == _task.c.id))
                                .order_by(_task.c.id)))
    refresh(bind, missing)
    return len(missing)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    from pipeline.adapters.db.models import Task, TaskCentre

    ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Task) and obj.id is not None and obj not in session.deleted:
            ids.add(obj.id)
        elif isinstance(obj, TaskCentre) and obj.task_id is not None:
            ids.add(obj.task_id)
    if ids:
        refresh(session.connection(), ids)
