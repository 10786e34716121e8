"""The two RegistryLookup implementations answer alike: SQL on the live registry (RegistryView) and in
memory (MemoryRegistry), on the same registry and the same open tasks.

The scenario exercises what "live" means: a removed user holds no mobile and no seat; pending grant
tasks hold theirs, ended ones do not; a removal task holds nothing (the registry changes when it is done).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete

from pipeline.adapters.db.models import RegistryUser, RegistryUserRole, Task, TaskCentre
from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.registry_store import RegistryView
from pipeline.registry import MemoryRegistry, RegistryLookup
from tests.checks.conftest import add_open_task

# (first, last, email, mobile, centres, state, extends)
TASKS = [
    ("Ola", "Venter", "ola.venter@nordkalotten-mottak.no", "+4741555100", ("2005",), "review", None),
    ("Per", "Godkjent", "per@nordkalotten-mottak.no", "+4741555101", ("2005", "1901"), "approved", None),
    ("Lise", "Mangler", None, "+4741555102", ("1901",), "needs_info", None),
    ("Nils", "Avslått", "nils@x.no", "+4741555103", ("2005",), "rejected", None),
    ("Siv", "Utført", "siv@x.no", "+4741555104", ("2005",), "provisioned", None),
    # Extends U10307 (Gratangen's other administrator): not a third seat there.
    ("Kjell", "Utvider", "kjell@x.no", "+4741555105", ("1902",), "review", "U10307"),
]


def _removal_task_sql(db) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        task = Task(case_ref="2026-9990", kind="removal", state="review", origin="support", user_id="U10307",
                    first_name="X", last_name="Y", email="x@y.no", mobile="+4741555106")
        task.centres = [TaskCentre(position=0, written="Gratangen asylmottak", mottaksnummer="1902",
                                   name="Gratangen asylmottak")]
        s.add(task)


def _remove_sql(db, user_id: str) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        user = s.get(RegistryUser, user_id)
        user.status, user.removed_at, user.removed_reason = "removed", datetime.now(UTC), "test"
        s.execute(delete(RegistryUserRole).where(RegistryUserRole.user_id == user_id))


@pytest.fixture(params=["sql", "memory"])
def lookup(request, memory: MemoryRegistry) -> Any:  # type: ignore[no-untyped-def]
    if request.param == "memory":
        for first, last, email, mobile, centres, state, extends in TASKS:
            add_open_task(memory, first=first, last=last, email=email, mobile=mobile,
                          centres=tuple((c, c) for c in centres), state=state, extends_user_id=extends)
        memory.add_task(99_990, "2026-9990", mobile="+4741555106", centres=("1902",), kind="removal")
        memory.remove_user("U10011")
        yield memory
        return
    db = request.getfixturevalue("registry")
    for first, last, email, mobile, centres, state, extends in TASKS:
        add_open_task(db, first=first, last=last, email=email, mobile=mobile,
                      centres=tuple((c, c) for c in centres), state=state, extends_user_id=extends)
    _removal_task_sql(db)
    _remove_sql(db, "U10011")
    with db() as s:
        yield RegistryView(s)


def _holders(view: RegistryLookup, mobile: str) -> list[str]:
    return [f"{t.first_name} {t.last_name}" for t in view.open_tasks_by_mobile(mobile)]


def test_users_are_the_active_ones(lookup: RegistryLookup):
    assert lookup.user_by_mobile("+4798503224") is None  # U10011 (Amra Rønning) was removed
    assert lookup.users_by_email("amra.ronning@nordkalotten-mottak.no") == []
    other = lookup.user_by_mobile("+4799123402")
    assert other is None or other.user_id != "U10011"
    gone = [u.user_id for u in lookup.users_by_email("AMRA.RONNING@nordkalotten-mottak.no")]
    assert gone == []


def test_pending_grant_tasks_hold_their_mobile(lookup: RegistryLookup):
    assert _holders(lookup, "+4741555100") == ["Ola Venter"]
    assert _holders(lookup, "+4741555101") == ["Per Godkjent"]
    assert _holders(lookup, "+4741555102") == ["Lise Mangler"]
    assert _holders(lookup, "+4741555103") == [] and _holders(lookup, "+4741555104") == []
    assert _holders(lookup, "+4741555106") == []  # a removal task holds no mobile


def test_seats_count_active_users_and_pending_grants(lookup: RegistryLookup):
    # Alta (2005): U10291, Ola (review) and Per (approved); Nils rejected, Siv done (not in the registry here).
    assert lookup.admin_count("2005") == 3
    assert lookup.admin_count("2005", exclude_mobile="+4741555100") == 2
    assert lookup.admin_count("2005", exclude_email="OLA.VENTER@nordkalotten-mottak.no") == 2
    assert lookup.admin_count("2005", exclude_user_id="U10291") == 2
    assert lookup.admin_count("1901") == 3  # its administrator, Per and Lise
    # Gratangen (1902): U10011 removed, U10307 active; Kjell extends U10307; the removal task counts nothing.
    assert lookup.admin_count("1902") == 1
    assert lookup.admin_count("1902", exclude_user_id="U10307") == 0


def test_the_task_being_checked_is_left_out(lookup: RegistryLookup):
    own = lookup.open_tasks_by_mobile("+4741555100")[0].id
    assert lookup.open_tasks_by_mobile("+4741555100", exclude_task_id=own) == []
    assert lookup.admin_count("2005", exclude_task_id=own) == 2


def test_centres_and_operators(lookup: RegistryLookup):
    assert not lookup.is_empty()
    assert lookup.resolve_centre("alta mottak").centre.mottaksnummer == "2005"  # type: ignore[union-attr]
    assert lookup.centre("0103").active is False  # type: ignore[union-attr]
    assert lookup.operator("DRO1032").name == "Nordkalotten Mottak AS"  # type: ignore[union-attr]
    assert lookup.operator_by_orgnr("815776372").operator_id == "DRO1032"  # type: ignore[union-attr]
    assert [o.operator_id for o in lookup.operators_by_domain("mail.nordkalotten-mottak.no")] == ["DRO1032"]
    assert lookup.operator_by_name("Nordkalottn Mottak A/S").operator_id == "DRO1032"  # type: ignore[union-attr]
