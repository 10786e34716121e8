"""The users import's plan, decided without a database: the file's users and the registry's as values in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pipeline.adapters.registry_store.import_users import FileUsers, Registry, plan_users
from pipeline.core.domain import SOURCE_GRANT, SOURCE_IMPORT, USER_ACTIVE, USER_REMOVED
from pipeline.registry.report import FileReport

pytestmark = pytest.mark.pure

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
ROLE = "Mottaksadministrator"


def person(uid: str, first: str, mobile: str) -> dict[str, Any]:
    return {"user_id": uid, "first_name": first, "last_name": "Fiktiv", "email": f"{first.lower()}@example.org",
            "mobile": mobile}


def held(uid: str, first: str, mobile: str, *, status: str = USER_ACTIVE, source: str = SOURCE_IMPORT,
         added: datetime = NOW - timedelta(days=400), imported: datetime | None = NOW) -> dict[str, Any]:
    return {**person(uid, first, mobile), "status": status, "source": source, "added_at": added,
            "first_imported_at": imported}


def file_of(*users: dict[str, Any], centre: str = "0101") -> FileUsers:
    found = FileUsers()
    for line, user in enumerate(users, start=2):
        found.users[user["user_id"]] = user
        found.first_line[user["user_id"]] = line
        found.roles[user["user_id"]] = {(ROLE, centre)}
    return found


def plan(found: FileUsers, registry: Registry, *, complete: bool) -> tuple[Any, FileReport]:
    rep = FileReport("users", "users.csv")
    return plan_users(found, registry, rep, file_name="users.csv", complete=complete, grace_days=14, now=NOW), rep


def test_a_complete_export_removes_the_absent_but_spares_a_fresh_grant_not_yet_in_imdinett() -> None:
    registry = Registry(users={
        "U1": held("U1", "Kari", "+4791000001"),
        "U2": held("U2", "Ola", "+4791000002"),
        "U3": held("U3", "Åse", "+4791000003", source=SOURCE_GRANT, added=NOW - timedelta(days=3), imported=None),
    }, roles={"U1": {(ROLE, "0101")}, "U2": {(ROLE, "0102")}, "U3": {(ROLE, "0103")}})
    the_plan, rep = plan(file_of(person("U1", "Kari", "+4791000001")), registry, complete=True)
    assert [uid for uid, _ in the_plan.gone] == ["U2"]
    assert "absent from IMDinett's complete export users.csv" in the_plan.gone[0][1]
    assert the_plan.gone_roles == {"U2": {(ROLE, "0102")}}
    assert [u["user_id"] for u in rep.not_yet_in_imdinett] == ["U3"]
    assert rep.unchanged == 1 and rep.added == rep.updated == 0


def test_a_partial_file_removes_nobody() -> None:
    registry = Registry(users={"U2": held("U2", "Ola", "+4791000002")}, roles={"U2": {(ROLE, "0102")}})
    the_plan, rep = plan(file_of(person("U9", "Liv", "+4791000009")), registry, complete=False)
    assert the_plan.gone == [] and rep.removed == []
    assert [u["user_id"] for u in the_plan.added] == ["U9"]


def test_imdinett_s_id_for_a_mobile_granted_here_replaces_the_local_user() -> None:
    registry = Registry(users={
        "U3": held("U3", "Åse", "+4791000003", source=SOURCE_GRANT, added=NOW - timedelta(days=3), imported=None),
    }, roles={"U3": {(ROLE, "0103")}})
    the_plan, rep = plan(file_of(person("U77", "Åse", "+4791000003")), registry, complete=True)
    assert the_plan.replaced == {"U3": "U77"}
    assert [uid for uid, _ in the_plan.gone] == ["U3"] and "user id U77" in the_plan.gone[0][1]
    assert [u["user_id"] for u in the_plan.added] == ["U77"] and rep.not_yet_in_imdinett == []


def test_a_mobile_the_registry_gives_to_someone_kept_is_refused_on_its_line() -> None:
    registry = Registry(users={"U2": held("U2", "Ola", "+4791000002")}, roles={"U2": {(ROLE, "0102")}})
    the_plan, rep = plan(file_of(person("U9", "Liv", "+4791000002")), registry, complete=False)
    assert the_plan.added == [] and [str(r) for r in rep.rejected] == [
        "users.csv:2: mobile +4791000002 belongs to user_id U2 in the registry"]


def test_a_removed_user_listed_again_is_taken_back_and_a_changed_mobile_is_parked_first() -> None:
    registry = Registry(users={
        "U1": held("U1", "Kari", "+4791000001", status=USER_REMOVED),
        "U2": held("U2", "Ola", "+4791000002"),
    }, roles={"U2": {(ROLE, "0101")}})
    the_plan, rep = plan(file_of(person("U1", "Kari", "+4791000001"), person("U2", "Ola", "+4791000099")),
                         registry, complete=False)
    assert sorted(u["user_id"] for u in the_plan.changed) == ["U1", "U2"]
    assert [u["user_id"] for u in rep.reactivated] == ["U1"]
    assert the_plan.moved == ["U2"]
