"""An operator's decisions on a case, each one unit of work.

    approve(db, ref, *, actor, override_reason=None, expect_version=None, expect_state=None) -> Decided
    reject(db, ref, *, actor, reason, ...)          request_info(db, ref, *, actor, note=None, ...)
    mark_done(db, ref, *, actor, user_id=None, ...) correct(db, ref, *, actor, changes, ...)
    confirm_reading(db, ref, *, actor, ...)         an OCR reading checked against the page (clears form.ocr)
    take(db, ref, *, actor, ...)                    approve_clean(db, refs, *, actor) -> list[BulkResult]

The decision, its audit record and the reply it drafts commit together or not at all; the CLI and the
web call these and never commit themselves. `ref` is a task id or a case reference ("2026-0042").

Two people on one case: every decision names the version of the case it was drawn from
(`expect_version`, carried by every form on the case page; `expect_state` for the CLI's
`--expect-state`). When the case has changed since, the decision is refused with `StaleCase`, which
says who changed it, how and when, and what it is now; nothing is saved or sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.models import Message, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.errors import PipelineError
from pipeline.queries.case import find_task, task_json
from pipeline.settings import Settings
from pipeline.steps import replies, tasks
from pipeline.steps.case_guard import StaleCase as StaleCase  # the edges catch it from here
from pipeline.steps.case_guard import guard


@dataclass(frozen=True)
class Decided:
    """What a decision left: the case as it is now, and its queue row (the `queue list --json` contract)."""

    id: int
    case_ref: str
    kind: str
    state: str
    version: int
    data: dict[str, Any]


@dataclass(frozen=True)
class BulkResult:
    ref: str
    ok: bool
    message_no: str


find = find_task












def _decide(session_factory: sessionmaker[Session], ref: int | str, action: Callable[[Session, int], Task], *,
            expect_version: int | None, expect_state: str | None) -> Decided:
    with unit_of_work(session_factory) as session:
        task = find(session, ref, lock=True)
        guard(session, task, expect_version, expect_state)
        task = action(session, task.id)
        session.flush()
        message_id = session.scalar(select(Message.message_id).where(Message.id == task.message_pk))
        return Decided(task.id, task.case_ref, task.kind, task.state, task.version, task_json(task, message_id))


def approve(session_factory: sessionmaker[Session], ref: int | str, *, actor: str, override_reason: str | None = None,
            expect_version: int | None = None, expect_state: str | None = None) -> Decided:
    return _decide(session_factory, ref, lambda s, tid: tasks.approve(s, tid, actor=actor, override_reason=override_reason),
                   expect_version=expect_version, expect_state=expect_state)


def reject(session_factory: sessionmaker[Session], ref: int | str, *, actor: str, reason: str, settings: Settings,
           expect_version: int | None = None, expect_state: str | None = None,
           internal_note: str | None = None) -> Decided:
    """`reason` goes to the sender; `internal_note` stays with IMDi (the audit record), never in the reply."""
    return _decide(session_factory, ref, lambda s, tid: tasks.reject(s, tid, actor=actor, reason=reason, settings=settings,
                                                        internal_note=internal_note),
                   expect_version=expect_version, expect_state=expect_state)


def request_info(session_factory: sessionmaker[Session], ref: int | str, *, actor: str, note: str | None = None,
                 settings: Settings, expect_version: int | None = None,
                 expect_state: str | None = None, internal_note: str | None = None) -> Decided:
    return _decide(session_factory, ref, lambda s, tid: tasks.request_info(s, tid, actor=actor, note=note, settings=settings,
                                                              internal_note=internal_note),
                   expect_version=expect_version, expect_state=expect_state)


@dataclass(frozen=True)
class Preview:
    """The e-mail a decision would send, rendered and not stored."""

    to: str
    subject: str
    text: str


def preview(session_factory: sessionmaker[Session], ref: int | str, *, kind: str, reason: str | None = None, note: str | None = None,
            settings: Settings) -> Preview | None:
    """What the sender will read if the operator rejects (kind 'rejection', `reason`) or asks for
    information (kind 'needs_info', `note`) now; None when no reply may go to the sender at all.
    Read-only: the session is rolled back, nothing is stored."""
    with session_factory() as session:
        task = find(session, ref)
        rendered = replies.preview_reply(session, kind=kind, task=task, settings=settings,
                                         extra={"reason": reason} if kind == "rejection" else {"note": note})
        session.rollback()
    if rendered is None:
        return None
    to, subject, text = rendered
    return Preview(to, subject, text)


def mark_done(session_factory: sessionmaker[Session], ref: int | str, *, actor: str, user_id: str | None = None,
              settings: Settings, expect_version: int | None = None,
              expect_state: str | None = None) -> Decided:
    """The task was carried out in IMDinett (a grant: the user created; a removal: the role taken away)."""
    return _decide(session_factory, ref, lambda s, tid: tasks.mark_provisioned(s, tid, actor=actor, user_id=user_id,
                                                                  settings=settings),
                   expect_version=expect_version, expect_state=expect_state)


def correct(session_factory: sessionmaker[Session], ref: int | str, *, actor: str, changes: dict[str, Any], settings: Settings,
            expect_version: int | None = None, expect_state: str | None = None) -> Decided:
    return _decide(session_factory, ref, lambda s, tid: tasks.correct(s, tid, actor=actor, changes=changes, settings=settings),
                   expect_version=expect_version, expect_state=expect_state)


def assign(session_factory: sessionmaker[Session], ref: int | str, *, actor: str, user_id: str, centres: Sequence[str] | None = None,
           settings: Settings, expect_version: int | None = None,
           expect_state: str | None = None) -> Decided:
    """A removal: name the registry user (and the centres) it is about; one waiting for the sender goes to review."""
    from pipeline.steps import removals

    return _decide(session_factory, ref, lambda s, tid: removals.assign(s, tid, user_id=user_id, centres=centres, actor=actor,
                                                           settings=settings),
                   expect_version=expect_version, expect_state=expect_state)


def confirm_reading(session_factory: sessionmaker[Session], ref: int | str, *, actor: str, expect_version: int | None = None,
                    expect_state: str | None = None) -> Decided:
    """The operator vouches for the values of a form read by OCR, as they stand after any corrections."""
    return _decide(session_factory, ref, lambda s, tid: tasks.confirm_reading(s, tid, actor=actor),
                   expect_version=expect_version, expect_state=expect_state)


def take(session_factory: sessionmaker[Session], ref: int | str, *, actor: str, expect_version: int | None = None) -> Decided:
    return _decide(session_factory, ref, lambda s, tid: tasks.take(s, tid, actor=actor), expect_version=expect_version,
                   expect_state=None)


def approve_clean(session_factory: sessionmaker[Session], refs: Sequence[tuple[int | str, int | None]], *, actor: str) -> list[BulkResult]:
    """Approve several cases at once, each in its own unit of work and audited on its own. Whatever ids
    are posted, only a case the policy lets bulk approval take (clean, from a verified sender, no pending
    proposal, unowned or the actor's own: pipeline.core.policy.bulk_may_take) is approved; any other,
    or one that changed since the list was shown, is left as it is and said why."""
    results = []
    for ref, version in refs:
        try:
            with unit_of_work(session_factory) as session:
                task = find(session, ref, lock=True)
                guard(session, task, version, None)
                tasks.approve(session, task.id, actor=actor, bulk=True)
                results.append(BulkResult(task.case_ref, True, f"{task.case_ref} er godkjent."))
        except PipelineError as exc:
            results.append(BulkResult(str(ref), False, exc.message_no))
    return results
