"""What waits on a case without anyone seeing it: a reply held as a draft, a proposal from an answer, a
request for information left unanswered past its reminder, a review answer from a sender nobody could
verify. Each is a condition on the task (for the queue's filter and its count) and a flag per case (for
the queue's rows and the case's decision bar).

Only open cases count: a decided case waits for nobody.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import FindingRow, ProposedChange, Reply, Task
from pipeline.core.domain import NEEDS_INFO, PENDING, PROPOSED, UNDECIDED

HELD = "holdt"
PROPOSAL = "forslag"
REMINDED = "purret"
UNTRUSTED = "ubekreftet"

# The query-string value of the filter -> what the operator reads (a filter, a badge in a row).
LABELS: dict[str, str] = {
    HELD: "Svar holdt tilbake",
    PROPOSAL: "Forslag venter",
    REMINDED: "Purret, ikke besvart",
    UNTRUSTED: "Ubekreftet svar på gjennomgang",
}
# What each one asks of the operator, for the case's decision bar.
HINTS: dict[str, str] = {
    HELD: "Svaret er ikke sendt: avsenderen har ikke fått det. Send det, eller endre det først under «Svar til avsender».",
    PROPOSAL: "Et svar foreslår endringer som ikke er tatt i bruk. Se «Forslag til endringer fra svar».",
    REMINDED: "Avsenderen har fått påminnelse, men har ikke svart.",
    UNTRUSTED: "Svaret på gjennomgangen kom fra en avsender som ikke kunne bekreftes. Kontroller før du godkjenner.",
}
_OPEN = tuple(sorted(PENDING))
_UNDECIDED = tuple(sorted(UNDECIDED))


def condition(key: str) -> ColumnElement[bool] | None:
    """The filter `key` as a condition on Task (None: not a filter). Held replies, proposals and
    unverified answers are few: each is asked from its own side (an index on the reply's state, the
    proposals, the cases a review raised), never by probing every open case."""
    if key == HELD:
        return and_(Task.state.in_(_OPEN),
                    Task.id.in_(select(Reply.task_id).where(Reply.state == "draft", Reply.task_id.is_not(None))))
    if key == PROPOSAL:
        return and_(Task.state.in_(_UNDECIDED),
                    Task.id.in_(select(ProposedChange.task_id).where(ProposedChange.state == PROPOSED)))
    if key == REMINDED:
        return and_(Task.state == NEEDS_INFO, Task.reminder_sent_at.is_not(None))
    if key == UNTRUSTED:
        return and_(Task.state.in_(_UNDECIDED), Task.review_id.is_not(None),
                    exists().where(FindingRow.task_id == Task.id, FindingRow.code == "sender.unverified"))
    return None


def counts(session: Session) -> dict[str, int]:
    """Open cases per kind of waiting, each counted from its small side."""
    held = select(func.count(func.distinct(Reply.task_id))).join(Task, Task.id == Reply.task_id).where(
        Reply.state == "draft", Task.state.in_(_OPEN))
    proposed = select(func.count(func.distinct(ProposedChange.task_id))).join(
        Task, Task.id == ProposedChange.task_id).where(ProposedChange.state == PROPOSED, Task.state.in_(_UNDECIDED))
    reminded = select(func.count()).select_from(Task).where(Task.state == NEEDS_INFO,
                                                           Task.reminder_sent_at.is_not(None))
    untrusted = select(func.count()).select_from(Task).where(Task.review_id.is_not(None),
                                                            Task.state.in_(_UNDECIDED), exists().where(
        FindingRow.task_id == Task.id, FindingRow.code == "sender.unverified"))
    return {key: session.scalar(stmt) or 0 for key, stmt in
            ((HELD, held), (PROPOSAL, proposed), (REMINDED, reminded), (UNTRUSTED, untrusted))}


@dataclass(frozen=True)
class Held:
    reply_id: int
    kind: str


def flags(session: Session, tasks: Iterable[tuple[int, str, object, object]]) -> dict[int, list[str]]:
    """For (id, state, reminder_sent_at, review_id) of the cases on a page: what waits on each, in LABELS order."""
    rows = list(tasks)
    out: dict[int, list[str]] = {r[0]: [] for r in rows}
    open_ids = [r[0] for r in rows if r[1] in PENDING]
    undecided = [r[0] for r in rows if r[1] in UNDECIDED]
    held: set[int] = set()
    proposed: set[int] = set()
    untrusted: set[int] = set()
    if open_ids:
        held = set(session.scalars(select(Reply.task_id).where(Reply.task_id.in_(open_ids), Reply.state == "draft")))
    if undecided:
        proposed = set(session.scalars(select(ProposedChange.task_id).where(
            ProposedChange.task_id.in_(undecided), ProposedChange.state == PROPOSED)))
        reviewed = [r[0] for r in rows if r[0] in set(undecided) and r[3] is not None]
        if reviewed:
            untrusted = set(session.scalars(select(FindingRow.task_id).where(
                FindingRow.task_id.in_(reviewed), FindingRow.code == "sender.unverified")))
    for task_id, state, reminded, _review in rows:
        if task_id in held:
            out[task_id].append(HELD)
        if task_id in proposed:
            out[task_id].append(PROPOSAL)
        if state == NEEDS_INFO and reminded is not None:
            out[task_id].append(REMINDED)
        if task_id in untrusted:
            out[task_id].append(UNTRUSTED)
    return out


def held_replies(session: Session, task_ids: Iterable[int]) -> dict[int, Held]:
    """The oldest held draft of each case (what "Send" in the row or bar releases)."""
    out: dict[int, Held] = {}
    ids = list(task_ids)
    if not ids:
        return out
    for reply_id, task_id, kind in session.execute(select(Reply.id, Reply.task_id, Reply.kind).where(
            Reply.task_id.in_(ids), Reply.state == "draft").order_by(Reply.id)):
        if task_id is not None:
            out.setdefault(task_id, Held(reply_id, kind))
    return out
