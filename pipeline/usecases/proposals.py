"""Proposed changes: what an answer carried from a sender who may not change the case by mail (not
verified, or not the case's sender). An operator accepts or refuses each on the case page; each
decision is one unit of work with its audit record (and, for an acceptance, the case's reply).

    accept(db, proposal_id, *, actor, task_id=None, expect_version=None, settings=None) -> Decided
    refuse(db, proposal_id, *, actor, task_id=None, expect_version=None) -> Decided

`task_id` is the case in the URL: a proposal of another case is refused (not found). A proposal whose
case has been decided or ended can no longer be accepted (it is moot).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import Message, ProposedChange, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.core.clock import now_utc
from pipeline.core.domain import PROPOSED, REMOVAL, UNDECIDED
from pipeline.errors import IllegalTransition, PipelineError
from pipeline.queries.case import task_json
from pipeline.settings import Settings
from pipeline.steps import removals, tasks
from pipeline.steps.case_guard import StaleCase
from pipeline.usecases.case_decisions import Decided


def _load(session: Session, proposal_id: int, task_id: int | None,
          expect_version: int | None) -> tuple[ProposedChange, Task]:
    proposal = session.get(ProposedChange, proposal_id, with_for_update=True)
    if proposal is None or (task_id is not None and proposal.task_id != task_id):
        raise PipelineError(f"no proposed change {proposal_id} on task {task_id}", code="proposal.not_found",
                            message_no="Fant ikke det foreslåtte svaret på denne saken.")
    task = session.get(Task, proposal.task_id, with_for_update=True)
    assert task is not None
    if proposal.state != PROPOSED:
        raise IllegalTransition(f"proposed change {proposal_id} is {proposal.state}",
                                message_no="Dette forslaget er allerede behandlet.")
    if expect_version is not None and task.version != expect_version:
        raise StaleCase(f"task {task.case_ref} changed since it was shown",
                        message_no=f"Saken {task.case_ref} er endret siden du åpnet den. Ingenting er lagret; "
                                   "se over saken og prøv igjen.")
    return proposal, task


def _decided(session: Session, task: Task) -> Decided:
    session.flush()
    message_id = session.scalar(select(Message.message_id).where(Message.id == task.message_pk))
    return Decided(task.id, task.case_ref, task.kind, task.state, task.version, task_json(task, message_id))


def accept(session_factory: sessionmaker[Session], proposal_id: int, *, actor: str, task_id: int | None = None,
           expect_version: int | None = None, settings: Settings) -> Decided:
    with unit_of_work(session_factory) as session:
        proposal, task = _load(session, proposal_id, task_id, expect_version)
        if task.state not in UNDECIDED:
            raise IllegalTransition(f"task {task.case_ref} is {task.state}: the proposal is moot",
                                    message_no=f"Saken {task.case_ref} er avgjort, så forslaget kan ikke tas i bruk.")
        if task.kind == REMOVAL:
            removals.accept_person(session, task, proposal, actor=actor, settings=settings)
        else:
            tasks.apply_proposal(session, task, proposal, actor=actor, settings=settings)
        proposal.state, proposal.decided_by, proposal.decided_at = "accepted", actor, now_utc()
        audit.record(session, actor, "proposal.accepted", "task", task.id,
                     {"proposal": proposal.id, "message": proposal.message_pk, "changes": proposal.changes})
        return _decided(session, task)


def refuse(session_factory: sessionmaker[Session], proposal_id: int, *, actor: str, task_id: int | None = None,
           expect_version: int | None = None) -> Decided:
    with unit_of_work(session_factory) as session:
        proposal, task = _load(session, proposal_id, task_id, expect_version)
        proposal.state, proposal.decided_by, proposal.decided_at = "refused", actor, now_utc()
        audit.record(session, actor, "proposal.refused", "task", task.id,
                     {"proposal": proposal.id, "message": proposal.message_pk})
        return _decided(session, task)
