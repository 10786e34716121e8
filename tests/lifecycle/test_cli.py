"""The lifecycle from the command line: queue done/remove/assign, the removal contract in queue list/show,
export's action column, registry import --complete/--dry-run, review start/list."""

from __future__ import annotations

import csv
import io
import json
import re

from sqlalchemy import select

from pipeline.adapters.db.models import RegistryUser
from pipeline.adapters.db.session import unit_of_work
from pipeline.entrypoints.cli import main
from pipeline.steps import tasks
from tests.lifecycle.conftest import open_grant, reading
from tests.registry.helpers import edited, line_of, reference


def run(settings, capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main([*argv, "--data-dir", str(settings.data_dir), "--database-url", settings.db_url])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_done_writes_the_user_and_needs_the_id_for_a_new_one(registry, lsettings, capsys):
    with unit_of_work(registry) as s:
        task = open_grant(s, reading())
        tasks.approve(s, task.id, actor="ola")
    code, _, err = run(lsettings, capsys, "queue", "done", task.case_ref)
    assert code == 2 and "error [registry.user_id_required]" in err and "U10612" in err
    code, out, _ = run(lsettings, capsys, "queue", "provisioned", task.case_ref, "--user-id", "U20001", "--json")
    assert code == 0 and json.loads(out)["provisioned_user_id"] == "U20001"
    with registry() as s:
        assert s.get(RegistryUser, "U20001").status == "active"


def test_remove_assign_and_the_removal_contract(registry, lsettings, capsys):
    code, out, _ = run(lsettings, capsys, "queue", "remove", "--user-id", "U10231", "--centre", "0603",
                       "--reason", "Sluttet 30.11.", "--actor", "ola", "--json")
    assert code == 0
    shown = json.loads(out)
    assert (shown["kind"], shown["state"], shown["user_id"], shown["origin"], shown["new"]) == (
        "removal", "review", "U10231", "support", True)
    assert shown["centres"] == [{"mottaksnummer": "0603", "name": "Gol asylmottak"}]
    assert [e["action"] for e in shown["audit"]] == ["task.open"] and shown["audit"][0]["actor"] == "ola"
    # Asked again: the pending case is named, none is added.
    code, out, _ = run(lsettings, capsys, "queue", "remove", "--user-id", "U10231", "--centre", "0603",
                       "--reason", "igjen")
    assert code == 0 and "er allerede under behandling" in out
    code, out, err = run(lsettings, capsys, "queue", "remove", "--user-id", "U10231", "--centre", "0402",
                         "--reason", "feil mottak")
    assert code == 1 and "error [registry.no_role]" in err  # the registry refuses it
    code, out, _ = run(lsettings, capsys, "queue", "list", "--kind", "removal", "--json")
    [row] = json.loads(out)
    assert row["kind"] == "removal" and row["user_id"] == "U10231" and row["message_id"] is None
    code, out, _ = run(lsettings, capsys, "queue", "list", "--json")
    assert {r["kind"] for r in json.loads(out)} == {"removal"}
    code, out, _ = run(lsettings, capsys, "queue", "show", row["case_ref"])
    assert re.search(r"Bruker: +U10231 Jon Dahl", out) and re.search(r"Bedt om av: +IMDi-støtte", out)
    # Jon Dahl is Gol's only administrator: approval asks a reason (centre.last_admin).
    code, _, err = run(lsettings, capsys, "queue", "approve", row["case_ref"])
    assert code == 1 and "centre.last_admin" in err and "--override" in err
    run(lsettings, capsys, "queue", "approve", row["case_ref"], "--override", "Ny administrator er bestilt")
    code, out, _ = run(lsettings, capsys, "queue", "export")
    [line] = list(csv.DictReader(io.StringIO(out)))
    assert (line["action"], line["user_id"], line["mottaksnummer"]) == ("fjern", "U10231", "0603")
    code, out, _ = run(lsettings, capsys, "queue", "done", row["case_ref"])
    assert code == 0 and "Fjernet" in out
    with registry() as s:
        assert s.get(RegistryUser, "U10231").status == "active"  # Gausdal (0504) is left


def test_assign_names_the_user_of_a_removal_nobody_could_tell(registry, lsettings, capsys):
    from pipeline.core.domain import ORIGIN_REVIEW
    from pipeline.steps.removals import open_removal

    with unit_of_work(registry) as s:
        task = open_removal(s, user_id=None, centres=None, origin=ORIGIN_REVIEW, reason="uklart svar",
                            operator_id="DRO1048").task
    code, _, err = run(lsettings, capsys, "queue", "approve", task.case_ref)
    assert code == 1 and "Velg hvilken bruker" not in err and "names no registry user" in err  # a refusal
    code, out, _ = run(lsettings, capsys, "queue", "assign", task.case_ref, "--user-id", "U10548", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["user_id"] == "U10548" and data["centres"] == [{"mottaksnummer": "0606", "name": "Torpo asylmottak"}]


def test_registry_import_complete_and_dry_run(registry, lsettings, capsys, reference_dir, tmp_path):
    files = reference(reference_dir)
    users = edited(files["users"], tmp_path / "users.csv", drop=(line_of(files["users"], "U10011,"),))
    code, out, _ = run(lsettings, capsys, "registry", "import", "--users", str(users), "--complete", "--dry-run")
    assert code == 0 and out.startswith("PRØVEKJØRING") and "fjernet (mangler i den fullstendige eksporten): 1" in out
    assert "U10011 Amra Rønning" in out and "ville blitt importert" in out
    with registry() as s:
        assert s.get(RegistryUser, "U10011").status == "active"
    code, out, _ = run(lsettings, capsys, "registry", "import", "--users", str(users), "--complete", "--json")
    report = json.loads(out)
    assert report["complete"] and not report["dry_run"]
    assert report["files"][0]["removed"] == [{"user_id": "U10011", "name": "Amra Rønning"}]
    with registry() as s:
        assert s.scalar(select(RegistryUser.status).where(RegistryUser.user_id == "U10011")) == "removed"
    code, _, err = run(lsettings, capsys, "registry", "import", "--centres", str(files["centres"]), "--complete")
    assert code == 2 and "--users" in err


def test_review_start_and_list(registry, lsettings, capsys):
    code, out, _ = run(lsettings, capsys, "review", "start", "--operator", "DRO1014", "--operator", "DRO1999",
                       "--due-days", "5")
    assert code == 0 and "1 gjennomgang lagt i kø" in out and "→ goril.strand@solbakken-drift.no" in out
    assert "hoppet over DRO1999: ingen slik driftsoperatør" in out
    code, out, _ = run(lsettings, capsys, "review", "list", "--json")
    [review] = json.loads(out)
    assert {k: review[k] for k in ("operator_id", "state", "answered_at", "removal_task_ids")} == {
        "operator_id": "DRO1014", "state": "sent", "answered_at": None, "removal_task_ids": []}
    assert set(review) >= {"id", "ref", "operator_id", "state", "sent_at", "answered_at", "removal_task_ids"}
    code, out, _ = run(lsettings, capsys, "review", "list")
    assert review["ref"] in out and "Sendt, venter på svar" in out and out.startswith("Gjennomgang ")
    code, _, err = run(lsettings, capsys, "review", "start")
    assert code == 2 and "--all" in err
