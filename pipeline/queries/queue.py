"""The queue: counts per state, and one page of cases filtered by state and a search.

Search terms match the start of a word-like value (prefix), so that each condition can use an
index range instead of scanning every task: mobile numbers (normalised to E.164), e-mail
addresses, the applicant's first or last name, and centres (mottaksnummer, the name as written
or as resolved). Several words must all match (each in any of those fields).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, func, or_, select, union
from sqlalchemy.orm import Session, defer

from pipeline.db.models import FindingRow, Task, TaskCentre
from pipeline.domain import PENDING, TASK_STATES
from pipeline.queries.rows import CentreView, TaskView, centre_view, task_view

OPEN_STATES: tuple[str, ...] = tuple(s for s in TASK_STATES if s in PENDING)
STATES = TASK_STATES
STATE_FILTERS: dict[str, tuple[str, ...] | None] = {"apne": OPEN_STATES, **{s: (s,) for s in STATES},
                                                    "alle": None}
_DIGITS = re.compile(r"^\+?[\d ]{3,}$")


@dataclass(frozen=True)
class QueueQuery:
    state: str = "apne"
    q: str = ""
    newest_first: bool = False
    page: int = 1


def clean_query(text: str | None, limit: int = 200) -> str:
    """A search box's text without control characters (PostgreSQL refuses NUL in text) or lone surrogates."""
    text = "".join(ch for ch in (text or "") if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)
    return " ".join(text.split())[:limit]


def _prefix(column: Any, text: str) -> ColumnElement[bool]:
    """column starts with text, as a range [text, text with its last character + 1) that a B-tree serves."""
    last = ord(text[-1]) + 1
    if last > 0x10FFFF:
        return column >= text  # type: ignore[no-any-return]
    if 0xD800 <= last <= 0xDFFF:
        last = 0xE000  # surrogates cannot be encoded; the next encodable character bounds the range alike
    return and_(column >= text, column < text[:-1] + chr(last))


def _case_variants(term: str) -> set[str]:
    # Names are stored as written ("Kari", "Ødegård"); SQLite's lower() folds only ASCII, so we look up the
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


def _term_ids(term: str) -> CompoundSelect[Any]:
    """Ids of the tasks one search term matches: a UNION of index range scans, one per column and spelling."""
    parts: list[Select] = [select(Task.id).where(Task.case_ref == term)]  # type: ignore[type-arg]
    if _DIGITS.match(term):
        parts += [select(Task.id).where(_prefix(Task.mobile, v)) for v in _mobile_variants(term)]
        digits = term.replace(" ", "").lstrip("+")
        if len(digits) <= 4:
            parts.append(select(TaskCentre.task_id).where(_prefix(TaskCentre.mottaksnummer, digits)))
    elif "@" in term or "." in term:
        parts += [select(Task.id).where(_prefix(Task.email, v)) for v in {term, term.lower()}]
    if not _DIGITS.match(term):
        for v in _case_variants(term):
            parts += [select(Task.id).where(_prefix(Task.first_name, v)),
                      select(Task.id).where(_prefix(Task.last_name, v)),
                      select(TaskCentre.task_id).where(_prefix(TaskCentre.name, v)),
                      select(TaskCentre.task_id).where(_prefix(TaskCentre.written, v))]
    return union(*parts)


def _phrase_ids(phrase: str) -> CompoundSelect[Any]:
    # A centre's name is several words ("Dale asylmottak"): the whole phrase may start it.
    return union(*[select(TaskCentre.task_id).where(_prefix(col, v))
                   for v in _case_variants(phrase) for col in (TaskCentre.name, TaskCentre.written)])


# Several words: each word's ids come from its own index range scans and are intersected here. Handing
# the database the AND of IN-subqueries instead made SQLite probe every task in the state index against
# each set (2-3x slower with 50,000 tasks; PostgreSQL 1.5-2x). Past a couple of thousand hits a literal
# list costs PostgreSQL more than the subqueries (4,500 ids: 130 ms against 40), so those go as before.
_IN_LIST_MAX = 2000


def _words_ids(session: Session, phrase: str) -> set[int] | None:
    """Ids of the tasks matching every word (or the whole phrase as the start of a centre name);
    None when there are too many to pass as a list."""
    found: set[int] | None = None
    # Longest word first: usually the most selective, and an empty intersection ends the search early.
    for term in sorted(set(phrase.split()[:5]), key=len, reverse=True):
        ids = set(session.scalars(_term_ids(term)))
        found = ids if found is None else found & ids
        if not found:
            break
    found = (found or set()) | set(session.scalars(_phrase_ids(phrase)))
    return found if len(found) <= _IN_LIST_MAX else None


