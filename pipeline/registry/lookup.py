"""What the checks may ask of the registry (pure): the `RegistryLookup` protocol and its value types.

    RegistryLookup           the read-only look-ups of one check, as a typing.Protocol
      ├── RegistryView       pipeline.adapters.registry_store.view: SQL on the live registry (a session)
      └── MemoryRegistry     pipeline.registry.memory: in memory, for tests and tools without a database

"The registry" as the checks see it is the live one: ACTIVE users (a removed user holds no mobile and
no seat), plus grant tasks not yet carried out (domain.PENDING), which hold their mobile and their
seats from the moment they are opened. Removal tasks change nothing until they are done.

`RegistryIndex` is the part both implementations share: centres and operators indexed once (name
resolution, organisation numbers, e-mail domains, fuzzy operator names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz, process

from pipeline.core.names import fold_text
from pipeline.registry.centre_index import CentreIndex, CentreInfo, Resolution

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
    """A grant task not yet carried out that holds a mobile number."""

    id: int
    case_ref: str
    first_name: str | None
    last_name: str | None
    email: str | None


class RegistryLookup(Protocol):
    """The look-ups one check makes. Implementations answer for the live registry (see the module doc)."""

    def is_empty(self) -> bool: ...

    def resolve_centre(self, written: str) -> Resolution: ...

    def suggest_centres(self, written: str, operator_id: str | None = None) -> tuple[CentreInfo, ...]: ...

    def centre(self, mottaksnummer: str) -> CentreInfo | None: ...

    def admin_count(self, mottaksnummer: str, *, exclude_user_id: str | None = None,
                    exclude_task_id: int | None = None, exclude_mobile: str | None = None,
                    exclude_email: str | None = None) -> int:
        """Mottaksadministrators of a centre: active users holding the role plus pending grant tasks asking
        for it; the applicant (their user, their own task, their mobile or e-mail) left out, and so is a
        task extending a user who is already counted."""
        ...

    def user_by_mobile(self, e164: str) -> UserInfo | None: ...

    def users_by_email(self, email: str) -> list[UserInfo]: ...

    def open_tasks_by_mobile(self, e164: str, *, exclude_task_id: int | None = None) -> list[TaskHolder]: ...

    def operator(self, operator_id: str | None) -> OperatorInfo | None: ...

    def operator_by_orgnr(self, orgnr: str) -> OperatorInfo | None: ...

    def operators_by_domain(self, domain: str) -> list[OperatorInfo]: ...

    def operator_by_name(self, name: str) -> OperatorInfo | None: ...


def operator_name_core(name: str) -> str:
    return " ".join(w for w in fold_text(name).split() if w not in _LEGAL_FORMS)


class RegistryIndex:
    """Centres and operators, indexed once (pure)."""

    def __init__(self, centres: list[CentreInfo], operators: list[OperatorInfo]) -> None:
        self.centres = CentreIndex(centres)
        self.operators = {o.operator_id: o for o in operators}
        self.by_orgnr = {o.orgnr: o for o in operators}
        self.by_domain: dict[str, list[OperatorInfo]] = {}
        for o in operators:
            self.by_domain.setdefault(o.email_domain, []).append(o)
        self.name_cores = {o.operator_id: operator_name_core(o.name) for o in operators}

    def operators_by_domain(self, domain: str) -> list[OperatorInfo]:
        """Operators whose e-mail domain is this domain or a parent of it (mail.firma.no → firma.no)."""
        labels = domain.lower().rstrip(".").split(".")
        for i in range(len(labels) - 1):
            found = self.by_domain.get(".".join(labels[i:]))
            if found:
                return found
        return []

    def operator_by_name(self, name: str) -> OperatorInfo | None:
        """The operator whose name (legal form dropped) is close and clearly ahead of the next."""
        core = operator_name_core(name)
        if not core:
            return None
        top = process.extract(core, self.name_cores, scorer=fuzz.token_sort_ratio, limit=2)
        if not top or top[0][1] < OPERATOR_NAME_MIN:
            return None
        if len(top) > 1 and top[1][1] > top[0][1] - OPERATOR_NAME_LEAD:
            return None
        return self.operators[top[0][2]]
