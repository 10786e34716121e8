"""A superseded or answered task's automatic replies that have not gone out are cancelled, and audited."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, Reply
from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.outbox import FolderOutbox
from pipeline.entrypoints.cli import main
from pipeline.errors import IllegalTransition
from pipeline.steps import tasks
from pipeline.steps.replies import draft_reply, update_draft
from pipeline.usecases.reply_sending import send_due
from tests.queue.factory import SETTINGS, finding, make_message, make_reading, make_result, open_one
from tests.queue.test_flows import BLOCK, checker


def _replies(session, task_id: int) -> list[tuple[str, str]]:
    return [(r.kind, r.state) for r in session.scalars(select(Reply).where(Reply.task_id == task_id)
                                                      .order_by(Reply.id))]


def _cancel_events(session) -> list[AuditEvent]:
    return session.scalars(select(AuditEvent).where(AuditEvent.action == "reply.cancelled")
                           .order_by(AuditEvent.id)).all()


def test_superseding_cancels_the_old_tasks_request_and_only_the_new_reply_goes(db, tmp_path):
    with unit_of_work(db) as s:
        old = open_one(s, findings=BLOCK)
        new = open_one(s, mobile="+4790000001")
        old_id, new_id = old.id, new.id
        assert old.state == "superseded"
        assert _replies(s, old_id) == [("needs_info", "cancelled")]
        assert _replies(s, new_id) == [("receipt", "queued")]
        [ev] = _cancel_events(s)
        old_reply = s.scalars(select(Reply).where(Reply.task_id == old_id)).one()
        assert (ev.entity, ev.entity_id, ev.actor) == ("reply", str(old_reply.id), "system")
        assert ev.details == {"task": old_id, "kind": "needs_info", "reason": "superseded",
                              "state": {"before": "queued", "after": "cancelled"}, "superseded_by": new_id}
        assert old_reply.next_attempt_at is None
    outbox = FolderOutbox(tmp_path / "outbox")
    assert send_due(db, outbox) == 1
    [sent] = list((tmp_path / "outbox").glob("*.eml"))
    with db() as s:
        assert sent.name == f"{s.scalars(select(Reply.id).where(Reply.task_id == new_id)).one()}.eml"
        assert _replies(s, old_id) == [("needs_info", "cancelled")]


def test_only_unsent_automatic_replies_are_cancelled(db, tmp_path):
    with unit_of_work(db) as s:
        task = open_one(s, findings=BLOCK)
        task_id = task.id
    assert send_due(db, FolderOutbox(tmp_path / "outbox")) == 1  # the request went out
    with unit_of_work(db) as s:
        task = tasks.get_for_update(s, task_id)
        sending = draft_reply(s, kind="reminder", task=task, settings=SETTINGS)
        sending.state = "sending"  # claimed by a worker: it may be at the relay already
        failed = draft_reply(s, kind="reminder", task=task, settings=SETTINGS)
        failed.state, failed.next_attempt_at = "failed", datetime.now(UTC) + timedelta(minutes=5)
        draft = draft_reply(s, kind="reminder", task=task, settings=SETTINGS, state="draft")
        tasks.request_info(s, task_id, actor="ola", note="Gjelder det også Mysen?", settings=SETTINGS)
        open_one(s, mobile="+4790000001")
        assert _replies(s, task_id) == [
            ("needs_info", "sent"), ("reminder", "sending"), ("reminder", "cancelled"), ("reminder", "cancelled"),
            ("needs_info", "queued"),  # an operator's own request: a person decides whether it still applies
        ]
        assert failed.next_attempt_at is None  # no retry of a cancelled reply
        assert [e.details["state"]["before"] for e in _cancel_events(s)] == ["failed", "draft"]
        assert [int(e.entity_id) for e in _cancel_events(s)] == [failed.id, draft.id]
        assert sending.state == "sending"


def test_an_answer_cancels_the_request_and_the_reminder_not_yet_sent(db):
    friday = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    with unit_of_work(db) as s:
        task = open_one(s, findings=BLOCK, reading=make_reading(**{"applicant.mobile": "912 34"}))
        task.state_changed_at = friday
        s.flush()
        assert tasks.send_reminders(s, friday + timedelta(days=7), settings=SETTINGS) == 1
        answer = make_message(s, subject=f"SV: Skjema [IMDi-skjema {task.case_ref}]")
        same = tasks.open_task(s, message=answer, attachment=None, reading=make_reading(), result=make_result(),
                               settings=SETTINGS)
        assert same is task and task.state == "review"
        assert _replies(s, task.id) == [("needs_info", "cancelled"), ("reminder", "cancelled"), ("receipt", "queued")]
        events = _cancel_events(s)
        assert [(e.details["kind"], e.details["reason"], e.details["message"]) for e in events] == [
            ("needs_info", "answered", answer.id), ("reminder", "answered", answer.id)]


def test_an_answer_that_still_needs_information_replaces_the_pending_request(db):
    with unit_of_work(db) as s:
        task = open_one(s, findings=BLOCK)
        answer = make_message(s, subject=f"SV: [IMDi-skjema {task.case_ref}]")
        tasks.open_task(s, message=answer, attachment=None, reading=make_reading(),
                        result=make_result([finding("centre.unknown", "centres")]), settings=SETTINGS)
        assert task.state == "needs_info"
        assert _replies(s, task.id) == [("needs_info", "cancelled"), ("needs_info", "queued")]


def test_a_correction_that_clears_the_task_cancels_the_pending_request(db):
    with unit_of_work(db) as s:
        task = open_one(s, findings=BLOCK, reading=make_reading(**{"applicant.mobile": "912 34"}))
        tasks.correct(s, task.id, actor="ola", changes={"applicant.mobile": "+47 912 34 567"},
                      checker=checker, settings=SETTINGS)
        assert task.state == "review"
        assert _replies(s, task.id) == [("needs_info", "cancelled"), ("receipt", "queued")]
        [ev] = _cancel_events(s)
        assert (ev.actor, ev.details["reason"]) == ("ola", "corrected")


def test_a_cancelled_reply_cannot_be_edited_and_does_not_count_towards_the_loop_guard(db):
    two = replace(SETTINGS, reply_max_per_hour=2)
    with unit_of_work(db) as s:
        old = open_one(s, findings=BLOCK)
        open_one(s, mobile="+4790000001")
        cancelled = s.scalars(select(Reply).where(Reply.task_id == old.id)).one()
        with pytest.raises(IllegalTransition):
            update_draft(s, cancelled.id, actor="ola", body_text="Hei")
        # two replies to the address in the last hour, one of them cancelled: one more may go
        assert draft_reply(s, kind="no_form", message=make_message(s), settings=two).state == "queued"
        assert draft_reply(s, kind="no_form", message=make_message(s), settings=two).state == "draft"


def test_replies_list_shows_cancelled_replies(db, settings, capsys):
    with unit_of_work(db) as s:
        old = open_one(s, findings=BLOCK)
        open_one(s, mobile="+4790000001")
        old_id = old.id
    code = main(["replies", "list", "--state", "cancelled", "--json", "--data-dir", str(settings.data_dir),
                 "--database-url", settings.db_url])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0 and [(r["task_id"], r["state"]) for r in rows] == [(old_id, "cancelled")]
