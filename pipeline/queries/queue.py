"""The queue: counts per state, and one page of cases filtered by state, owner and a search.

A search finds each word (of three letters or more; a shorter one at the start of a word) anywhere in
a case's folded search text (pipeline.core.search: case reference,
names, e-mail, mobile, centres as written and as resolved with their numbers, the driftsoperatør,
sender and subject), whatever the spelling of æ, ø and å. Several words must all be found.

How, on SQLite and PostgreSQL alike: the trigram postings (task_gram) name the cases that may
contain a word. For the word's rarest trigram, counted up to `_IN_LIST_MAX`, those few cases are
checked against the whole text and passed on as a list of ids. A word whose every trigram is common
("asylmottak", a shared sender) matches so many cases that reading the cases in queue order and
checking each one's text finds a page at once; that is what the database is asked then (and for words
shorter than a trigram).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, any_, bindparam, exists, func, select, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, defer

from pipeline.adapters.db.models import (
    CaseCounter,
    FindingRow,
    Message,
    Task,
    TaskCentre,
    TaskGram,
    TaskSearch,
)
from pipeline.core import policy
from pipeline.core.domain import PENDING, REVIEW, TASK_STATES
from pipeline.core.search import PREFIX, fold, phone_forms, terms, word_grams
from pipeline.queries import approval
from pipeline.queries import waiting as waiting_on
from pipeline.queries.view_rows import CentreView, TaskView, centre_view, task_view

OPEN_STATES: tuple[str, ...] = tuple(s for s in TASK_STATES if s in PENDING)
STATES = TASK_STATES
STATE_FILTERS: dict[str, tuple[str, ...] | None] = {"apne": OPEN_STATES, **{s: (s,) for s in STATES},
                                                    "alle": None}
# Up to this many cases with a word's rarest trigram, their ids are checked here and passed as a list (a
# longer literal list costs PostgreSQL more than a subquery); up to _POSTINGS_MAX the database reads the
# trigram's postings; beyond that the word is common and the cases are checked in queue order.
_FEW = 200
_IN_LIST_MAX = 2000
_POSTINGS_MAX = 20000


@dataclass(frozen=True)
class QueueQuery:
    state: str = "apne"
    q: str = ""
    newest_first: bool = False
    page: int = 1
    owner: str | None = None  # only the cases this operator has taken
    unowned: bool = False  # only the cases nobody has taken
    waiting: str | None = None  # only the open cases where this waits unseen (pipeline.queries.waiting)


def clean_query(text: str | None, limit: int = 200) -> str:
    """A search box's text without control characters (PostgreSQL refuses NUL in text) or lone surrogates."""
    text = "".join(ch for ch in (text or "") if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)
    return " ".join(text.split())[:limit]


def _has(term: str) -> ColumnElement[bool]:
    """The case's text holds the word (a two-letter word: a word of the text starts with it)."""
    if len(term) == 2:
        return TaskSearch.task_id.in_(select(TaskGram.task_id).where(TaskGram.gram == PREFIX + term))
    return TaskSearch.text.contains(term, autoescape=True)


# How many cases hold a trigram only chooses how a search is answered, never what it finds, so a count
# may be a little old: kept a minute per process, a case walked in a searched view costs no recount.
_COUNTS: dict[tuple[str, int], tuple[float, int]] = {}
_COUNTS_SECONDS = 60.0
_COUNTS_MAX = 5000


def _postings(session: Session, gram: str, bound: int) -> int:
    """How many cases hold this trigram, counted up to `bound` (a bounded range scan of the index)."""
    now = time.monotonic()
    cached = _COUNTS.get((gram, bound))
    if cached is not None and now - cached[0] < _COUNTS_SECONDS:
        return cached[1]
    counted = select(TaskGram.task_id).where(TaskGram.gram == gram).limit(bound).subquery()
    n = session.scalar(select(func.count()).select_from(counted)) or 0
    if len(_COUNTS) >= _COUNTS_MAX:
        _COUNTS.clear()
    _COUNTS[(gram, bound)] = (now, n)
    return n


