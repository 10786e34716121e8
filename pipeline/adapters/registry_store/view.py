"""RegistryView: the `RegistryLookup` protocol in SQL on the live registry, each an indexed query or an
in-memory index.

Users: only ACTIVE ones (the partial unique index on mobile serves `status = 'active' AND mobile = :m`;
the status is written as a literal so that both SQLite and PostgreSQL can use it). Tasks: grant tasks
not yet carried out (domain.PENDING). The centre and operator indexes are built once per process and
database, keyed by a fingerprint of the registry (the last registry import in the audit log and the row
counts), so a new import is picked up by the next view without rebuilding per check.
"""

from __future__ import annotations

import threading

from sqlalchemy import and_, bindparam, func, literal_column, select, text
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import (
    AuditEvent,
    RegistryCentre,
    RegistryOperator,
    RegistryUser,
    Task,
)
from pipeline.core.domain import GRANT, PENDING, USER_ACTIVE
from pipeline.core.names import name_parts
from pipeline.registry.centre_index import CentreInfo, Resolution
from pipeline.registry.csv_rows import ADMIN_ROLE
from pipeline.registry.lookup import OperatorInfo, RegistryIndex, TaskHolder, UserInfo
from pipeline.registry.validate import email_key

OPEN_STATES = tuple(sorted(PENDING))  # a grant not yet carried out holds its mobile and its seats
# The registry's audit entity for imports: a new one invalidates the cached centre and operator index.
IMPORT_ENTITY = "registry"

_CACHE: dict[tuple[str, tuple[int, ...]], RegistryIndex] = {}
_LOCK = threading.Lock()


class RegistryView:
    """The live registry through a session (implements pipeline.registry.lookup.RegistryLookup)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._snapshot: RegistryIndex | None = None
        self._fingerprint: tuple[int, ...] | None = None

    # --- the registry as a whole -----------------------------------------------------------------------

    def fingerprint(self) -> tuple[int, ...]:
        if self._fingerprint is None:
            last_import = select(func.max(AuditEvent.id)).where(AuditEvent.entity == IMPORT_ENTITY).scalar_subquery()
            centres = select(func.count()).select_from(RegistryCentre).scalar_subquery()
            operators = select(func.count()).select_from(RegistryOperator).scalar_subquery()
            row = self.session.execute(select(last_import, centres, operators)).one()
            self._fingerprint = tuple(int(v or 0) for v in row)
        return self._fingerprint

    def is_empty(self) -> bool:
        return self.fingerprint()[1] == 0

    def _snap(self) -> RegistryIndex:
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

    def _build(self) -> RegistryIndex:
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
        return RegistryIndex(centres, operators)

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

    def open_tasks_by_mobile(self, e164: str, *, exclude_task_id: int | None = None) -> list[TaskHolder]:
        rows = self.session.execute(_OPEN_TASKS_BY_MOBILE, {"mobile": e164, "tid": exclude_task_id or -1})
        return [TaskHolder(*r) for r in rows]

    # --- operators -------------------------------------------------------------------------------------

    def operator(self, operator_id: str | None) -> OperatorInfo | None:
        return self._snap().operators.get(operator_id) if operator_id else None

    def operator_by_orgnr(self, orgnr: str) -> OperatorInfo | None:
        return self._snap().by_orgnr.get(orgnr)

    def operators_by_domain(self, domain: str) -> list[OperatorInfo]:
        return self._snap().operators_by_domain(domain)

    def operator_by_name(self, name: str) -> OperatorInfo | None:
        return self._snap().operator_by_name(name)


# Statements built once: a check runs a few of them per form, and building a statement costs more
# than running it on an index.
_ACTIVE = RegistryUser.status == literal_column(f"'{USER_ACTIVE}'")
_USER_COLS = (RegistryUser.user_id, RegistryUser.first_name, RegistryUser.last_name, RegistryUser.email,
              RegistryUser.mobile)
_USER_BY_MOBILE = select(*_USER_COLS).where(_ACTIVE, RegistryUser.mobile == bindparam("mobile"))
_USERS_BY_EMAIL = select(*_USER_COLS).where(_ACTIVE, RegistryUser.email == bindparam("email"))
_OPEN_TASKS_BY_MOBILE = (
    select(Task.id, Task.case_ref, Task.first_name, Task.last_name, Task.email)
    .where(and_(Task.mobile == bindparam("mobile"), Task.kind == literal_column(f"'{GRANT}'"),
                Task.state.in_(OPEN_STATES), Task.id != bindparam("tid")))
    .order_by(Task.id)
)
_STATES = ", ".join(f"'{s}'" for s in OPEN_STATES)
# Active administrators of the centre, plus pending grant tasks asking for it; the applicant (their user,
# their own task, their mobile or e-mail) is left out, and so is a task for someone already counted.
_ADMINS = f"""SELECT r.user_id FROM registry_user_role r JOIN registry_user u ON u.user_id = r.user_id
    WHERE r.mottaksnummer = :nr AND r.role = :role AND u.status = '{USER_ACTIVE}'"""
_ADMIN_COUNT = text(f"""
SELECT
  (SELECT count(DISTINCT a.user_id) FROM ({_ADMINS}) a WHERE a.user_id <> :uid)
  +
  (SELECT count(DISTINCT t.id) FROM task t JOIN task_centre tc ON tc.task_id = t.id
    WHERE tc.mottaksnummer = :nr AND t.kind = '{GRANT}' AND t.state IN ({_STATES})
      AND t.id <> :tid
      AND (t.mobile IS NULL OR t.mobile <> :mobile)
      AND (t.email IS NULL OR lower(t.email) <> :email)
      AND (t.extends_user_id IS NULL OR t.extends_user_id NOT IN ({_ADMINS})))
""")
