"""Changes to the registry's users that the pipeline itself makes: a grant carried out enters it, a removal
carried out takes roles off it. Building blocks: each runs in the caller's transaction, so that the task's
state, the registry and the audit trail commit together.

    grant(session, user_id=..., person=..., centres=..., task_id=..., extends=...) -> user id
    remove_roles(session, user_id, centres, ...) -> RolesRemoved     (the user is removed when no role is left)
    mark_removed(session, user, reason=...)                          (an import found the user gone)

Audit entity `registry_user` (the user id); `registry` stays the imports' entity, whose events refresh the
checks' cached centre index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import RegistryUser, RegistryUserRole
from pipeline.core.domain import ROLE, SOURCE_GRANT, USER_ACTIVE, USER_ID_HINT, USER_REMOVED
from pipeline.core.names import same_person
from pipeline.errors import RegistryChangeError
from pipeline.registry.csv_rows import valid_user_id
from pipeline.registry.validate import email_key

ENTITY = "registry_user"
ACTIVE = RegistryUser.status == literal_column(f"'{USER_ACTIVE}'")


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str
    mobile: str  # E.164


@dataclass(frozen=True)
class RolesRemoved:
    user_id: str
    centres: tuple[str, ...]  # the centres whose role was taken off (those it was held at)
    user_removed: bool  # no role was left: the user is now removed


def _now() -> datetime:
    return datetime.now(UTC)


def active_user_by_mobile(session: Session, mobile: str) -> RegistryUser | None:
    return session.scalars(select(RegistryUser).where(ACTIVE, RegistryUser.mobile == mobile)
                           .with_for_update()).first()


def admin_centres(session: Session, user_id: str) -> list[str]:
    """The centres where the user holds Mottaksadministrator."""
    return sorted(session.scalars(select(RegistryUserRole.mottaksnummer).where(
        RegistryUserRole.user_id == user_id, RegistryUserRole.role == ROLE)))


def grant(session: Session, *, user_id: str | None, person: Person, centres: Iterable[str], task_id: int,
          case_ref: str, extends: str | None = None, actor: str = audit.SYSTEM) -> str:
    """Write the granted user: new, extended (centres added, contact details brought up to date) or
    taken back after a removal. The user id: `user_id`, else the user the task extends. Refused when no id
    is known, when the id belongs to another active person, or when the mobile is another active user's."""
    uid = _granted_user_id(user_id, extends, case_ref)
    holder = active_user_by_mobile(session, person.mobile)
    if holder is not None and holder.user_id != uid:
        raise RegistryChangeError(
            f"mobile {person.mobile} belongs to active registry user {holder.user_id} "
            f"({holder.first_name} {holder.last_name})", code="registry.mobile_taken",
            message_no=f"Mobilnummeret tilhører allerede en aktiv bruker i registeret ({holder.user_id}).")
    fields = {"first_name": person.first_name, "last_name": person.last_name, "email": email_key(person.email),
              "mobile": person.mobile}
    user = session.get(RegistryUser, uid, with_for_update=True)
    if user is None:
        session.add(RegistryUser(user_id=uid, status=USER_ACTIVE, source=SOURCE_GRANT, source_task_id=task_id,
                                 added_at=_now(), **fields))
        _flush(session, person.mobile, uid)
        audit.record(session, actor, "registry.user_granted", ENTITY, uid, {"task": task_id, **fields})
    elif user.status != USER_ACTIVE:
        _take_back(session, user, fields, task_id, actor)
    else:
        if uid != extends and not same_person(person.first_name, person.last_name, person.email,
                                              user.first_name, user.last_name, user.email):
            raise RegistryChangeError(
                f"user id {uid} belongs to {user.first_name} {user.last_name}, not to "
                f"{person.first_name} {person.last_name}", code="registry.user_id_taken",
                message_no=f"Bruker-id-en {uid} tilhører en annen person i registeret.")
        _bring_up_to_date(session, user, fields, task_id, actor)
    _add_roles(session, uid, centres, task_id, actor)
    _flush(session, person.mobile, uid)
    return uid


def _granted_user_id(user_id: str | None, extends: str | None, case_ref: str) -> str:
    """The user id a grant writes: the one given, else the user the task extends; never a third."""
    wanted = (user_id or "").strip() or None
    if wanted and extends and wanted != extends:
        raise RegistryChangeError(
            f"task {case_ref} extends registry user {extends}; --user-id {wanted} is another user",
            code="registry.user_id_mismatch",
            message_no=f"Saken gjelder den eksisterende brukeren {extends}. Oppgi den bruker-id-en, eller ingen.")
    uid = wanted or extends
    if not uid:
        raise RegistryChangeError(
            f"task {case_ref} is a new user: give the IMDinett user id (--user-id; IMDinett writes U and digits, "
            "e.g. U10612)", code="registry.user_id_required",
            message_no=f"Oppgi bruker-id-en brukeren fikk i IMDinett ({USER_ID_HINT}).")
    if not valid_user_id(uid):
        raise RegistryChangeError(
            f"user id {uid!r} has characters other than letters, digits, _ . - (IMDinett writes e.g. U10612)",
            code="registry.user_id_invalid", message_no=f"Ugyldig bruker-id «{uid}» ({USER_ID_HINT}).")
    return uid


