"""A grant marked done enters the registry in the same transaction, and every check sees it from then on."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import RegistryUser, RegistryUserRole, Reply, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.registry_store import RegistryView
from pipeline.checks import check_reading
from pipeline.errors import IllegalTransition, RegistryChangeError
from pipeline.settings import Settings
from pipeline.steps import tasks
from tests.lifecycle.conftest import SOLBAKKEN, audit_actions, open_grant, reading

SETTINGS = Settings()  # the documented defaults, given explicitly as every use case and step asks


def _provision(registry, task_id: int, user_id: str | None) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(registry) as s:
        tasks.approve(s, task_id, actor="ola")
    with unit_of_work(registry) as s:
        tasks.mark_provisioned(s, task_id, actor="ola", user_id=user_id, settings=SETTINGS)


def _roles(registry, user_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with registry() as s:
        return sorted(s.scalars(select(RegistryUserRole.mottaksnummer).where(RegistryUserRole.user_id == user_id)))


def test_the_issue_scenario_a_provisioned_user_holds_her_mobile_and_her_seat(registry):
    with unit_of_work(registry) as s:
        anne = open_grant(s, reading())
        assert anne.state == "review" and [f.code for f in anne.findings] == []
    _provision(registry, anne.id, "U20001")
    with registry() as s:
        user = s.get(RegistryUser, "U20001")
        assert (user.first_name, user.last_name, user.email, user.mobile) == (
            "Anne", "Ødegård", "anne.odegard@solbakken-drift.no", "+4747429543")
        assert (user.status, user.source, user.source_task_id, user.first_imported_at) == (
            "active", "grant", anne.id, None)
        assert user.added_at is not None
        assert audit_actions(s, "registry_user", "U20001") == ["registry.user_granted", "registry.roles_added"]
    assert _roles(registry, "U20001") == ["0402"]

    # Another person with her mobile: mobile.duplicate naming U20001, although her task is done.
    other = reading(first_name="Per", last_name="Annen", email="per.annen@solbakken-drift.no")
    with registry() as s:
        result = check_reading(other, RegistryView(s), sender=SOLBAKKEN, settings=SETTINGS)
        dup = next(f for f in result.findings if f.code == "mobile.duplicate")
        assert dup.details["holder"] == {"kind": "registry", "user_id": "U20001", "name": "Anne Ødegård",
                                         "email": "anne.odegard@solbakken-drift.no"}
        assert result.initial_state == "needs_info"
        # Her seat counts: Flisa had U10132; with Anne it is full, so a third applicant is over the limit.
        third = check_reading(reading(first_name="Tor", last_name="Tredje", email="tor@solbakken-drift.no",
                                      mobile="474 29 544"), RegistryView(s), sender=SOLBAKKEN, settings=SETTINGS)
        limit = next(f for f in third.findings if f.code == "centre.admin_limit")
        assert limit.details["count"] == 2


def test_a_new_user_needs_the_imdinett_user_id_and_nothing_changes_without_it(registry):
    with unit_of_work(registry) as s:
        anne = open_grant(s, reading())
        tasks.approve(s, anne.id, actor="ola")
    with pytest.raises(RegistryChangeError) as err, unit_of_work(registry) as s:
        tasks.mark_provisioned(s, anne.id, actor="ola", settings=SETTINGS)
    assert err.value.code == "registry.user_id_required" and "U10612" in err.value.message
    assert "U etterfulgt av sifre" in err.value.message_no
    with pytest.raises(RegistryChangeError) as err, unit_of_work(registry) as s:
        tasks.mark_provisioned(s, anne.id, actor="ola", user_id="U 1", settings=SETTINGS)
    assert err.value.code == "registry.user_id_invalid"
    with registry() as s:
        assert s.get(Task, anne.id).state == "approved"  # rolled back with the refused registry write
        assert s.scalar(select(RegistryUser).where(RegistryUser.mobile == "+4747429543")) is None
        assert s.scalars(select(Reply).where(Reply.task_id == anne.id, Reply.kind == "confirmation")).all() == []


def test_an_extending_grant_adds_centres_and_brings_the_contact_details_up_to_date(registry):
    with unit_of_work(registry) as s:
        anne = open_grant(s, reading())
    _provision(registry, anne.id, "U20001")
    # The same person (same e-mail), a new mobile, another centre: extends U20001, no user id needed.
    with unit_of_work(registry) as s:
        more = open_grant(s, reading(mobile="474 29 545", centres=["Rena asylmottak"]))
        assert more.extends_user_id == "U20001" and more.state == "review"
    _provision(registry, more.id, None)
    assert _roles(registry, "U20001") == ["0402", "0403"]
    with registry() as s:
        user = s.get(RegistryUser, "U20001")
        assert user.mobile == "+4747429545" and user.source_task_id == anne.id
        assert "registry.user_updated" in audit_actions(s, "registry_user", "U20001")
        assert s.get(Task, more.id).provisioned_user_id == "U20001"
        # The old mobile is free again.
        assert RegistryView(s).user_by_mobile("+4747429543") is None


def test_a_user_id_of_another_person_or_a_mobile_of_another_user_is_refused(registry):
    with unit_of_work(registry) as s:
        anne = open_grant(s, reading())
        tasks.approve(s, anne.id, actor="ola")
    # U10132 is Sigrid Hagen (Flisa's administrator).
    with pytest.raises(RegistryChangeError) as err, unit_of_work(registry) as s:
        tasks.mark_provisioned(s, anne.id, actor="ola", user_id="U10132", settings=SETTINGS)
    assert err.value.code == "registry.user_id_taken"
    # Meanwhile someone else got her mobile in the registry (an import): refused, naming the holder.
    with unit_of_work(registry) as s:
        s.add(RegistryUser(user_id="U30000", first_name="Lise", last_name="Først", email="lise@x.no",
                           mobile="+4747429543"))
    with pytest.raises(RegistryChangeError) as err, unit_of_work(registry) as s:
        tasks.mark_provisioned(s, anne.id, actor="ola", user_id="U20001", settings=SETTINGS)
    assert err.value.code == "registry.mobile_taken" and "U30000" in err.value.message


def test_marking_done_is_still_refused_before_approval(registry):
    with unit_of_work(registry) as s:
        anne = open_grant(s, reading())
    with pytest.raises(IllegalTransition), unit_of_work(registry) as s:
        tasks.mark_provisioned(s, anne.id, actor="ola", user_id="U20001", settings=SETTINGS)


def test_two_grants_of_one_mobile_at_the_same_moment_the_database_keeps_one(registry, monkeypatch):
    """Both decisions looked the mobile up before either committed: the partial unique index refuses the
    second, and the operator gets a clear error instead of a database traceback."""
    from pipeline.adapters.registry_store import changes

    with unit_of_work(registry) as s:
        first = open_grant(s, reading()).id
        second = open_grant(s, reading(first_name="Per", last_name="Annen", email="per@x.no")).id
    person = changes.Person("Anne", "Ødegård", "anne@x.no", "+4747429543")
    with unit_of_work(registry) as s:
        changes.grant(s, user_id="U20001", person=person, centres=["0402"], task_id=first, case_ref="2026-0001")
    monkeypatch.setattr(changes, "active_user_by_mobile", lambda session, mobile: None)  # the stale look-up
    other = changes.Person("Per", "Annen", "per@x.no", "+4747429543")
    with pytest.raises(RegistryChangeError) as err, unit_of_work(registry) as s:
        changes.grant(s, user_id="U20002", person=other, centres=["0402"], task_id=second, case_ref="2026-0002")
    assert err.value.code == "registry.mobile_taken" and "Registeret ble endret samtidig" in err.value.message_no
    with registry() as s:
        assert s.get(RegistryUser, "U20002") is None
