"""Starting an access review campaign: one review per driftsoperatør that has administrators, each in one
unit of work with its mail drafted (the steps of a review are in pipeline.steps.reviews)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import (
    AccessCampaign,
    AccessReview,
    RegistryOperator,
)
from pipeline.adapters.db.session import unit_of_work
from pipeline.core.clock import now_utc
from pipeline.core.domain import (
    REVIEW_WAITING,
)
from pipeline.errors import PipelineError
from pipeline.settings import Settings
from pipeline.steps import reviews
from pipeline.steps.replies import refused_because
from pipeline.steps.reviews import (
    _send,
    listing_of,
)


@dataclass
class Started:
    campaign_id: int | None = None
    reviews: list[dict[str, Any]] = field(default_factory=list)  # {"id", "ref", "operator_id", "to", "admins"}
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"operator_id", "reason"}


def start(session_factory: sessionmaker[Session], *, operators: Sequence[str] = (), all_operators: bool = False,
          due_days: int | None = None, actor: str = audit.SYSTEM, settings: Settings,
          now: datetime | None = None) -> Started:
    """A campaign: one review per driftsoperatør asked for (or all) that has administrators and no review
    still waiting for an answer. The mails are queued for the next send."""
    wanted = [o.strip().upper() for o in operators if o.strip()]
    if not wanted and not all_operators:
        raise PipelineError("name the driftsoperatører (--operator DRO1032 ...) or give --all", code="review.usage",
                            message_no="Velg driftsoperatører, eller alle.")
    days = due_days if due_days is not None else settings.review_due_working_days
    if days < 1:
        raise PipelineError("--due-days must be at least 1", code="review.usage",
                            message_no="Svarfristen må være minst én arbeidsdag.")
    now = now or now_utc()
    out = Started()
    with unit_of_work(session_factory) as session:
        known = {o.operator_id: o for o in session.scalars(select(RegistryOperator).order_by(RegistryOperator.operator_id))}
        for operator_id in wanted:
            if operator_id not in known:
                out.skipped.append({"operator_id": operator_id, "reason": "no such driftsoperatør in the registry"})
        chosen = [known[o] for o in (known if all_operators else dict.fromkeys(wanted)) if o in known]
        waiting = dict(session.execute(select(AccessReview.operator_id, AccessReview.ref)
                                       .where(AccessReview.state.in_(REVIEW_WAITING))).all())
        campaign: AccessCampaign | None = None
        for operator in chosen:
            listing = listing_of(session, operator.operator_id)
            why = ("no administrators" if not listing
                   else f"review {waiting[operator.operator_id]} still waits for an answer"
                   if operator.operator_id in waiting
                   else "no e-mail address in the registry" if not operator.email
                   else refused_because(operator.email, None))
            if why:
                out.skipped.append({"operator_id": operator.operator_id, "reason": why})
                continue
            if campaign is None:
                campaign = AccessCampaign(started_at=now, started_by=actor, due_days=days)
                session.add(campaign)
                session.flush()
                out.campaign_id = campaign.id
            review = _send(session, campaign, operator, listing, now=now, due_days=days, actor=actor,
                           settings=settings)
            out.reviews.append({"id": review.id, "ref": review.ref, "operator_id": review.operator_id,
                                "to": review.to_addr, "admins": sum(len(c["admins"]) for c in listing)})
        if campaign is not None:
            audit.record(session, actor, "review.campaign_started", reviews.ENTITY, None, {
                "campaign": campaign.id, "due_days": days, "reviews": [r["ref"] for r in out.reviews],
                "skipped": out.skipped})
    return out


def remind_overdue(session_factory: sessionmaker[Session], *, settings: Settings) -> int:
    """Access reviews past their due date: one reminder each, and the review is overdue (the worker's cycle)."""
    with unit_of_work(session_factory) as session:
        return reviews.send_due_reminders(session, settings=settings)
