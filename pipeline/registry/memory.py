"""MemoryRegistry: the `RegistryLookup` protocol in memory (pure: no database).

For tests of the checks and of services that only read the registry, and for tools that check forms
against a set of CSV files. It answers exactly as RegistryView does on the same data (a shared test,
tests/checks/test_lookup_contract.py, holds the two to that).

    reg = MemoryRegistry.from_files(operators=..., centres=..., users=...)   the CSV contract's files
    reg.add_user(...); reg.remove_user("U10011")                             the registry changes
    reg.add_task(7, "2026-0007", mobile="+4741555123", centres=("2005",))    a grant task holds its seats
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.core.domain import GRANT, PENDING, ROLE, USER_ACTIVE, USER_REMOVED
from pipeline.core.names import name_parts
from pipeline.registry import csv_rows as R
from pipeline.registry.centre_index import CentreInfo, Resolution
from pipeline.registry.lookup import OperatorInfo, RegistryIndex, TaskHolder, UserInfo
from pipeline.registry.validate import email_key


@dataclass
class _User:
    info: UserInfo
    roles: set[tuple[str, str]] = field(default_factory=set)  # (role, mottaksnummer)
    status: str = USER_ACTIVE


@dataclass(frozen=True)
class _Task:
    id: int
    case_ref: str
    state: str
    kind: str
    first_name: str | None
    last_name: str | None
    email: str | None
    mobile: str | None
    centres: tuple[str, ...]
    extends_user_id: str | None


class MemoryRegistry:
    """The live registry in memory (implements pipeline.registry.lookup.RegistryLookup)."""

    def __init__(self, centres: Iterable[CentreInfo] = (), operators: Iterable[OperatorInfo] = ()) -> None:
        self._centres = list(centres)
        self._operators = list(operators)
        self._index = RegistryIndex(self._centres, self._operators)
        self._users: dict[str, _User] = {}
        self._tasks: list[_Task] = []

    # --- building it -----------------------------------------------------------------------------------

    @classmethod
    def from_files(cls, *, operators: Path, centres: Path, users: Path | None = None) -> MemoryRegistry:
        """The registry in the CSV contract's files; a row the import would refuse raises ValueError."""
        ops = [R.operator_record(row) for _, row in R.read_rows(operators, R.OPERATOR_COLUMNS)]
        cens = [R.centre_record(row) for _, row in R.read_rows(centres, R.CENTRE_COLUMNS)]
        reg = cls(
            [CentreInfo(c["mottaksnummer"], c["name"], c["kind"], c["operator_id"], c["active"], name_parts(c["name"]))
             for c in cens],
            [OperatorInfo(o["operator_id"], o["name"], o["orgnr"], o["email_domain"], o["email"]) for o in ops])
        for _, row in R.read_rows(users, R.USER_COLUMNS) if users else ():
            user, (role, numbers) = R.user_record(row)
            held = reg._users.get(user["user_id"])
            if held is None:
                reg.add_user(user["user_id"], user["first_name"], user["last_name"], user["email"], user["mobile"])
                held = reg._users[user["user_id"]]
            held.roles.update((role, n) for n in numbers)
        return reg

    def add_user(self, user_id: str, first_name: str, last_name: str, email: str, mobile: str,
                 centres: Iterable[str] = (), *, role: str = ROLE) -> None:
        clash = self.user_by_mobile(mobile)
        if clash is not None and clash.user_id != user_id:
            raise ValueError(f"mobile {mobile} belongs to active user {clash.user_id}")
        info = UserInfo(user_id, first_name, last_name, email_key(email), mobile)
        self._users[user_id] = _User(info, {(role, n) for n in centres})

    def add_roles(self, user_id: str, centres: Iterable[str], *, role: str = ROLE) -> None:
        self._users[user_id].roles.update((role, n) for n in centres)

    def remove_user(self, user_id: str) -> None:
        self._users[user_id].status = USER_REMOVED
        self._users[user_id].roles.clear()

    def add_centre(self, centre: CentreInfo) -> None:
        self._centres = [c for c in self._centres if c.mottaksnummer != centre.mottaksnummer] + [centre]
        self._index = RegistryIndex(self._centres, self._operators)

    def close_centre(self, mottaksnummer: str) -> None:
        found = self._index.centres.by_number[mottaksnummer]
        self.add_centre(replace(found, active=False))

    def add_task(self, task_id: int, case_ref: str, *, mobile: str | None, first_name: str | None = None,
                 last_name: str | None = None, email: str | None = None, centres: Iterable[str] = (),
                 state: str = "review", kind: str = GRANT, extends_user_id: str | None = None) -> None:
        self._tasks.append(_Task(task_id, case_ref, state, kind, first_name, last_name, email, mobile,
                                 tuple(centres), extends_user_id))

    def copy(self) -> MemoryRegistry:
        """An independent copy (the centre and operator index is shared: it never changes in place)."""
        other = MemoryRegistry.__new__(MemoryRegistry)
        other._centres, other._operators, other._index = self._centres, self._operators, self._index
        other._users = {k: _User(u.info, set(u.roles), u.status) for k, u in self._users.items()}
        other._tasks = list(self._tasks)
        return other

    # --- RegistryLookup --------------------------------------------------------------------------------

    def is_empty(self) -> bool:
        return not self._centres

    def resolve_centre(self, written: str) -> Resolution:
        return self._index.centres.resolve(written)

    def suggest_centres(self, written: str, operator_id: str | None = None) -> tuple[CentreInfo, ...]:
        return self._index.centres.suggest(written, operator_id)

    def centre(self, mottaksnummer: str) -> CentreInfo | None:
        return self._index.centres.by_number.get(mottaksnummer)

    def _active(self) -> Iterable[_User]:
        return (u for u in self._users.values() if u.status == USER_ACTIVE)

    def _pending_grants(self) -> Iterable[_Task]:
        return (t for t in self._tasks if t.kind == GRANT and t.state in PENDING)

    def admin_count(self, mottaksnummer: str, *, exclude_user_id: str | None = None,
                    exclude_task_id: int | None = None, exclude_mobile: str | None = None,
                    exclude_email: str | None = None) -> int:
        admins = {u.info.user_id for u in self._active() if (ROLE, mottaksnummer) in u.roles}
        email = email_key(exclude_email) if exclude_email else ""
        tasks = {t.id for t in self._pending_grants()
                 if mottaksnummer in t.centres and t.id != exclude_task_id
                 and (t.mobile is None or t.mobile != (exclude_mobile or ""))
                 and (t.email is None or t.email.lower() != email)
                 and (t.extends_user_id is None or t.extends_user_id not in admins)}
        return len(admins - {exclude_user_id or ""}) + len(tasks)

    def user_by_mobile(self, e164: str) -> UserInfo | None:
        return next((u.info for u in self._active() if u.info.mobile == e164), None)

    def users_by_email(self, email: str) -> list[UserInfo]:
        key = email_key(email)
        return [u.info for u in self._active() if u.info.email == key]

    def open_tasks_by_mobile(self, e164: str, *, exclude_task_id: int | None = None) -> list[TaskHolder]:
        return [TaskHolder(t.id, t.case_ref, t.first_name, t.last_name, t.email)
                for t in sorted(self._pending_grants(), key=lambda t: t.id)
                if t.mobile == e164 and t.id != exclude_task_id]

    def operator(self, operator_id: str | None) -> OperatorInfo | None:
        return self._index.operators.get(operator_id) if operator_id else None

    def operator_by_orgnr(self, orgnr: str) -> OperatorInfo | None:
        return self._index.by_orgnr.get(orgnr)

    def operators_by_domain(self, domain: str) -> list[OperatorInfo]:
        return self._index.operators_by_domain(domain)

    def operator_by_name(self, name: str) -> OperatorInfo | None:
        return self._index.operator_by_name(name)
