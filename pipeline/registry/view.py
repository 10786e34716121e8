"""RegistryView: the read-only look-ups the checks need, each an indexed query or an in-memory index.

The centre and operator indexes are built once per process and database, keyed by a fingerprint
of the registry (the last registry import in the audit log and the row counts), so a new import is
picked up by the next view without rebuilding per check.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import and_, bindparam, func, select, text
from sqlalchemy.orm import Session

from pipeline.db.models import (
    AuditEvent,
    RegistryCentre,
    RegistryOperator,
    RegistryUser,
    RegistryUserRole,
    Task,
)
from pipeline.domain import PENDING
from pipeline.registry.centres import CentreIndex, CentreInfo, Resolution
from pipeline.registry.names import fold_text, name_parts
from pipeline.registry.rows import ADMIN_ROLE
from pipeline.registry.validate import email_key

OPEN_STATES = tuple(sorted(PENDING))  # a task not yet carried out holds its mobile and its seats
_LEGAL_FORMS = {"as", "asa", "sa", "ba", "ans", "da", "ks", "stiftelsen", "stiftelse"}
OPERATOR_NAME_MIN = 85.0
OPERATOR_NAME_LEAD = 8.0


@dataclass(frozen=True)
class OperatorInfo:
    operator_id: str
    name: str
    orgnr: str
    email_domain: str
    email: str | None


@dataclass(frozen=True)
class UserInfo:
    user_id: str
    first_name: str
    last_name: str
    email: str
    mobile: str


@dataclass(frozen=True)
class TaskHolder:
    id: int
    case_ref: str
    first_name: str | None
    last_name: str | None
    email: str | None


def operator_name_core(name: str) -> str:
    return " ".join(w for w in fold_text(name).split() if w not in _LEGAL_FORMS)


class _Snapshot:
    def __init__(self, centres: list[CentreInfo], operators: list[OperatorInfo]) -> None:
        self.centres = CentreIndex(centres)
        self.operators = {o.operator_id: o for o in operators}
        self.by_orgnr = {o.orgnr: o for o in operators}
        self.by_domain: dict[str, list[OperatorInfo]] = {}
        for o in operators:
            self.by_domain.setdefault(o.email_domain, []).append(o)
        self.name_cores = {o.operator_id: operator_name_core(o.name) for o in operators}


_CACHE: dict[tuple[str, tuple[int, ...]], _Snapshot] = {}
_LOCK = threading.Lock()


class RegistryView:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._snapshot: _Snapshot | None = None
        self._fingerprint: tuple[int, ...] | None = None

    # --- the registry as a whole -----------------------------------------------------------------------

    def fingerprint(self) -> tuple[int, ...]:
        if self._fingerprint is None:
            last_import = select(func.max(AuditEvent.id)).where(AuditEvent.entity == "registry").scalar_subquery()
            centres = select(func.count()).select_from(RegistryCentre).scalar_subquery()
            operators = select(func.count()).select_from(RegistryOperator).scalar_subquery()
            row = self.session.execute(select(last_import, centres, operators)).one()
            self._fingerprint = tuple(int(v or 0) for v in row)
        return self._fingerprint

    def is_empty(self) -> bool:
        return self.fingerprint()[1] == 0

    def _snap(self) -> _Snapshot:
        if self._snapshot is None:
            bind = self.session.get_bind()
            key = (str(bind.engine.url), self.fingerprint())
            with _LOCK:
                snap = _CACHE.get(key)
            if snap is None:
                snap = self._build()
                with _LOCK:
                    if len(_CACHE) > 8:
                        _CACHE.clear()
                    _CACHE[key] = snap
            self._snapshot = snap
        return self._snapshot

    def _build(self) -> _Snapshot:
        centres = [
            CentreInfo(c.mottaksnummer, c.name, c.kind, c.operator_id, bool(c.active), name_parts(c.name))
            for c in self.session.execute(select(RegistryCentre.mottaksnummer, RegistryCentre.name,
                                                 RegistryCentre.kind, RegistryCentre.operator_id,
                                                 RegistryCentre.active))
        ]
        operators = [
            OperatorInfo(o.operator_id, o.name, o.orgnr, o.email_domain, o.email)
            for o in self.session.execute(select(RegistryOperator.operator_id, RegistryOperator.name,
                                                 RegistryOperator.orgnr, RegistryOperator.email_domain,
                                                 RegistryOperator.email))
        ]
        return _Snapshot(centres, operators)

    # --- centres ---------------------------------------------------------------------------------------

    def resolve_centre(self, written: str) -> Resolution:
        return self._snap().centres.resolve(written)

    def suggest_centres(self, written: str, operator_id: str | None = None) -> tuple[CentreInfo, ...]:
        return self._snap().centres.suggest(written, operator_id)

    def centre(self, mottaksnummer: str) -> CentreInfo | None:
        return self._snap().centres.by_number.get(mottaksnummer)

    def admin_count(self, mottaksnummer: str, *, exclude_user_id: str | None = None,
                    exclude_task_id: int | None = None, exclude_mobile: str | None = None,
                    exclude_email: str | None = None) -> int:
        """Mottaksadministrators of a centre: registry users plus open tasks, the applicant left out."""
        return int(self.session.execute(_ADMIN_COUNT, {
            "nr": mottaksnummer, "role": ADMIN_ROLE, "uid": exclude_user_id or "", "tid": exclude_task_id or -1,
            "mobile": exclude_mobile or "", "email": email_key(exclude_email) if exclude_email else "",
        }).scalar() or 0)

    # --- users and open tasks --------------------------------------------------------------------------

    def user_by_mobile(self, e164: str) -> UserInfo | None:
        row = self.session.execute(_USER_BY_MOBILE, {"mobile": e164}).first()
        return UserInfo(*row) if row else None

    def users_by_email(self, email: str) -> list[UserInfo]:
        return [UserInfo(*r) for r in self.session.execute(_USERS_BY_EMAIL, {"email": email_key(email)})]

    def user_roles(self, user_id: str) -> list[tuple[str, str]]:
        return [tuple(r) for r in self.session.execute(  # type: ignore[misc]
            select(RegistryUserRole.role, RegistryUserRole.mottaksnummer).where(RegistryUserRole.user_id == user_id))]

    def open_tasks_by_mobile(self, e164: str, *, exclude_task_id: int | None = None) -> list[TaskHolder]:
        rows = self.session.execute(_OPEN_TASKS_BY_MOBILE, {"mobile": e164, "tid": exclude_task_id or -1})
        return [TaskHolder(*r) for r in rows]

    # --- operators -------------------------------------------------------------------------------------

    def operator(self, operator_id: str | None) -> OperatorInfo | None:
        return self._snap().operators.get(operator_id) if operator_id else None

    def operator_by_orgnr(self, orgnr: str) -> OperatorInfo | None:
        return self._snap().by_orgnr.get(orgnr)

    def operators_by_domain(self, domain: str) -> list[OperatorInfo]:
        """Operators whose e-mail domain is this domain or a parent of it (mail.firma.no → firma.no)."""
        domain = domain.lower().rstrip(".")
        by_domain = self._snap().by_domain
        labels = domain.split(".")
        for i in range(len(labels) - 1):
            found = by_domain.get(".".join(labels[i:]))
            if found:
                return found
        return []

    def operator_by_name(self, name: str) -> OperatorInfo | None:
        """The operator whose name (legal form dropped) is close and clearly ahead of the next."""
        snap = self._snap()
        core = operator_name_core(name)
        if not core:
            return None
        top = process.extract(core, snap.name_cores, scorer=fuzz.token_sort_ratio, limit=2)
        if not top or top[0][1] < OPERATOR_NAME_MIN:
            return None
        if len(top) > 1 and top[1][1] > top[0][1] - OPERATOR_NAME_LEAD:
            return None
        return snap.operators[top[0][2]]


# Statements built once: a check runs a few of them per form, and building a statement costs more
# than running it on an index.
_USER_COLS = (RegistryUser.user_id, RegistryUser.first_name, RegistryUser.last_name, RegistryUser.email,
              RegistryUser.mobile)
_USER_BY_MOBILE = select(*_USER_COLS).where(RegistryUser.mobile == bindparam("mobile"))
_USERS_BY_EMAIL = select(*_USER_COLS).where(RegistryUser.email == bindparam("email"))
_OPEN_TASKS_BY_MOBILE = (
    select(Task.id, Task.case_ref, Task.first_name, Task.last_name, Task.email)
    .where(and_(Task.mobile == bindparam("mobile"), Task.state.in_(OPEN_STATES), Task.id != bindparam("tid")))
    .order_by(Task.id)
)
# Registry administrators of the centre, plus open tasks asking for it; the applicant (their user,
# their own task, their mobile or e-mail) is left out, and so is a task for someone already counted.
_ADMIN_COUNT = text(f"""
SELECT
  (SELECT count(DISTINCT r.user_id) FROM registry_user_role r
    WHERE r.mottaksnummer = :nr AND r.role = :role AND r.user_id <> :uid)
  +
  (SELECT count(DISTINCT t.id) FROM task t JOIN task_centre tc ON tc.task_id = t.id
    WHERE tc.mottaksnummer = :nr AND t.state IN ({", ".join(f"'{s}'" for s in OPEN_STATES)})
      AND t.id <> :tid
      AND (t.mobile IS NULL OR t.mobile <> :mobile)
      AND (t.email IS NULL OR lower(t.email) <> :email)
      AND (t.extends_user_id IS NULL OR t.extends_user_id NOT IN (
            SELECT r2.user_id FROM registry_user_role r2 WHERE r2.mottaksnummer = :nr AND r2.role = :role)))
""")
