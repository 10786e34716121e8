"""What waits on a case without anyone seeing it: a reply held as a draft, a proposal from an answer, a
request for information left unanswered past its reminder, a review answer from a sender nobody could
verify. Each is a condition on the task (for the queue's filter and its count) and a flag per case (for
the queue's rows and the case's decision bar).

Only open cases count: a decided case waits for nobody.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import AccessReview, FindingRow, ProposedChange, Reply, Task
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


def _open(session: Session, ids: set[int], states: tuple[str, ...]) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(Task.id).where(Task.id.in_(sorted(ids)), Task.state.in_(states))))


def case_ids(session: Session, key: str) -> set[int] | None:
    """The open cases where `key` waits (None: not a filter). Each is asked from its small side, which
    an index holds (drafts by the reply's state, proposals, reminded cases in a partial index, the cases
    a review raised), never by reading every open case: without statistics SQLite would start from the
    state index and read thousands."""
    if key == HELD:
        drafts = set(session.scalars(select(Reply.task_id).where(Reply.state == "draft", Reply.task_id.is_not(None))))
        return _open(session, {i for i in drafts if i is not None}, _OPEN)
    if key == PROPOSAL:
        return _open(session, set(session.scalars(select(ProposedChange.task_id).where(
            ProposedChange.state == PROPOSED))), _UNDECIDED)
    if key == REMINDED:
        return {i for i, state in session.execute(select(Task.id, Task.state).where(
            Task.reminder_sent_at.is_not(None))) if state == NEEDS_INFO}
    if key == UNTRUSTED:
        reviews = list(session.scalars(select(AccessReview.id)))
        if not reviews:
            return set()
        raised = {i for i, state in session.execute(select(Task.id, Task.state).where(Task.review_id.in_(reviews)))
                  if state in UNDECIDED}
        if not raised:
            return set()
        return set(session.scalars(select(FindingRow.task_id).where(
            FindingRow.task_id.in_(sorted(raised)), FindingRow.code == "sender.unverified")))
    return None


def condition(session: Session, key: str) -> ColumnElement[bool] | None:
    """The filter `key` as a condition on Task (None: not a filter)."""
    ids = case_ids(session, key)
    return None if ids is None else Task.id.in_(sorted(ids))


def counts(session: Session) -> dict[str, int]:
    """Open cases per kind of waiting."""
    return {key: len(case_ids(session, key) or ()) for key in LABELS}


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
