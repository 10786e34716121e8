"""A form read by OCR: form.ocr holds it in review without asking the sender; an operator confirms the
reading (after any corrections), audited, and only then may it be approved. Real checks, real registry."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, Message, Reply, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.registry_store import RegistryView, import_registry
from pipeline.checks import blocks_approval, check_reading, needs_sender, overridable
from pipeline.errors import IllegalTransition
from pipeline.forms.reading import FieldValue, FormReading, Provenance
from pipeline.steps import tasks
from pipeline.steps.case_guard import StaleCase
from pipeline.usecases import case_decisions as cases
from tests.queue.factory import SETTINGS, make_message

VALUES = {"operator.organisation": "Varden Omsorg AS", "operator.manager": "Åse Berge",
          "operator.email": "ase.berge@vardenomsorg.no", "operator.phone": "69 90 49 39",
          "applicant.first_name": "Henrik", "applicant.last_name": "Solli",
          "applicant.email": "henrik.solli@vardenomsorg.no", "applicant.mobile": "+47 938 12 604",
          "applicant.position": "Assisterende mottaksleder"}


def _ocr_reading(**changes: str) -> FormReading:
    where = Provenance("ocr", {"page": 1, "bbox": [240.0, 380.0, 330.0, 395.0], "page_size": [595.0, 842.0],
                               "confidence": 93.0, "min_confidence": 90.0})
    values = {**VALUES, **changes}
    return FormReading(form="mottaksadministrator", filename="IMG_4411.jpg", format="image", method="ocr",
                       fields={p: FieldValue(v, where) for p, v in values.items()},
                       centres=[FieldValue("Askim asylmottak", where), FieldValue("Mysen asylmottak", where)])


@pytest.fixture
def registry(db, reference_dir):  # type: ignore[no-untyped-def]
    reg = reference_dir / "registry"
    with unit_of_work(db) as s:
        import_registry(s, reg / "operators.csv", reg / "centres.csv", reg / "users.csv")


def _open(db, reading: FormReading) -> int:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        message = make_message(s, sender="ase.berge@vardenomsorg.no")
        result = check_reading(reading, RegistryView(s), sender=message.sender, auth=message.auth_results, settings=SETTINGS)
        return tasks.open_task(s, message=message, attachment=None, reading=reading, result=result,
                               settings=SETTINGS).id


def _codes(db, task_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    with db() as s:
        return sorted(f.code for f in s.get(Task, task_id).findings)


def test_the_two_meanings_of_a_finding_are_apart():
    assert needs_sender("mobile.invalid") and blocks_approval("mobile.invalid") and overridable("mobile.invalid")
    assert needs_sender("field.missing:applicant.mobile")
    assert not needs_sender("form.ocr") and blocks_approval("form.ocr") and not overridable("form.ocr")
    assert not needs_sender("centre.admin_limit") and not blocks_approval("centre.admin_limit")


def test_an_ocr_reading_waits_in_review_asks_nothing_and_needs_a_confirmation(db, registry):
    task_id = _open(db, _ocr_reading())
    with db() as s:
        task = s.get(Task, task_id)
        (ocr,) = [f for f in task.findings if f.code == "form.ocr"]
        assert task.state == "review" and ocr.severity == "error" and ocr.field is None
        (receipt,) = s.scalars(select(Reply).where(Reply.task_id == task_id)).all()
        assert receipt.kind == "receipt"
        # The receipt says it was a scan that IMDi reads and checks by hand, and asks for nothing.
        assert "skannet bilde" in receipt.body_text and "kontrollerer opplysningene manuelt" in receipt.body_text
        assert "Vi har lest og kontrollert skjemaet" not in receipt.body_text
    # No approval before the confirmation, not even with an override.
    for reason in (None, "Ser riktig ut"):
        with pytest.raises(IllegalTransition, match="confirm it first") as err:
            cases.approve(db, task_id, actor="ola", override_reason=reason)
        assert "Bekreft opplesningen" in err.value.message_no
    assert cases.approve_clean(db, [(task_id, None)], actor="ola")[0].ok is False
    # A correction first: form.ocr stays (the reading is still unconfirmed).
    decided = cases.correct(db, task_id, actor="ola", changes={"applicant.position": "Mottaksleder"}, settings=SETTINGS)
    assert "form.ocr" in _codes(db, task_id)
    with pytest.raises(StaleCase):
        cases.confirm_reading(db, task_id, actor="kari", expect_version=decided.version - 1)
    decided = cases.confirm_reading(db, task_id, actor="kari", expect_version=decided.version)
    assert decided.state == "review" and "form.ocr" not in _codes(db, task_id)
    with db() as s:
        task = s.get(Task, task_id)
        assert task.reading_confirmed_by == "kari" and task.reading_confirmed_at is not None
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "task.confirm_reading")).one()
        assert event.actor == "kari" and event.details["values"]["applicant.position"] == "Mottaksleder"
        assert event.details["corrected"] == ["applicant.position"]
        assert s.scalar(select(Reply.id).where(Reply.task_id == task_id, Reply.kind != "receipt")) is None
    # Checked again after another correction: still confirmed.
    cases.correct(db, task_id, actor="kari", changes={"applicant.position": "Nestleder"}, settings=SETTINGS)
    assert "form.ocr" not in _codes(db, task_id)
    with pytest.raises(IllegalTransition, match="no OCR reading"):
        cases.confirm_reading(db, task_id, actor="kari")
    assert cases.approve(db, task_id, actor="kari").state == "approved"


def test_an_ocr_reading_with_a_problem_waits_for_a_person_before_anyone_asks_the_sender(db, registry):
    """What looks wrong in a reading made by OCR may be a misreading: the sender is not asked about it
    automatically; an operator reads the page first (and asks the sender only if the form is wrong)."""
    task_id = _open(db, _ocr_reading(**{"applicant.mobile": "938 12"}))
    with db() as s:
        task = s.get(Task, task_id)
        assert task.state == "review"
        assert {"form.ocr", "mobile.invalid"} <= {f.code for f in task.findings}
        (receipt,) = s.scalars(select(Reply).where(Reply.task_id == task_id)).all()
        assert receipt.kind == "receipt" and "mobilnummer" not in receipt.body_text.lower()
    # The operator reads the page, corrects the misread number and confirms: the case is ready.
    cases.correct(db, task_id, actor="ola", changes={"applicant.mobile": "+47 938 12 604"}, settings=SETTINGS)
    cases.confirm_reading(db, task_id, actor="ola")
    with db() as s:
        assert s.get(Task, task_id).state == "review"
    assert _codes(db, task_id) == []


def test_a_new_form_from_the_sender_must_be_confirmed_again(db, registry):
    task_id = _open(db, _ocr_reading())
    cases.confirm_reading(db, task_id, actor="ola")
    with unit_of_work(db) as s:
        task = s.get(Task, task_id)
        first = s.get(Message, task.message_pk)
        answer = make_message(s, sender="ase.berge@vardenomsorg.no", subject=f"SV: {task.case_ref}",
                              in_reply_to=first.message_id)
        reading = _ocr_reading(**{"applicant.position": "Mottaksleder"})
        result = check_reading(reading, RegistryView(s), sender=answer.sender, exclude_task_id=task_id, settings=SETTINGS)
        assert tasks.open_task(s, message=answer, attachment=None, reading=reading, result=result,
                               settings=SETTINGS).id == task_id
        assert task.reading_confirmed_by is None
    assert "form.ocr" in _codes(db, task_id)


def test_queue_confirm_from_the_command_line(db, settings, registry, capsys):
    from pipeline.entrypoints.cli import main

    task_id = _open(db, _ocr_reading())
    args = ["--data-dir", str(settings.data_dir), "--database-url", settings.db_url]
    assert main(["queue", "approve", str(task_id), "--override", "x", *args]) == 1  # refused
    assert "confirm it first" in capsys.readouterr().err
    assert main(["queue", "confirm", str(task_id), "--expect-state", "needs_info", *args]) == 1  # refused
    capsys.readouterr()
    assert main(["queue", "confirm", str(task_id), "--actor", "kari", "--expect-state", "review", "--json",
                 *args]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reading_confirmed_by"] == "kari" and "form.ocr" not in [f["code"] for f in out["findings"]]
    assert not out["blocking"]
    assert main(["queue", "approve", str(task_id), *args]) == 0