@dataclass(frozen=True)
class _Plan:
    """How a search is answered: `ids` (a few cases, checked here and passed as a list), `gram` (a
    trigram whose postings the database reads, checking each case's text), or neither (every trigram
    is common: the database checks the text of the cases in queue order and stops at a page)."""

    sqlite: bool
    words: tuple[str, ...]
    ids: set[int] | None = None
    gram: str | None = None
    waiting: set[int] | None = None  # only these cases (a waiting filter: pipeline.queries.waiting)


# A case number as people write it: 24, 0024, 2026-0024 (a year, then the number with or without zeros).
_CASE_NUMBER = re.compile(r"^(?:(\d{4})-)?0*(\d{1,6})$")


def case_refs(session: Session, text: str) -> list[str]:
    """The case references a search for a case number means: the number in every year the counter has
    (a handful), or in the year written. Empty when the text is not a case number."""
    match = _CASE_NUMBER.match(text.strip())
    if not match or int(match.group(2)) == 0:
        return []
    year, number = match.group(1), int(match.group(2))
    years = [int(year)] if year else list(session.scalars(select(CaseCounter.year)))
    return [f"{y}-{number:04d}" for y in years]


def _plan(session: Session, query: QueueQuery) -> _Plan:
    plan = _with_refs(session, query, _text_plan(session, query))
    return replace(plan, waiting=waiting_on.case_ids(session, query.waiting)) if query.waiting else plan


def _with_refs(session: Session, query: QueueQuery, plan: _Plan) -> _Plan:
    refs = case_refs(session, query.q)
    if not refs:
        return plan
    # A case number finds its case (by the unique index) besides what its digits find in the texts.
    found = set(session.scalars(select(Task.id).where(Task.case_ref.in_(refs))))
    if plan.ids is not None:
        return replace(plan, ids=plan.ids | found)
    return replace(plan, ids=found) if found else plan


def _text_plan(session: Session, query: QueueQuery) -> _Plan:
    sqlite = session.get_bind().dialect.name == "sqlite"
    words = tuple(terms(query.q))
    candidates = [g for w in words for g in word_grams(w)]
    if not candidates:
        return _Plan(sqlite, words)
    # Rarest first, in widening passes: most searches end in the first, which reads at most a few
    # hundred index entries per trigram.
    counted: dict[str, int] = {}
    for bound, limit in ((_FEW, len(candidates)), (_IN_LIST_MAX, 6)):
        for gram in sorted(candidates, key=lambda g: counted.get(g, 0))[:limit]:
            n = counted[gram] = _postings(session, gram, bound + 1)
            if n <= bound:
                # (Read even when counted empty: the count may be a minute old.)
                return _Plan(sqlite, words, ids=_checked(session, gram, words))
    # No rare trigram: the one held by the fewest cases, if few enough to be worth reading.
    spread = [g for w in words for g in word_grams(w)[:4]]  # a few of each word's, likely rarest first
    n, gram = min((_postings(session, g, _POSTINGS_MAX + 1), g) for g in spread)
    return _Plan(sqlite, words, gram=gram if n <= _POSTINGS_MAX else None)


def _among(column: Any, ids: Iterable[int], sqlite: bool) -> ColumnElement[bool]:
    """column is one of these ids. PostgreSQL gets one array parameter: planning a statement with
    thousands of separate parameters cost it more than running it."""
    ordered = sorted(ids)
    if sqlite:
        return column.in_(ordered)  # type: ignore[no-any-return]
    return column == any_(bindparam("ids", ordered, type_=postgresql.ARRAY(Integer), unique=True))  # type: ignore[no-any-return]


def _checked(session: Session, gram: str, words: tuple[str, ...]) -> set[int]:
    """The cases in this trigram's postings whose text holds every word. The postings are read first and
    passed as a list: given a subquery, PostgreSQL guesses the text match rare and scans every text."""
    postings = list(session.scalars(select(TaskGram.task_id).where(TaskGram.gram == gram)))
    if not postings:
        return set()
    sqlite = session.get_bind().dialect.name == "sqlite"
    return set(session.scalars(select(TaskSearch.task_id).where(_among(TaskSearch.task_id, postings, sqlite),
                                                               *[_has(w) for w in words])))