def _take_back(session: Session, user: RegistryUser, fields: dict[str, str], task_id: int, actor: str) -> None:
    before = _fields(user)
    for key, value in fields.items():
        setattr(user, key, value)
    # Back through a grant: "not yet in IMDinett" again until an export lists it.
    user.status, user.source, user.source_task_id, user.added_at = USER_ACTIVE, SOURCE_GRANT, task_id, _now()
    user.first_imported_at, user.removed_at, user.removed_reason = None, None, None
    audit.record(session, actor, "registry.user_reactivated", ENTITY, user.user_id,
                 {"task": task_id, "before": before, "after": fields})


def _bring_up_to_date(session: Session, user: RegistryUser, fields: dict[str, str], task_id: int, actor: str) -> None:
    changed = {k: {"before": getattr(user, k), "after": v} for k, v in fields.items() if getattr(user, k) != v}
    for key, change in changed.items():
        setattr(user, key, change["after"])
    if changed:
        audit.record(session, actor, "registry.user_updated", ENTITY, user.user_id, {"task": task_id, "changes": changed})


def _add_roles(session: Session, uid: str, centres: Iterable[str], task_id: int, actor: str) -> None:
    held = set(admin_centres(session, uid))
    added = [n for n in dict.fromkeys(centres) if n and n not in held]
    for number in added:
        session.add(RegistryUserRole(user_id=uid, role=ROLE, mottaksnummer=number))
    if added:
        audit.record(session, actor, "registry.roles_added", ENTITY, uid,
                     {"task": task_id, "role": ROLE, "centres": added})


def _flush(session: Session, mobile: str, user_id: str) -> None:
    """Write now, so that the database's own guards speak: two grants of one mobile (or one user id) decided
    at the same moment both pass the look-ups above, and the unique indexes let only the first commit."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise RegistryChangeError(
            f"the registry changed meanwhile: mobile {mobile} or user id {user_id} was just given to another "
            f"active user ({exc.orig})", code="registry.mobile_taken",
            message_no="Registeret ble endret samtidig: mobilnummeret eller bruker-id-en ble nettopp gitt til en "
                       "annen aktiv bruker. Last saken på nytt.") from exc


def remove_roles(session: Session, user_id: str, centres: Sequence[str], *, reason: str,
                 task_id: int | None = None, actor: str = audit.SYSTEM) -> RolesRemoved:
    """Take Mottaksadministrator off the user at these centres; the user becomes removed when no role
    (of any kind) is left. A role already gone is no error: an import may have been first."""
    user = session.get(RegistryUser, user_id, with_for_update=True)
    if user is None:
        raise RegistryChangeError(f"no registry user {user_id}", code="registry.user_not_found",
                                  message_no=f"Finner ingen bruker {user_id} i registeret.")
    held = set(admin_centres(session, user_id))
    gone = tuple(n for n in dict.fromkeys(centres) if n in held)
    if gone:
        session.execute(delete(RegistryUserRole).where(
            RegistryUserRole.user_id == user_id, RegistryUserRole.role == ROLE,
            RegistryUserRole.mottaksnummer.in_(gone)))
    audit.record(session, actor, "registry.roles_removed", ENTITY, user_id,
                 {"task": task_id, "role": ROLE, "centres": list(gone),
                  "already_gone": [n for n in centres if n not in held], "reason": reason})
    left = session.scalar(select(func.count()).select_from(RegistryUserRole)
                          .where(RegistryUserRole.user_id == user_id)) or 0
    removed = False
    if not left and user.status == USER_ACTIVE:
        mark_removed(session, user, reason=reason, actor=actor, details={"task": task_id})
        removed = True
    session.flush()
    return RolesRemoved(user_id, gone, removed)


def mark_removed(session: Session, user: RegistryUser, *, reason: str, actor: str = audit.SYSTEM,
                 details: dict[str, Any] | None = None, now: datetime | None = None) -> None:
    """The user leaves the registry: kept (not deleted) as removed, with when and why; its roles go (listed in
    the audit event), so its mobile and seats are free."""
    roles = sorted((r.role, r.mottaksnummer) for r in user.roles)
    if roles:
        session.execute(delete(RegistryUserRole).where(RegistryUserRole.user_id == user.user_id))
        session.expire(user, ["roles"])
    user.status, user.removed_at, user.removed_reason = USER_REMOVED, now or _now(), reason
    audit.record(session, actor, "registry.user_removed", ENTITY, user.user_id,
                 {"reason": reason, "roles": [list(r) for r in roles], **(details or {})})


def _fields(user: RegistryUser) -> dict[str, Any]:
    return {"first_name": user.first_name, "last_name": user.last_name, "email": user.email,
            "mobile": user.mobile}
