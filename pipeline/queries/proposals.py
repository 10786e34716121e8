"""The proposed changes of a case, as the case page shows them (a read model: no ORM objects leave)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import Message, ProposedChange, Task
from pipeline.core.auth_words import why_proposal
from pipeline.core.domain import (
    CENTRES,
    FIELD_PATHS,
    PERSON,
    PROPOSAL_STATES,
    PROPOSED,
    UNDECIDED,
    field_label,
)
from pipeline.forms.reading import stored_values, written_values


@dataclass(frozen=True)
class ProposalRow:
    path: str
    label: str
    current: str | None  # the case's value now
    proposed: str | None


@dataclass(frozen=True)
class ProposalView:
    id: int
    task_id: int
    sender: str | None
    sender_verified: bool
    state: str
    state_label: str
    created_at: datetime
    decided_by: str | None
    open: bool  # may still be accepted or refused
    rows: tuple[ProposalRow, ...]  # only the fields whose value would change
    why: str = ""  # why the answer did not change the case itself, in the operator's words


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or None
    return None if value is None else str(value)


def for_task(session: Session, task_id: int) -> list[ProposalView]:
    """Newest first; the difference is taken against the case's values now (not when it came)."""
    task = session.get(Task, task_id)
    if task is None:
        return []
    current = written_values(task.reading, task.corrections)
    out = []
    proposals = list(session.scalars(select(ProposedChange).where(ProposedChange.task_id == task_id)
                                     .order_by(ProposedChange.id.desc())))
    auth: dict[int, Any] = dict(session.execute(select(Message.id, Message.auth_results).where(
        Message.id.in_({p.message_pk for p in proposals}))).all()) if proposals else {}
    for p in proposals:
        if PERSON in (p.changes or {}):
            # A removal: the registry user an untrusted answer named, beside whom the case is about now.
            person = p.changes[PERSON]
            now = " ".join(x for x in (task.first_name, task.last_name) if x)
            rows: tuple[ProposalRow, ...] = (ProposalRow(
                PERSON, "Bruker som skal miste tilgangen", f"{now} ({task.user_id})" if task.user_id else None,
                f"{person.get('name') or ''} ({person.get('after')})".strip()),)
        else:
            proposed = stored_values(p.reading or {})
            rows = tuple(ProposalRow(path, field_label(path), _text(current.get(path)), _text(proposed.get(path)))
                         for path in (*FIELD_PATHS, CENTRES)
                         if proposed.get(path) not in (None, "", []) and proposed.get(path) != current.get(path))
        out.append(ProposalView(p.id, p.task_id, p.sender, bool(p.sender_verified), p.state,
                                PROPOSAL_STATES.get(p.state, p.state), p.created_at, p.decided_by,
                                p.state == PROPOSED and task.state in UNDECIDED, rows,
                                why_proposal(p.sender, task.sender, auth.get(p.message_pk))))
    return out
