"""The task state machine: every transition legal and illegal, each with its audit event."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, FindingRow, Reply, Task, TaskCentre
from pipeline.adapters.db.session import unit_of_work
from pipeline.core import domain
from pipeline.errors import IllegalTransition
from pipeline.steps import tasks
from tests.queue.factory import SETTINGS, finding, make_message, open_one

BLOCK = [finding("mobile.invalid", "applicant.mobile", message_no="Mobilnummeret er ikke gyldig.")]


def _events(session, task_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.entity == "task",
                                                         AuditEvent.entity_id == str(task_id))
                                .order_by(AuditEvent.id)))


def _last(session, task_id: int) -> AuditEvent:
    return _events(session, task_id)[-1]


def _replies(session, task_id: int) -> list[Reply]:
    return list(session.scalars(select(Reply).where(Reply.task_id == task_id).order_by(Reply.id)))


def test_the_machine_as_data():
    expected = {
        ("new", "needs_info"), ("new", "review"),
        ("needs_info", "review"), ("review", "needs_info"),
        ("review", "approved"), ("needs_info", "approved"),
        ("review", "rejected"), ("needs_info", "rejected"), ("approved", "rejected"),
        ("approved", "provisioned"),
        ("review", "superseded"), ("needs_info", "superseded"),
    }
    assert expected == tasks.TRANSITIONS
    for end in domain.ENDED:
        assert not [t for t in tasks.TRANSITIONS if t[0] == end]


def test_open_without_blocking_findings_goes_to_review_with_a_receipt(db):
    with unit_of_work(db) as s:
        task = open_one(s, findings=[finding("centre.admin_limit", "centres", "warning")])
        assert task.state == "review"
        assert re.fullmatch(r"\d{4}-0001", task.case_ref)
        assert (task.first_name, task.mobile, task.operator_id) == ("Kari", "+4791234567", "DRO1007")
        assert s.scalars(select(TaskCentre.mottaksnummer).where(TaskCentre.task_id == task.id)).all() == ["0101"]
        assert s.scalars(select(FindingRow.code).where(FindingRow.task_id == task.id)).all() == ["centre.admin_limit"]
        ev = _events(s, task.id)[0]
        assert (ev.actor, ev.action, ev.details["state"]) == ("system", "task.open", {"before": "new", "after": "review"})
        [reply] = _replies(s, task.id)
        assert (reply.kind, reply.state, reply.automatic) == ("receipt", "queued", True)
        assert task.reading["applicant"]["first_name"] == "Kari"


def test_open_with_blocking_findings_asks_for_information(db):
    with unit_of_work(db) as s:
        task = open_one(s, findings=BLOCK)
        assert task.state == "needs_info" and task.state_changed_at is not None
        [reply] = _replies(s, task.id)
        assert reply.kind == "needs_info"
        assert "Mobilnummeret er ikke gyldig." in reply.body_text


def test_an_extra_blocking_finding_starts_in_needs_info(db):
    with unit_of_work(db) as s:
        task = open_one(s, extra=[finding("form.in_body", None, message_no="Skjemaet lå i e-posten.")])
        assert task.state == "needs_info"
        assert task.findings[0].details == {"extra": True}


def test_case_references_count_up(db):
    with unit_of_work(db) as s:
        refs = [open_one(s, message=make_message(s, sender=f"a{i}@fjordtun-mottak.no")).case_ref for i in range(3)]
    assert [r[-4:] for r in refs] == ["0001", "0002", "0003"]


def test_approve_review(db):
    with unit_of_work(db) as s:
        task = open_one(s)
        tasks.approve(s, task.id, actor="ola")
        assert task.state == "approved"
        ev = _last(s, task.id)
        assert (ev.actor, ev.action, ev.details["state"]) == ("ola", "task.approve",
                                                              {"before": "review", "after": "approved"})


def test_approve_with_blocking_findings_needs_an_override(db):
    with unit_of_work(db) as s:
        task = open_one(s, findings=BLOCK)
        with pytest.raises(IllegalTransition, match="mobile.invalid"):
            tasks.approve(s, task.id, actor="ola")
        with pytest.raises(IllegalTransition):
            tasks.approve(s, task.id, actor="ola", override_reason="   ")
        assert task.state == "needs_info"
        tasks.approve(s, task.id, actor="ola", override_reason="Ringt og bekreftet nummeret")
        assert task.state == "approved" and task.override_reason == "Ringt og bekreftet nummeret"
        assert _last(s, task.id).details["override_reason"] == "Ringt og bekreftet nummeret"


@pytest.mark.parametrize("start", ["review", "needs_info", "approved"])
def test_reject_from_every_open_state(db, start):
    with unit_of_work(db) as s:
        task = open_one(s, findings=BLOCK if start == "needs_info" else None)
        if start == "approved":
            tasks.approve(s, task.id, actor="ola")
        with pytest.raises(IllegalTransition, match="reason"):
            tasks.reject(s, task.id, actor="ola", reason=" ", settings=SETTINGS)
        tasks.reject(s, task.id, actor="ola", reason="Personen er ikke ansatt hos driftsoperatøren.",
                     settings=SETTINGS)
        assert task.state == "rejected" and task.decision_reason.startswith("Personen")
        assert _last(s, task.id).details["state"] == {"before": start, "after": "rejected"}
        reply = _replies(s, task.id)[-1]
        assert (reply.kind, reply.automatic) == ("rejection", False)
        assert "Personen er ikke ansatt hos driftsoperatøren." in reply.body_text


def test_request_info_from_review_and_again(db):
    with unit_of_work(db) as s:
        task = open_one(s)
        tasks.request_info(s, task.id, actor="ola", note="Gjelder det også Mysen?", settings=SETTINGS)
        assert task.state == "needs_info"
        assert _last(s, task.id).details["state"] == {"before": "review", "after": "needs_info"}
        tasks.request_info(s, task.id, actor="ola", note="Vi minner om spørsmålet.", settings=SETTINGS)
        assert task.state == "needs_info"
        notes = [r.body_text for r in _replies(s, task.id) if r.kind == "needs_info"]
        assert len(notes) == 2 and "Gjelder det også Mysen?" in notes[0]


def test_provisioned_after_approval_sends_confirmation(db):
    with unit_of_work(db) as s:
        task = open_one(s)
        with pytest.raises(IllegalTransition, match="cannot provision .* it is review"):
            tasks.mark_provisioned(s, task.id, actor="ola", user_id="U20001", settings=SETTINGS)
        tasks.approve(s, task.id, actor="ola")
        tasks.mark_provisioned(s, task.id, actor="ola", user_id="U20001", settings=SETTINGS)
        assert task.state == "provisioned" and task.provisioned_user_id == "U20001"
        ev = _last(s, task.id)
        assert ev.details == {"state": {"before": "approved", "after": "provisioned"}, "user_id": "U20001"}
        reply = _replies(s, task.id)[-1]
        assert reply.kind == "confirmation" and "Buypass Code" in reply.body_text and "+47 912 34 567" in reply.body_text


def _to_end(s, end: str) -> Task:
    task = open_one(s, message=make_message(s, sender=f"{end}@fjordtun-mottak.no"))
    if end in ("approved", "provisioned"):
        tasks.approve(s, task.id, actor="ola")
    if end == "provisioned":
        tasks.mark_provisioned(s, task.id, actor="ola", user_id=f"U{task.id}", settings=SETTINGS)
    if end == "rejected":
        tasks.reject(s, task.id, actor="ola", reason="Nei", settings=SETTINGS)
    if end == "superseded":
        open_one(s, message=make_message(s, sender=f"{end}@fjordtun-mottak.no"))
    s.flush()
    s.refresh(task)
    assert task.state == end
    return task


ACTIONS = {
    "approve": lambda s, t: tasks.approve(s, t, actor="ola", override_reason="x"),
    "reject": lambda s, t: tasks.reject(s, t, actor="ola", reason="x", settings=SETTINGS),
    "request_info": lambda s, t: tasks.request_info(s, t, actor="ola", settings=SETTINGS),
    "provision": lambda s, t: tasks.mark_provisioned(s, t, actor="ola", settings=SETTINGS),
    "correct": lambda s, t: tasks.correct(s, t, actor="ola", changes={"applicant.position": "Leder"},
                                          checker=lambda *a: None, settings=SETTINGS),  # never reached
    "confirm_reading": lambda s, t: tasks.confirm_reading(s, t, actor="ola"),
}
ILLEGAL = [(end, action) for end in ("approved", "provisioned", "rejected", "superseded") for action in ACTIONS
           if not (end == "approved" and action in ("reject", "provision"))]


@pytest.mark.parametrize(("end", "action"), ILLEGAL)
def test_illegal_transitions_are_refused_and_change_nothing(db, end, action):
    with unit_of_work(db) as s:
        task = _to_end(s, end)
        before = len(_events(s, task.id))
        with pytest.raises(IllegalTransition) as err:
            ACTIONS[action](s, task.id)
        assert err.value.code == "task.illegal_transition"
        assert f"it is {end}" in err.value.message and task.case_ref in err.value.message
        assert "Saken" in err.value.message_no
        assert task.state == end and len(_events(s, task.id)) == before
