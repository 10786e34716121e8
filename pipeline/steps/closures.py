"""A centre that closes in the registry ends its administrators' roles there: removal cases raised inside
the import's unit of work."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import RegistryUser, RegistryUserRole
from pipeline.core.domain import ORIGIN_CENTRE_CLOSED, ROLE, USER_ACTIVE
from pipeline.registry.report import ImportReport
from pipeline.steps import removals


def raise_closure_removals(session: Session, report: ImportReport, *, actor: str) -> None:
    """One removal task per administrator of each centre the import closed, for that centre only."""
    centres = report.file("centres")
    for centre in centres.closed if centres else []:
        admins = session.scalars(
            select(RegistryUser.user_id).join(RegistryUserRole, RegistryUserRole.user_id == RegistryUser.user_id)
            .where(RegistryUserRole.mottaksnummer == centre["mottaksnummer"], RegistryUserRole.role == ROLE,
                   RegistryUser.status == USER_ACTIVE).order_by(RegistryUser.user_id)).all()
        for user_id in admins:
            opened = removals.open_removal(
                session, user_id=user_id, centres=[centre["mottaksnummer"]], origin=ORIGIN_CENTRE_CLOSED,
                reason=f"{centre['name']} ({centre['mottaksnummer']}) er lagt ned (active=false i importen).",
                actor=actor, details={"import": True})
            report.removal_tasks.append({
                "task_id": opened.task.id, "case_ref": opened.task.case_ref, "user_id": user_id,
                "name": f"{opened.task.first_name} {opened.task.last_name}", "mottaksnummer": centre["mottaksnummer"],
                "centre": centre["name"], "new": opened.new})
