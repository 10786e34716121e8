"""Who a sender writes for: the driftsoperatør behind an e-mail address, and the domains that
driftsoperatør is known by in the registry.

    operator_of(session, sender) -> RegistryOperator | None
    known_domains(session, sender, verified) -> tuple[str, ...]
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import RegistryCentre, RegistryOperator, RegistryUser, RegistryUserRole
from pipeline.core.domain import ROLE, USER_ACTIVE
from pipeline.registry.lookup import OperatorInfo, RegistryIndex


def operator_of(session: Session, sender: str) -> RegistryOperator | None:
    """The driftsoperatør a sender writes for: by its e-mail domain, or the address being the operator's
    or one of its administrators' (one operator only, else None)."""
    if not sender or "@" not in sender:
        return None
    ops = list(session.scalars(select(RegistryOperator)))
    index = RegistryIndex([], [OperatorInfo(o.operator_id, o.name, o.orgnr, o.email_domain, o.email) for o in ops])
    found = index.operators_by_domain(sender.rpartition("@")[2])
    ids = {o.operator_id for o in found}
    if not ids:
        ids = {o.operator_id for o in ops if (o.email or "").lower() == sender}
    if not ids:
        ids = set(session.scalars(
            select(RegistryCentre.operator_id).join(RegistryUserRole, RegistryUserRole.mottaksnummer
                                                    == RegistryCentre.mottaksnummer)
            .join(RegistryUser, RegistryUser.user_id == RegistryUserRole.user_id)
            .where(RegistryUser.email == sender, RegistryUser.status == USER_ACTIVE, RegistryUserRole.role == ROLE)))
    return session.get(RegistryOperator, ids.pop()) if len(ids) == 1 else None


def known_domains(session: Session, sender: str | None, verified: bool) -> tuple[str, ...]:
    """The domains the verified sender's driftsoperatør is known by: the sender's own, the operator's
    registered domain and address, and its active administrators' addresses. OCR rebuilds a misread
    address towards these (and marks it unsure). Nothing for an unverified sender: a stranger's form must
    not be bent towards what the registry holds."""
    if not verified or not sender or "@" not in sender:
        return ()
    sender = sender.lower()
    domains = [sender.rpartition("@")[2]]
    operator = operator_of(session, sender)
    if operator is not None:
        domains += [operator.email_domain or "", (operator.email or "").rpartition("@")[2]]
        domains += [email.rpartition("@")[2] for email in session.scalars(
            select(RegistryUser.email).distinct()
            .join(RegistryUserRole, RegistryUserRole.user_id == RegistryUser.user_id)
            .join(RegistryCentre, RegistryCentre.mottaksnummer == RegistryUserRole.mottaksnummer)
            .where(RegistryCentre.operator_id == operator.operator_id, RegistryUser.status == USER_ACTIVE,
                   RegistryUserRole.role == ROLE)) if email]
    return tuple(dict.fromkeys(d.lower() for d in domains if d and "." in d))