def _where(stmt: Select, query: QueueQuery, plan: _Plan) -> Select:  # type: ignore[type-arg]
    states = STATE_FILTERS.get(query.state, OPEN_STATES)
    if states is None and plan.words and plan.sqlite and plan.ids is None and plan.gram is None:
        # Checking the text of all cases in queue order: still name the states, so that SQLite walks the
        # (state, created_at) index instead of reading thousands of wide task rows. (PostgreSQL plans
        # better without, and so does SQLite when it starts from the postings.)
        states = tuple(STATES)
    if states is not None:
        stmt = stmt.where(Task.state.in_(states))
    if query.owner is not None:
        stmt = stmt.where(Task.owner == query.owner)
    elif query.unowned:
        stmt = stmt.where(Task.owner.is_(None))
    if plan.waiting is not None:
        stmt = stmt.where(_among(Task.id, plan.waiting, plan.sqlite))
    if not plan.words:
        return stmt
    if plan.ids is not None:
        return stmt.where(_among(Task.id, plan.ids, plan.sqlite))
    if plan.gram is not None:
        stmt = stmt.where(Task.id.in_(select(TaskGram.task_id).where(TaskGram.gram == plan.gram)))
    return stmt.where(exists().where(TaskSearch.task_id == Task.id, *[_has(w) for w in plan.words]))


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Task.state, func.count()).group_by(Task.state)).all()
    return {state: n for state, n in rows}


def _order(query: QueueQuery) -> tuple[Any, ...]:
    return (Task.created_at.desc(), Task.id.desc()) if query.newest_first else (Task.created_at, Task.id)


