"""A correction checked again by the real checks against the shared registry ."""

from __future__ import annotations

from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.registry_store import RegistryView, import_registry
from pipeline.checks import check_reading
from pipeline.steps import tasks
from tests.queue.factory import SETTINGS, make_message, make_reading

VARDEN = {"operator.organisation": "Varden Omsorg AS", "operator.manager": "Åse Berge",
          "operator.email": "ase.berge@vardenomsorg.no", "operator.phone": "+4769904939",
          "applicant.email": "kari.fjelltun@vardenomsorg.no"}


def test_correcting_the_mobile_clears_needs_info_with_the_real_checks(db, reference_dir):

    reg = reference_dir / "registry"
    with unit_of_work(db) as s:
        import_registry(s, reg / "operators.csv", reg / "centres.csv", reg / "users.csv")
    with unit_of_work(db) as s:
        reading = make_reading(**VARDEN, **{"applicant.mobile": "912 34"}, centres=["Askim asylmottak"])
        message = make_message(s, sender="ase.berge@vardenomsorg.no")
        result = check_reading(reading, RegistryView(s), sender=message.sender, settings=SETTINGS)
        assert "mobile.invalid" in {f.code for f in result.findings}
        task = tasks.open_task(s, message=message, attachment=None, reading=reading, result=result,
                               settings=SETTINGS)
        assert task.state == "needs_info"
        tasks.correct(s, task.id, actor="ola", changes={"applicant.mobile": "912 34 567"}, settings=SETTINGS)
        assert task.mobile == "+4791234567"
        assert not [f.code for f in task.findings if f.severity == "error"]
        assert task.state == "review"
        assert [(c.mottaksnummer, c.name) for c in task.centres] == [("0101", "Askim asylmottak")]


def test_queue_correct_from_the_command_line(db, settings, reference_dir, capsys):
    import json

    from pipeline.entrypoints.cli import main
    from tests.queue.factory import finding, open_one

    with unit_of_work(db) as s:
        task = open_one(s, findings=[finding("mobile.invalid", "applicant.mobile")])
    code = main(["queue", "correct", str(task.id), "--set", "applicant.mobile=+47 912 34 567",
                 "--set", "centres=Askim asylmottak; Mysen asylmottak", "--actor", "ola", "--json",
                 "--data-dir", str(settings.data_dir), "--database-url", settings.db_url])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["applicant"]["mobile"] == "+4791234567"
    assert [c["written"] for c in out["centres"]] == ["Askim asylmottak", "Mysen asylmottak"]