def _filtered(stmt: Select, query: QueueQuery, *, sqlite: bool = False,  # type: ignore[type-arg]
              ids: set[int] | None = None) -> Select:  # type: ignore[type-arg]
    states = STATE_FILTERS.get(query.state, OPEN_STATES)
    phrase = " ".join(query.q.split())[:100]
    if states is None and phrase and sqlite:
        # Searching all states: still name them, so that SQLite answers from the (state, created_at)
        # index alone (count, order, page) instead of reading thousands of wide task rows.
        # (PostgreSQL plans better without: it would scan the table for the long IN list.)
        states = tuple(STATES)
    if states is not None:
        stmt = stmt.where(Task.state.in_(states))
    if not phrase:
        return stmt
    if ids is not None:
        return stmt.where(Task.id.in_(sorted(ids)))
    if _DIGITS.match(phrase):  # "912 34 567" is one phone number, not three words
        return stmt.where(Task.id.in_(_term_ids(phrase)))
    terms = phrase.split()[:5]
    # Each term: one flat UNION of index range scans (SQLite cannot nest compound selects).
    cond = and_(*[Task.id.in_(_term_ids(t)) for t in terms])
    if len(terms) > 1:
        cond = or_(cond, Task.id.in_(_phrase_ids(phrase)))
    return stmt.where(cond)


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Task.state, func.count()).group_by(Task.state)).all()
    return {state: n for state, n in rows}


def _page(session: Session, query: QueueQuery, page_size: int, max_count: int = 10_001) -> tuple[list[Task], int]:
    """One page of tasks (oldest first by default) and the number of matches, counted up to max_count."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    phrase = " ".join(query.q.split())[:100]
    ids_found = _words_ids(session, phrase) if len(phrase.split()) > 1 and not _DIGITS.match(phrase) else None
    if ids_found is not None and not ids_found:
        return [], 0
    counted = _filtered(select(Task.id), query, sqlite=sqlite, ids=ids_found).limit(max_count).subquery()
    total = session.scalar(select(func.count()).select_from(counted)) or 0
    order = (Task.created_at.desc(), Task.id.desc()) if query.newest_first else (Task.created_at, Task.id)
    # Ids first (the indexes on created_at cover this), then the rows of just this page.
    ids = list(session.scalars(_filtered(select(Task.id), query, sqlite=sqlite, ids=ids_found).order_by(*order)
                               .limit(page_size).offset((query.page - 1) * page_size)))
    if not ids:
        return [], total
    # The list never needs the stored reading (JSON, several kB per task).
    rows = {t.id: t for t in session.scalars(select(Task).options(defer(Task.reading)).where(Task.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows], total


def centres_for(session: Session, task_ids: list[int]) -> dict[int, list[CentreView]]:
    out: dict[int, list[CentreView]] = {i: [] for i in task_ids}
    if task_ids:
        stmt = select(TaskCentre).where(TaskCentre.task_id.in_(task_ids)).order_by(TaskCentre.position)
        for c in session.scalars(stmt):
            out[c.task_id].append(centre_view(c))
    return out


@dataclass(frozen=True)
class QueuePage:
    tasks: list[TaskView]
    centres: dict[int, list[CentreView]]
    errors: dict[int, int]  # case id -> blocking findings
    warnings: dict[int, int]  # case id -> findings that ask for a look (admin limit, another operator, ...)
    total: int  # matches, counted up to the cap
    counts: dict[str, int]  # cases per state, all of them


def queue_page(session: Session, query: QueueQuery, page_size: int, max_count: int = 10_001) -> QueuePage:
    tasks, total = _page(session, query, page_size, max_count)
    ids = [t.id for t in tasks]
    errors: dict[int, int] = {}
    warnings: dict[int, int] = {}
    if ids:
        rows = session.execute(select(FindingRow.task_id, FindingRow.severity, func.count()).where(
            FindingRow.task_id.in_(ids)).group_by(FindingRow.task_id, FindingRow.severity))
        for task_id, severity, n in rows:
            (errors if severity == "error" else warnings)[task_id] = n
    views = [task_view(t, with_reading=False, centres=[], findings=[]) for t in tasks]
    return QueuePage(views, centres_for(session, ids), errors, warnings, total, counts(session))
