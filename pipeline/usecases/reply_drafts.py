"""An operator's work on reply e-mails, each one unit of work: edit a draft, release a held one, or send
what is on the screen (the text saved and queued together, so what goes out is what the operator saw).

    edit(db, reply_id, *, actor, subject=None, body_text=None, task_id=None, expect_version=None) -> ReplyView
    release(db, reply_id, *, actor, task_id=None, expect_version=None) -> ReplyView
    send(db, reply_id, *, actor, subject, body_text, task_id=None, expect_version=None) -> ReplyView

`task_id`, given by the case page, must be the reply's own case: a form posted for one case cannot
touch another case's reply. `expect_version` is the version of the case the page was drawn from: an
edit or a send from a page drawn before another change to the case (a decision, another operator's
edit of this reply) is refused with StaleCase, and nothing is saved or sent. A change here is a new
version of the case.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.models import Reply, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.errors import PipelineError
from pipeline.queries.view_rows import ReplyView, reply_view
from pipeline.steps import case_guard, replies, tasks


def _check_case(session: Session, reply_id: int, task_id: int | None, expect_version: int | None) -> Task | None:
    """The reply's case, locked and checked against the page's version (None: a reply without a case)."""
    row = session.execute(select(Reply.id, Reply.task_id).where(Reply.id == reply_id)).first()
    if row is None or (task_id is not None and row.task_id != task_id):
        raise PipelineError(f"no reply {reply_id}" + (f" on task {task_id}" if task_id is not None else ""),
                            code="reply.not_found", message_no="Fant ikke svaret i denne saken.")
    if row.task_id is None:
        return None
    return case_guard.guarded(session, row.task_id, expect_version)


def _touched(task: Task | None, before: tuple[str, str, str], reply: Reply, actor: str) -> None:
    if task is not None and before != (reply.subject, reply.body_text, reply.state):
        tasks.touch(task, actor=actor)


def edit(session_factory: sessionmaker[Session], reply_id: int, *, actor: str, subject: str | None = None,
         body_text: str | None = None, task_id: int | None = None, expect_version: int | None = None) -> ReplyView:
    with unit_of_work(session_factory) as session:
        task = _check_case(session, reply_id, task_id, expect_version)
        before = _state(session, reply_id)
        reply = replies.update_draft(session, reply_id, actor=actor, subject=subject, body_text=body_text)
        _touched(task, before, reply, actor)
        return reply_view(reply)


def release(session_factory: sessionmaker[Session], reply_id: int, *, actor: str, task_id: int | None = None,
            expect_version: int | None = None) -> ReplyView:
    with unit_of_work(session_factory) as session:
        task = _check_case(session, reply_id, task_id, expect_version)
        before = _state(session, reply_id)
        reply = replies.release_draft(session, reply_id, actor=actor)
        _touched(task, before, reply, actor)
        return reply_view(reply)


def send(session_factory: sessionmaker[Session], reply_id: int, *, actor: str, subject: str, body_text: str,
         task_id: int | None = None, expect_version: int | None = None) -> ReplyView:
    """Save the text as shown and queue it, in one transaction (a queued reply just keeps its place)."""
    with unit_of_work(session_factory) as session:
        task = _check_case(session, reply_id, task_id, expect_version)
        before = _state(session, reply_id)
        reply = replies.update_draft(session, reply_id, actor=actor, subject=subject, body_text=body_text)
        if reply.state == "draft":
            reply = replies.release_draft(session, reply_id, actor=actor)
        _touched(task, before, reply, actor)
        return reply_view(reply)


def _state(session: Session, reply_id: int) -> tuple[str, str, str]:
    row = session.execute(select(Reply.subject, Reply.body_text, Reply.state).where(Reply.id == reply_id)).one()
    return row.subject, row.body_text, row.state