def _page(session: Session, query: QueueQuery, page_size: int, max_count: int = 10_001) -> tuple[list[Task], int]:
    """One page of tasks (oldest first by default) and the number of matches, counted up to max_count."""
    plan = _plan(session, query)
    if (plan.ids is not None and not plan.ids) or (plan.waiting is not None and not plan.waiting):
        return [], 0
    counted = _where(select(Task.id), query, plan).limit(max_count).subquery()
    total = session.scalar(select(func.count()).select_from(counted)) or 0
    # Ids first (the indexes on created_at cover this), then the rows of just this page.
    ids = list(session.scalars(_where(select(Task.id), query, plan).order_by(*_order(query))
                               .limit(page_size).offset((query.page - 1) * page_size)))
    if not ids:
        return [], total
    # The list never needs the stored reading (JSON, several kB per task).
    rows = {t.id: t for t in session.scalars(select(Task).options(defer(Task.reading)).where(Task.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows], total


def neighbours(session: Session, query: QueueQuery, task_id: int) -> tuple[int | None, int | None]:
    """The cases before and after this one in the view's order (the case need not be in the view any
    more: after a decision, 'next' is the next one after where it stood)."""
    here = session.execute(select(Task.created_at, Task.id).where(Task.id == task_id)).first()
    if here is None:
        return None, None
    plan = _plan(session, replace(query, page=1))
    if (plan.ids is not None and not plan.ids) or (plan.waiting is not None and not plan.waiting):
        return None, None
    # Row values, so that both databases read the (created_at, id) index from this case on.
    position = tuple_(Task.created_at, Task.id)
    later, earlier = position > tuple_(*here), position < tuple_(*here)
    after, before = (earlier, later) if query.newest_first else (later, earlier)
    order = _order(query)
    reverse = (Task.created_at, Task.id) if query.newest_first else (Task.created_at.desc(), Task.id.desc())
    nxt = session.scalar(_where(select(Task.id), query, plan).where(after).order_by(*order).limit(1))
    prev = session.scalar(_where(select(Task.id), query, plan).where(before).order_by(*reverse).limit(1))
    return prev, nxt


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
    received: dict[int, datetime | None]  # case id -> when its mail was received
    waiting: dict[int, list[str]] = field(default_factory=dict)  # case id -> what waits on it unseen
    held: dict[int, waiting_on.Held] = field(default_factory=dict)  # case id -> its held reply
    matched: dict[int, list[str]] = field(default_factory=dict)  # case id -> where the search found it
    bulk: frozenset[int] = frozenset()  # the cases bulk approval may take for the operator looking

    def clean(self, task: TaskView) -> bool:
        """May be approved in bulk (pipeline.core.policy.bulk_may_take): waiting for review, no finding,
        a verified sender, no pending proposal, unowned or the operator's own. The service asks again."""
        return task.id in self.bulk


def queue_page(session: Session, query: QueueQuery, page_size: int, max_count: int = 10_001,
               actor: str | None = None) -> QueuePage:
    tasks, total = _page(session, query, page_size, max_count)
    ids = [t.id for t in tasks]
    errors: dict[int, int] = {}
    warnings: dict[int, int] = {}
    received: dict[int, datetime | None] = {}
    if ids:
        rows = session.execute(select(FindingRow.task_id, FindingRow.severity, func.count()).where(
            FindingRow.task_id.in_(ids)).group_by(FindingRow.task_id, FindingRow.severity))
        for task_id, severity, n in rows:
            (errors if severity == "error" else warnings)[task_id] = n
        # Age is counted from when the mail came in, not from when the pipeline read it.
        by_message = dict(session.execute(select(Message.id, Message.received_at).where(
            Message.id.in_({t.message_pk for t in tasks if t.message_pk}))).all())
        received = {t.id: (by_message.get(t.message_pk) if t.message_pk else None) or t.created_at for t in tasks}
    views = [task_view(t, with_reading=False, centres=[], findings=[]) for t in tasks]
    reviewing = [t for t in tasks if t.state == REVIEW]
    bulk = frozenset(i for i, f in approval.facts_for(session, reviewing, for_bulk=True).items()
                     if policy.bulk_may_take(f, actor))
    flags = waiting_on.flags(session, ((t.id, t.state, t.reminder_sent_at, t.review_id) for t in tasks))
    held = waiting_on.held_replies(session, [i for i, f in flags.items() if waiting_on.HELD in f])
    centres = centres_for(session, ids)
    return QueuePage(views, centres, errors, warnings, total, counts(session), received, flags, held,
                     matched_in(session, query, views, centres), bulk)


@dataclass(frozen=True)
class Pulse:
    """What the queue page polls for: counts per state, the newest case, and the caller's own cases."""

    counts: dict[str, int]
    newest_id: int
    mine: int


def pulse(session: Session, operator: str | None, known: dict[str, int] | None = None) -> Pulse:
    """`known`: the counts per state when the caller has them already."""
    newest = session.scalar(select(func.max(Task.id))) or 0
    mine = 0
    if operator:
        mine = session.scalar(select(func.count()).select_from(Task).where(
            Task.owner == operator, Task.state.in_(OPEN_STATES))) or 0
    return Pulse(known if known is not None else counts(session), int(newest), int(mine))


def matched_in(session: Session, query: QueueQuery, tasks: list[TaskView],
               centres: dict[int, list[CentreView]]) -> dict[int, list[str]]:
    """Where a search found each case on the page, in the operator's words ("Saksnummer", "E-post", ...)."""
    words = terms(query.q)
    if not words or not tasks:
        return {}
    refs = set(case_refs(session, query.q))
    subjects = dict(session.execute(select(Message.id, Message.subject).where(
        Message.id.in_({t.message_pk for t in tasks if t.message_pk}))).all())
    out: dict[int, list[str]] = {}
    for t in tasks:
        places: dict[str, list[Any]] = {
            "Saksnummer": [t.case_ref], "Navn": [t.first_name, t.last_name], "E-post": [t.email],
            "Mobil": list(phone_forms(t.mobile)),
            "Mottak": [v for c in centres.get(t.id, []) for v in (c.written, c.mottaksnummer, c.name)],
            "Driftsoperatør": [(t.operator or {}).get("organisation")], "Avsender": [t.sender],
            "Emne": [subjects.get(t.message_pk) if t.message_pk else None]}
        folded = {label: [fold(v) for v in values if v] for label, values in places.items()}
        found = [label for label, values in folded.items()
                 if any(w in v for w in words for v in values)]
        if t.case_ref in refs and "Saksnummer" not in found:
            found.insert(0, "Saksnummer")
        out[t.id] = found
    return out
