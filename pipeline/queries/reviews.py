"""Access reviews as the CLI and the web show them: each review with its answer and the tasks it raised,
and each campaign's progress."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from pipeline.adapters.db.models import AccessCampaign, AccessReview, Message, RegistryOperator, Task
from pipeline.core.clock import aware, in_oslo
from pipeline.core.domain import DONE, PENDING, REMOVAL, REVIEW_STATES, REVIEW_WAITING


@dataclass(frozen=True)
class RaisedTask:
    id: int
    case_ref: str
    state: str
    kind: str
    user_id: str | None
    name: str


@dataclass(frozen=True)
class ReviewRow:
    id: int
    ref: str
    campaign_id: int
    operator_id: str
    operator_name: str
    to_addr: str
    state: str
    sent_at: datetime
    due_at: datetime
    reminder_sent_at: datetime | None
    answered_at: datetime | None
    listing: list[dict[str, Any]]
    answer: dict[str, Any]  # how the last answer was read ({} before one came)
    answer_text: str | None  # the answer's subject, as the operator sees it beside the list
    answer_message_pk: int | None
    tasks: list[RaisedTask] = field(default_factory=list)
    # A listed administrator's removal, pending or done (any removal case, not only this review's).
    removals: dict[str, RaisedTask] = field(default_factory=dict)

    @property
    def removal_task_ids(self) -> list[int]:
        return [t.id for t in self.tasks]

    @property
    def admins(self) -> int:
        return sum(len(c["admins"]) for c in self.listing)

    @property
    def untrusted(self) -> list[dict[str, Any]]:
        """Answers from senders who may not answer the review ("ubekreftet svar"): kept, never acted on."""
        return list(self.answer.get("untrusted") or [])

    @property
    def answer_trusted(self) -> bool | None:
        """Whether the review's answer was trusted: True once the driftsoperatør answered, False while only
        untrusted answers came, None before any answer."""
        if self.answer.get("verdict") is not None:
            return bool(self.answer.get("trusted", self.answer.get("verified")))
        return False if self.untrusted else None

    def to_json(self) -> dict[str, Any]:
        """The `pipeline review list --json` contract, plus what a script may want beside it."""
        def when(value: datetime | None) -> str | None:
            return in_oslo(value).isoformat(timespec="seconds") if value else None

        return {"id": self.id, "ref": self.ref, "operator_id": self.operator_id, "state": self.state,
                "sent_at": when(self.sent_at), "answered_at": when(self.answered_at),
                "removal_task_ids": self.removal_task_ids, "campaign_id": self.campaign_id,
                "operator": self.operator_name, "to": self.to_addr, "due_at": when(self.due_at),
                "reminder_sent_at": when(self.reminder_sent_at), "verdict": self.answer.get("verdict"),
                "named": self.answer.get("named", []), "administrators": self.admins,
                "answer_trusted": self.answer_trusted, "untrusted_answers": len(self.untrusted)}


@dataclass(frozen=True)
class CampaignRow:
    id: int
    started_at: datetime
    started_by: str
    due_days: int
    counts: dict[str, int]  # state → reviews
    untrusted: int = 0  # reviews still waiting that got only an untrusted answer ("ubekreftet svar")

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def answered(self) -> int:
        return self.total - self.counts.get("sent", 0) - self.counts.get("overdue", 0)


def reviews(session: Session, *, state: str | None = None, campaign_id: int | None = None) -> list[ReviewRow]:
    q = select(AccessReview, RegistryOperator.name, Message.subject).outerjoin(
        RegistryOperator, RegistryOperator.operator_id == AccessReview.operator_id).outerjoin(
        Message, Message.id == AccessReview.answer_message_pk).order_by(AccessReview.id)
    if state:
        q = q.where(AccessReview.state == state)
    if campaign_id is not None:
        q = q.where(AccessReview.campaign_id == campaign_id)
    rows = session.execute(q).all()
    raised: dict[int, list[RaisedTask]] = {}
    ids = [r.id for r, _, _ in rows]
    if ids:
        for t in session.scalars(select(Task).where(Task.review_id.in_(ids)).order_by(Task.id)):
            name = " ".join(p for p in (t.first_name, t.last_name) if p) or "–"
            raised.setdefault(t.review_id or 0, []).append(RaisedTask(t.id, t.case_ref, t.state, t.kind, t.user_id, name))
    listed = {str(a.get("user_id")) for r, _, _ in rows for c in (r.listing or []) for a in c.get("admins", [])
              if a.get("user_id")}
    removals = removal_states(session, listed)
    return [ReviewRow(r.id, r.ref, r.campaign_id, r.operator_id, name or r.operator_id, r.to_addr, r.state,
                      aware(r.sent_at), aware(r.due_at), aware(r.reminder_sent_at),  # type: ignore[arg-type]
                      aware(r.answered_at), list(r.listing or []), dict(r.answer or {}), subject,
                      r.answer_message_pk, raised.get(r.id, []), removals)
            for r, name, subject in rows]


def removal_states(session: Session, user_ids: set[str]) -> dict[str, RaisedTask]:
    """Each user's newest removal case that is pending or done (refused and replaced ones do not count)."""
    out: dict[str, RaisedTask] = {}
    if not user_ids:
        return out
    for t in session.scalars(select(Task).options(defer(Task.reading)).where(
            Task.kind == REMOVAL, Task.user_id.in_(sorted(user_ids)),
            Task.state.in_((*sorted(PENDING), DONE))).order_by(Task.id)):
        name = " ".join(p for p in (t.first_name, t.last_name) if p) or "–"
        out[str(t.user_id)] = RaisedTask(t.id, t.case_ref, t.state, t.kind, t.user_id, name)
    return out


def campaigns(session: Session) -> list[CampaignRow]:
    counts: dict[int, Counter[str]] = {}
    untrusted: Counter[int] = Counter()
    for campaign_id, state, answer in session.execute(select(AccessReview.campaign_id, AccessReview.state,
                                                             AccessReview.answer)):
        counts.setdefault(campaign_id, Counter())[state] += 1
        # Counted apart: an untrusted answer leaves the review waiting; it is neither answered nor confirmed.
        if state in REVIEW_WAITING and (answer or {}).get("untrusted"):
            untrusted[campaign_id] += 1
    return [CampaignRow(c.id, aware(c.started_at), c.started_by, c.due_days,  # type: ignore[arg-type]
                        dict(counts.get(c.id, Counter())), untrusted[c.id])
            for c in session.scalars(select(AccessCampaign).order_by(AccessCampaign.id.desc()))]


def answer_texts(session: Session, message_pks: list[int]) -> dict[int, str]:
    """The sender's own words in each answer (quoted mail and signature cut off), by message."""
    from pipeline.adapters.mail.parse import parse_message
    from pipeline.core.removal_text import new_text

    out: dict[int, str] = {}
    if message_pks:
        for pk, raw in session.execute(select(Message.id, Message.raw).where(Message.id.in_(message_pks))):
            out[pk] = new_text(parse_message(raw).body_text)[:3000] if raw else ""
    return out


STATES = REVIEW_STATES
