"""The one gate for a task's state, for both kinds of task (grants here and in tasks.py, removals in
removals.py): refuse what domain.ACTIONS does not allow, audit what it does, make every change a new
version of the case; and the case references (2026-0042), given out under a row lock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import CaseCounter, Task
from pipeline.core.clock import now_utc
from pipeline.core.domain import next_state
from pipeline.errors import PipelineError


def transition(session: Session, task: Task, action: str, *, actor: str, to: str | None = None,
                details: dict[str, Any] | None = None) -> None:
    """The one gate for state changes: refuse what domain.ACTIONS does not allow, audit what it does."""
    before = task.state
    target = next_state(action, before, to, case_ref=task.case_ref)
    task.state = target
    if before != target:
        task.state_changed_at = now_utc()
    # Every audited change is a new version of the case: a decision drawn from an older one is refused.
    if action != "open":
        task.version = (task.version or 1) + 1
    task.changed_by = actor
    audit.record(session, actor, f"task.{action}", "task", task.id,
                 {"state": {"before": before, "after": target}, **(details or {})})


def get_for_update(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise PipelineError(f"no task {task_id}", code="task.not_found")
    return task


def next_case_ref(session: Session, year: int) -> str:
    """Atomic increment (the UPDATE takes the row lock), inserting the year's row the first time."""
    for _ in range(3):
        last = session.execute(update(CaseCounter).where(CaseCounter.year == year)
                               .values(last=CaseCounter.last + 1).returning(CaseCounter.last)).scalar()
        if last is not None:
            return f"{year}-{last:04d}"
        try:
            with session.begin_nested():
                session.execute(insert(CaseCounter).values(year=year, last=1))
            return f"{year}-0001"
        except IntegrityError:
            continue  # another transaction inserted the row first: increment it
    raise PipelineError("could not allocate a case reference")
