"""Reconciling with IMDinett: a complete export removes who is gone (kept, audited, mobile and seat freed),
keeps what was granted here and is not yet exported, and a closed centre raises removal tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pipeline.adapters.db.models import AuditEvent, RegistryUser, RegistryUserRole, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.registry_store import RegistryView
from pipeline.checks import check_reading
from pipeline.errors import RegistryImportError
from pipeline.settings import Settings
from pipeline.steps import tasks
from pipeline.usecases.registry_import import run_import
from tests.lifecycle.conftest import SOLBAKKEN, audit_actions, open_grant, reading
from tests.registry.helpers import edited, line_of, reference

SETTINGS = Settings()  # the documented defaults, given explicitly as every use case and step asks

AMRA = "U10011,Amra,Rønning,amra.ronning@nordkalotten-mottak.no,+4798503224,Mottaksadministrator,1902"


@pytest.fixture
def files(reference_dir):  # type: ignore[no-untyped-def]
    return reference(reference_dir)


def _without(files, tmp_path, *user_ids: str, name: str = "users.csv"):  # type: ignore[no-untyped-def]
    return edited(files["users"], tmp_path / name, drop=tuple(line_of(files["users"], f"{u},") for u in user_ids))


def _grant(registry, user_id: str, **form) -> int:  # type: ignore[no-untyped-def]
    with unit_of_work(registry) as s:
        task = open_grant(s, reading(**form))
        tasks.approve(s, task.id, actor="ola", override_reason="Kontrollert")
        tasks.mark_provisioned(s, task.id, actor="ola", user_id=user_id, settings=SETTINGS)
        return task.id


def _user(registry, user_id: str) -> RegistryUser:  # type: ignore[no-untyped-def]
    with registry() as s:
        return s.get(RegistryUser, user_id)


def _state(registry) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    with registry() as s:
        return (s.scalar(select(func.count()).select_from(AuditEvent)),
                s.scalar(select(func.count()).select_from(RegistryUserRole)),
                s.scalar(select(func.count()).select_from(RegistryUser).where(RegistryUser.status == "active")),
                s.scalar(select(func.count()).select_from(Task)))


def test_a_complete_export_removes_who_is_gone_and_frees_their_mobile(registry, files, tmp_path):
    users = _without(files, tmp_path, "U10011")
    kept = run_import(registry, users=users, settings=SETTINGS)  # not complete: absent users stay
    assert kept.file("users").removed == [] and _user(registry, "U10011").status == "active"

    report = run_import(registry, users=users, complete=True, actor="ola", settings=SETTINGS)
    assert report.ok and report.file("users").removed == [{"user_id": "U10011", "name": "Amra Rønning"}]
    amra = _user(registry, "U10011")
    assert amra.status == "removed" and amra.removed_at is not None
    assert "absent from IMDinett's complete export users.csv" in amra.removed_reason
    with registry() as s:
        assert s.scalars(select(RegistryUserRole).where(RegistryUserRole.user_id == "U10011")).all() == []
        event = s.scalars(select(AuditEvent).where(AuditEvent.entity == "registry_user",
                                                   AuditEvent.entity_id == "U10011")).one()
        assert event.action == "registry.user_removed" and event.actor == "ola"
        assert event.details["roles"] == [["Mottaksadministrator", "1902"]]
        view = RegistryView(s)
        assert view.user_by_mobile("+4798503224") is None
        assert view.admin_count("1902") == 1  # Gratangen: only U10307 left
        # Her mobile is free for someone else now.
        result = check_reading(reading(mobile="985 03 224"), view, sender=SOLBAKKEN, settings=SETTINGS)
        assert "mobile.duplicate" not in [f.code for f in result.findings]

    # Listed again: active again, with her role.
    back = run_import(registry, users=files["users"], complete=True, settings=SETTINGS)
    assert back.file("users").reactivated == [{"user_id": "U10011", "name": "Amra Rønning"}]
    assert _user(registry, "U10011").status == "active" and _user(registry, "U10011").removed_at is None


def test_a_removed_users_mobile_may_be_given_to_another_user(registry, files, tmp_path):
    run_import(registry, users=_without(files, tmp_path, "U10011"), complete=True, settings=SETTINGS)
    users = edited(files["users"], tmp_path / "again.csv", drop=(line_of(files["users"], "U10011,"),),
                   append=["U20100,Berit,Ny,berit.ny@nordkalotten-mottak.no,+4798503224,Mottaksadministrator,1902"])
    report = run_import(registry, users=users, complete=True, settings=SETTINGS)
    assert report.ok and report.file("users").added == 1
    assert _user(registry, "U20100").mobile == _user(registry, "U10011").mobile == "+4798503224"


def test_granted_here_and_not_yet_exported_is_kept_for_the_grace_period(registry, files):
    task_id = _grant(registry, "U20001")
    report = run_import(registry, users=files["users"], complete=True, settings=SETTINGS)
    assert [u["user_id"] for u in report.file("users").not_yet_in_imdinett] == ["U20001"]
    assert report.file("users").removed == [] and _user(registry, "U20001").status == "active"
    # After the grace period, still not in the export: removed.
    later = datetime.now(UTC) + timedelta(days=15)
    report = run_import(registry, users=files["users"], complete=True, grace_days=14, now=later, settings=SETTINGS)
    assert [u["user_id"] for u in report.file("users").removed] == ["U20001"]
    with registry() as s:
        assert s.get(Task, task_id).state == "provisioned"  # the case stays as decided


def test_once_an_export_lists_a_granted_user_a_later_absence_removes_it(registry, files, tmp_path):
    _grant(registry, "U20001")
    listed = edited(files["users"], tmp_path / "listed.csv",
                    append=["U20001,Anne,Ødegård,anne.odegard@solbakken-drift.no,+4747429543,Mottaksadministrator,0402"])
    report = run_import(registry, users=listed, complete=True, settings=SETTINGS)
    assert report.file("users").confirmed == [{"user_id": "U20001", "name": "Anne Ødegård"}]
    anne = _user(registry, "U20001")
    assert anne.first_imported_at is not None and anne.source == "grant"
    report = run_import(registry, users=files["users"], complete=True, settings=SETTINGS)
    assert [u["user_id"] for u in report.file("users").removed] == ["U20001"]


def test_an_export_that_lists_a_granted_mobile_under_another_id_replaces_it(registry, files, tmp_path):
    _grant(registry, "U99")  # the operator typed the id wrong
    listed = edited(files["users"], tmp_path / "listed.csv",
                    append=["U20001,Anne,Ødegård,anne.odegard@solbakken-drift.no,+4747429543,Mottaksadministrator,0402"])
    report = run_import(registry, users=listed, settings=SETTINGS)  # not even complete: the mobile says who it is
    assert report.ok and report.file("users").replaced == [{"user_id": "U99", "name": "Anne Ødegård", "by": "U20001"}]
    assert _user(registry, "U99").status == "removed" and _user(registry, "U20001").status == "active"
    assert "under user id U20001" in _user(registry, "U99").removed_reason


def test_a_dry_run_prints_the_same_report_and_changes_nothing(registry, files, tmp_path):
    _grant(registry, "U20001")
    users = _without(files, tmp_path, "U10011", "U10132")
    centres = edited(files["centres"], tmp_path / "centres.csv", {
        line_of(files["centres"], "0402,"): "0402,Flisa asylmottak,ordinaer,0425,Åsnes,DRO1014,false"})
    before = _state(registry)
    dry = run_import(registry, centres=centres, users=users, complete=True, dry_run=True, settings=SETTINGS)
    assert _state(registry) == before
    assert dry.dry_run and _user(registry, "U10011").status == "active"
    real = run_import(registry, centres=centres, users=users, complete=True, settings=SETTINGS)
    strip = lambda r: {**r.to_json(), "dry_run": None,  # noqa: E731
                       "removal_tasks": [{k: v for k, v in t.items() if k not in ("task_id", "case_ref")}
                                         for t in r.removal_tasks]}
    assert strip(dry) == strip(real)
    assert [u["user_id"] for u in real.file("users").removed] == ["U10011", "U10132"]


def test_a_closed_centre_raises_one_removal_task_per_administrator_for_that_centre_only(registry, files, tmp_path):
    _grant(registry, "U20001")  # Anne: Flisa (0402)
    _grant(registry, "U20002", first_name="Ivar", last_name="To", email="ivar.to@solbakken-drift.no",
           mobile="474 29 546", centres=["Flisa asylmottak", "Rena asylmottak"])  # Flisa is full: a warning only
    centres = edited(files["centres"], tmp_path / "centres.csv", {
        line_of(files["centres"], "0402,"): "0402,Flisa asylmottak,ordinaer,0425,Åsnes,DRO1014,false"})
    report = run_import(registry, centres=centres, actor="ola", settings=SETTINGS)
    assert report.file("centres").closed == [{"mottaksnummer": "0402", "name": "Flisa asylmottak"}]
    assert sorted(t["user_id"] for t in report.removal_tasks) == ["U10132", "U20001", "U20002"]
    with registry() as s:
        raised = s.scalars(select(Task).where(Task.kind == "removal").order_by(Task.user_id)).all()
        assert [(t.user_id, t.state, t.origin, [c.mottaksnummer for c in t.centres]) for t in raised] == [
            ("U10132", "review", "centre_closed", ["0402"]), ("U20001", "review", "centre_closed", ["0402"]),
            ("U20002", "review", "centre_closed", ["0402"])]
        assert all(t.message_pk is None and "Flisa asylmottak (0402) er lagt ned" in t.reason for t in raised)
        ivar = next(t.id for t in raised if t.user_id == "U20002")
        assert audit_actions(s, "task", ivar) == ["task.open"]
    # The same file again closes nothing new and raises nothing.
    assert run_import(registry, centres=centres, settings=SETTINGS).removal_tasks == []
    # Carried out: Ivar keeps Rena; Anne had only Flisa and is removed.
    with unit_of_work(registry) as s:
        for task in s.scalars(select(Task).where(Task.kind == "removal", Task.user_id.in_(["U20001", "U20002"]))):
            tasks.approve(s, task.id, actor="ola")
            tasks.mark_provisioned(s, task.id, actor="ola", settings=SETTINGS)
    with registry() as s:
        roles = s.scalars(select(RegistryUserRole.mottaksnummer).where(RegistryUserRole.user_id == "U20002")).all()
        assert roles == ["0403"] and s.get(RegistryUser, "U20002").status == "active"
        assert s.get(RegistryUser, "U20001").status == "removed"
        assert audit_actions(s, "registry_user", "U20001")[-2:] == ["registry.roles_removed", "registry.user_removed"]


def test_complete_needs_a_users_file(registry, files):
    with pytest.raises(RegistryImportError, match="--users"):
        run_import(registry, centres=files["centres"], complete=True, settings=SETTINGS)
