"""IMDi support asks that a registry user's Mottaksadministrator role end: one removal case, in one unit of
work (the steps of a removal are in pipeline.steps.removals)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.session import unit_of_work
from pipeline.core.domain import (
    ORIGIN_SUPPORT,
)
from pipeline.errors import IllegalTransition
from pipeline.steps.removals import (
    open_removal,
)


@dataclass(frozen=True)
class Requested:
    id: int
    case_ref: str
    user_id: str
    centres: tuple[tuple[str, str], ...]  # (mottaksnummer, name) where the role ends
    new: bool  # False: a pending removal already covered it (that case is returned)


def request_removal(session_factory: sessionmaker[Session], *, user_id: str, centres: Sequence[str] | None, reason: str,
                    actor: str) -> Requested:
    """IMDi support asks that a user's role end (the CLI's `queue remove`, the registry page's button)."""
    if not (reason or "").strip():
        raise IllegalTransition("a removal needs a reason", message_no="Oppgi hvorfor tilgangen skal fjernes.")
    with unit_of_work(session_factory) as session:
        opened = open_removal(session, user_id=user_id.strip(), centres=centres, origin=ORIGIN_SUPPORT,
                              reason=reason, actor=actor)
        task = opened.task
        return Requested(task.id, task.case_ref, task.user_id or "",
                         tuple((c.mottaksnummer or "", c.name or c.written) for c in task.centres), opened.new)
