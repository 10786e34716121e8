"""Supersede, corrections (checked again), answers from the sender, find_task_for_reply, reminders."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, Reply, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.checks.findings import CheckResult, ResolvedCentre
from pipeline.steps import tasks
from pipeline.steps.task_data import written_values
from tests.queue.factory import (
    OPERATOR,
    PERSON,
    SETTINGS,
    finding,
    make_message,
    make_reading,
    make_result,
    open_one,
)

BLOCK = [finding("mobile.invalid", "applicant.mobile", message_no="Mobilnummeret er ikke gyldig.")]
CENTRES = {"askim asylmottak": ("0101", "Askim asylmottak"), "mysen asylmottak": ("0104", "Mysen asylmottak")}


def checker(session, reading, task, settings) -> CheckResult:
    """A small stand-in for pipeline.checks.check_reading: mobile and centre rules only."""
    findings = []
    mobile = reading.value("applicant.mobile") or ""
    if not re.fullmatch(r"\+47[49]\d{7}", mobile.replace(" ", "")):
        findings.append(finding("mobile.invalid", "applicant.mobile", message_no="Mobilnummeret er ikke gyldig."))
    centres = []
    for name in reading.centre_names():
        hit = CENTRES.get(name.casefold())
        centres.append(ResolvedCentre(name, *(hit or (None, None))))
        if not hit:
            findings.append(finding("centre.unknown", "centres", message_no=f"Vi finner ikke mottaket «{name}»."))
    applicant = {k.split(".")[1]: reading.value(k) for k in reading.fields if k.startswith("applicant.")}
    applicant["mobile"] = mobile.replace(" ", "")
    return CheckResult(findings=findings, centres=centres, applicant=applicant, operator=dict(OPERATOR),
                       operator_id="DRO1007")


def test_a_resent_form_for_the_same_person_supersedes_the_open_task(db):
    with unit_of_work(db) as s:
        first = open_one(s, findings=BLOCK)
        # same e-mail, other mobile; same mobile, other e-mail; same name: each is the same person
        second = open_one(s, mobile="+4790000001")
        third = open_one(s, email="kari@annet.no")
        assert (first.state, first.superseded_by_id) == ("superseded", second.id)
        assert (second.state, second.superseded_by_id) == ("superseded", third.id)
        assert third.state == "review"
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "task.supersede",
                                                AuditEvent.entity_id == str(first.id))).one()
        assert ev.details["state"] == {"before": "needs_info", "after": "superseded"}
        assert ev.details["superseded_by"] == second.id


def test_no_supersede_for_another_person_another_sender_or_a_decided_task(db):
    with unit_of_work(db) as s:
        kari = open_one(s)
        ola = open_one(s, first_name="Ola", last_name="Berg", email="ola@fjordtun-mottak.no", mobile="+4790000002")
        other = open_one(s, message=make_message(s, sender="liv.bakken@nordlysomsorg.no"))
        tasks.approve(s, other.id, actor="ola")
        again = open_one(s, message=make_message(s, sender="liv.bakken@nordlysomsorg.no"))
        assert kari.state == "review" and ola.state == "review"
        assert other.state == "approved" and again.state == "review"


def test_a_correction_is_checked_again_and_can_clear_needs_info(db):
    with unit_of_work(db) as s:
        task = open_one(s, findings=BLOCK, reading=make_reading(**{"applicant.mobile": "912 34"}))
        assert task.state == "needs_info"
        tasks.correct(s, task.id, actor="ola", changes={"applicant.mobile": "+47 912 34 567"},
                      checker=checker, settings=SETTINGS)
        assert task.state == "review" and task.mobile == "+4791234567"
        assert task.corrections == {"applicant.mobile": "+47 912 34 567"}
        assert task.reading["applicant"]["mobile"] == "912 34"  # as written, kept apart
        events = s.scalars(select(AuditEvent).where(AuditEvent.entity == "task",
                                                    AuditEvent.entity_id == str(task.id))
                           .order_by(AuditEvent.id)).all()
        corrected = next(e for e in events if e.action == "task.correct")
        assert corrected.actor == "ola"
        assert corrected.details["changes"] == {"applicant.mobile": {"before": "912 34", "after": "+47 912 34 567"}}
        assert events[-1].details["state"] == {"before": "needs_info", "after": "review"}
        assert s.scalars(select(Reply.kind).where(Reply.task_id == task.id).order_by(Reply.id)).all() == [
            "needs_info", "receipt"]
        # The receipt tells the sender that IMDi changed what they wrote, and shows the value in force.
        receipt = s.scalars(select(Reply).where(Reply.task_id == task.id, Reply.kind == "receipt")).one()
        assert "IMDi har rettet disse opplysningene i saken: Mobiltelefonnummer." in receipt.body_text
        assert "Mobiltelefonnummer: +47 912 34 567" in receipt.body_text
        assert "Dette leste vi i skjemaet" not in receipt.body_text
        assert "IMDi har rettet" in receipt.body_html


def test_a_correction_that_leaves_a_problem_stays_in_needs_info(db):
    with unit_of_work(db) as s:
        task = open_one(s, findings=BLOCK, extra=[finding("form.duplicate", None, "warning")])
        tasks.correct(s, task.id, actor="ola", changes={"centres": "Askim asylmottak; Ukjentby mottak"},
                      checker=checker, settings=SETTINGS)
        assert task.state == "needs_info"
        codes = sorted(f.code for f in task.findings)
        assert codes == ["centre.unknown", "form.duplicate"]  # the extra finding is kept, the mobile fixed
        assert [c.written for c in task.centres] == ["Askim asylmottak", "Ukjentby mottak"]
        assert written_values(task)["centres"] == ["Askim asylmottak", "Ukjentby mottak"]


def test_find_task_for_reply_by_case_reference_and_by_threading(db):
    with unit_of_work(db) as s:
        task = open_one(s, findings=BLOCK)
        reply = s.scalars(select(Reply).where(Reply.task_id == task.id)).one()
        original = s.get(Task, task.id).message_pk
        by_subject = make_message(s, subject=f"SV: Re: Skjema [IMDi-skjema {task.case_ref}]")
        by_reply = make_message(s, subject="SV: noe annet", in_reply_to=reply.rfc_message_id)
        by_refs = make_message(s, subject="Oppfølging",
                               references=f"<x@y> {s.get(type(by_subject), original).message_id}")
        stranger = make_message(s, subject="Hei", in_reply_to="<nothing@here>")
        assert tasks.find_task_for_reply(s, by_subject) is task
        assert tasks.find_task_for_reply(s, by_reply) is task
        assert tasks.find_task_for_reply(s, by_refs) is task
        assert tasks.find_task_for_reply(s, stranger) is None
        newer = open_one(s)  # supersedes: answers to the old case land on the live one
        assert tasks.find_task_for_reply(s, by_subject) is newer


def test_an_answer_with_a_corrected_form_updates_the_same_task(db):
    with unit_of_work(db) as s:
        task = open_one(s, findings=BLOCK, reading=make_reading(**{"applicant.mobile": "912 34"}))
        answer = make_message(s, subject=f"SV: Skjema [IMDi-skjema {task.case_ref}]")
        same = tasks.open_task(s, message=answer, attachment=None, reading=make_reading(), result=make_result(),
                               settings=SETTINGS)
        assert same is task and task.state == "review" and task.answered_at is not None
        assert s.scalar(select(Task.id).where(Task.id != task.id)) is None
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "task.answer")).one()
        assert ev.details["changes"]["applicant.mobile"] == {"before": "912 34", "after": "+4791234567"}
        kinds = s.scalars(select(Reply.kind).where(Reply.task_id == task.id).order_by(Reply.id)).all()
        assert kinds == ["needs_info", "receipt"]
        receipt = s.scalars(select(Reply).where(Reply.kind == "receipt")).one()
        assert receipt.in_reply_to == answer.message_id


def test_an_answer_from_someone_else_changes_nothing_and_is_proposed(db):
    """A form about the case's person from another sender, in the case's thread: no new case and no
    change; its values wait for an operator, and its sender gets a receipt that says nothing."""
    from pipeline.adapters.db.models import ProposedChange

    with unit_of_work(db) as s:
        task = open_one(s, findings=BLOCK)
        answer = make_message(s, sender="mallory@example.org", subject=f"Re: [IMDi-skjema {task.case_ref}]")
        same = tasks.open_task(s, message=answer, attachment=None, reading=make_reading(**{
            "applicant.mobile": "+4790000001"}), result=make_result(), settings=SETTINGS)
        assert same is task and task.state == "needs_info" and task.mobile == PERSON["mobile"]
        proposal = s.scalars(select(ProposedChange)).one()
        assert proposal.changes == {"applicant.mobile": {"before": PERSON["mobile"], "after": "+4790000001"}}
        ack = s.scalars(select(Reply).where(Reply.message_pk == answer.id)).one()
        assert ack.kind == "acknowledgement" and task.case_ref not in ack.subject + ack.body_text


def test_one_reminder_after_the_working_days(db):
    friday = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    with unit_of_work(db) as s:
        waiting = open_one(s, findings=BLOCK)
        answered = open_one(s, findings=BLOCK, message=make_message(s, sender="liv@nordlysomsorg.no"))
        reviewing = open_one(s, message=make_message(s, sender="lars@vestvik-asyl.no"))
        for t in (waiting, answered, reviewing):
            t.state_changed_at = friday
        answered.answered_at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        s.flush()
        # Friday + 2 working days = Tuesday 10:00 (the weekend does not count)
        assert tasks.send_reminders(s, datetime(2026, 11, 24, 9, 59, tzinfo=UTC), working_days=2,
                                    settings=SETTINGS) == 0
        assert tasks.send_reminders(s, datetime(2026, 11, 24, 10, 1, tzinfo=UTC), working_days=2,
                                    settings=SETTINGS) == 1
        assert tasks.send_reminders(s, datetime(2026, 11, 30, tzinfo=UTC), working_days=2, settings=SETTINGS) == 0
        reminders = s.scalars(select(Reply).where(Reply.kind == "reminder")).all()
        assert [r.task_id for r in reminders] == [waiting.id]
        assert "Mobilnummeret er ikke gyldig." in reminders[0].body_text
        assert waiting.reminder_sent_at is not None


def test_working_days_skip_the_weekend():
    friday = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert tasks.add_working_days(friday, 1) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert tasks.add_working_days(friday, 5) == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_a_form_for_a_colleague_in_the_same_thread_is_a_case_of_its_own(db):
    with unit_of_work(db) as s:
        task = open_one(s, findings=BLOCK)
        answer = make_message(s, subject=f"SV: Skjema [IMDi-skjema {task.case_ref}]")
        other = tasks.open_task(s, message=answer, attachment=None, reading=make_reading(),
                                result=make_result(first_name="Ola", last_name="Berg", email="ola@x.no",
                                                   mobile="+4790000009"), settings=SETTINGS)
        assert other is not task and task.state == "needs_info" and other.state == "review"


def test_reminders_take_the_working_days_from_the_settings(db):
    from dataclasses import replace

    friday = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    with unit_of_work(db) as s:
        waiting = open_one(s, findings=BLOCK)
        waiting.state_changed_at = friday
        s.flush()
        five = replace(SETTINGS, reminder_working_days=5)
        assert tasks.send_reminders(s, datetime(2026, 11, 26, 10, 1, tzinfo=UTC), settings=five) == 0
        assert tasks.send_reminders(s, datetime(2026, 11, 27, 10, 1, tzinfo=UTC), settings=five) == 1
