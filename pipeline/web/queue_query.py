"""The queue's SQL: counts per state, and one page of tasks filtered by state and a search.

Search terms match the start of a word-like value (prefix), so that each condition can use an
index range instead of scanning every task: mobile numbers (normalised to E.164), e-mail
addresses, the applicant's first or last name, and centres (mottaksnummer, the name as written
or as resolved). Several words must all match (each in any of those fields).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session, defer

from pipeline.db.models import Task, TaskCentre
from pipeline.web.labels import OPEN_STATES, STATES

STATE_FILTERS: dict[str, tuple[str, ...] | None] = {"apne": OPEN_STATES, **{s: (s,) for s in STATES},
                                                    "alle": None}
_DIGITS = re.compile(r"^\+?[\d ]{3,}$")


@dataclass(frozen=True)
class QueueQuery:
    state: str = "apne"
    q: str = ""
    newest_first: bool = False
    page: int = 1


def _prefix(column: ColumnElement[str] | object, text: str) -> ColumnElement[bool]:
    """column starts with text, as a range (col >= text AND col < text+max) so a B-tree index serves it."""
    return and_(column >= text, column < text + "\U0010ffff")  # type: ignore[operator]


def _case_variants(term: str) -> set[str]:
    # Names are stored as written ("Kari", "Ødegård"); SQLite's lower() folds only ASCII, so we try the
    # usual spellings instead of lower() on the column, which no plain index could serve.
    return {term, term.lower(), term.capitalize(), term.title(), term.upper()}


def _mobile_variants(term: str) -> set[str]:
    digits = term.replace(" ", "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+"):
        return {digits}
    out = {"+47" + digits}
    if len(digits) > 2:
        out.add("+" + digits)
    return out


def _term_condition(term: str) -> ColumnElement[bool]:
    conds: list[ColumnElement[bool]] = []
    centre_conds: list[ColumnElement[bool]] = []
    if _DIGITS.match(term):
        conds += [_prefix(Task.mobile, v) for v in _mobile_variants(term)]
        digits = term.replace(" ", "").lstrip("+")
        if len(digits) <= 4:
            centre_conds.append(_prefix(TaskCentre.mottaksnummer, digits))
        conds.append(Task.case_ref == term.strip())
    elif "@" in term:
        conds += [_prefix(Task.email, v) for v in {term, term.lower()}]
    else:
        for v in _case_variants(term):
            conds += [_prefix(Task.first_name, v), _prefix(Task.last_name, v)]
            centre_conds += [_prefix(TaskCentre.name, v), _prefix(TaskCentre.written, v)]
        if re.match(r"^\d{4}-\d+$", term):
            conds.append(Task.case_ref == term)
    if centre_conds:
        conds.append(exists().where(TaskCentre.task_id == Task.id, or_(*centre_conds)))
    return or_(*conds) if conds else false()


def _filtered(stmt: Select, query: QueueQuery) -> Select:  # type: ignore[type-arg]
    states = STATE_FILTERS.get(query.state, OPEN_STATES)
    if states is not None:
        stmt = stmt.where(Task.state.in_(states))
    # "912 34 567" is one phone number, not three words.
    phrase = " ".join(query.q.split())[:100]
    if not phrase:
        return stmt
    if _DIGITS.match(phrase):
        return stmt.where(_term_condition(phrase))
    terms = phrase.split()[:5]
    cond = and_(*[_term_condition(t) for t in terms])
    if len(terms) > 1:
        # A centre's name is several words ("Askim asylmottak"): the whole phrase may start it.
        whole = [_prefix(col, v) for v in _case_variants(phrase) for col in (TaskCentre.name, TaskCentre.written)]
        cond = or_(cond, exists().where(TaskCentre.task_id == Task.id, or_(*whole)))
    return stmt.where(cond)


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Task.state, func.count()).group_by(Task.state)).all()
    return {state: n for state, n in rows}


def page(session: Session, query: QueueQuery, page_size: int) -> tuple[list[Task], int]:
    """One page of tasks and the number of matches. Oldest first: the id follows creation order."""
    total = session.scalar(_filtered(select(func.count(Task.id)), query)) or 0
    order = (Task.created_at.desc(), Task.id.desc()) if query.newest_first else (Task.created_at, Task.id)
    # The list never needs the stored reading (JSON, several kB per task).
    stmt = (_filtered(select(Task).options(defer(Task.reading)), query).order_by(*order)
            .limit(page_size).offset((query.page - 1) * page_size))
    tasks = list(session.scalars(stmt))
    return tasks, total


def centres_for(session: Session, task_ids: list[int]) -> dict[int, list[TaskCentre]]:
    out: dict[int, list[TaskCentre]] = {i: [] for i in task_ids}
    if task_ids:
        stmt = select(TaskCentre).where(TaskCentre.task_id.in_(task_ids)).order_by(TaskCentre.position)
        for c in session.scalars(stmt):
            out[c.task_id].append(c)
    return out
