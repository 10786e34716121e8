"""Retention: raw mail and attachments of settled messages are purged after the configured time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import Attachment, AuditEvent, Message, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.entrypoints.cli import main
from pipeline.errors import ConfigError
from pipeline.steps import tasks
from pipeline.usecases.retention import purge
from tests.queue.factory import SETTINGS, finding, make_message, make_reading, make_result

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=200)
RAW = b"From: thomas.johannessen@fjordtun-mottak.no\r\nSubject: Skjema\r\n\r\nHei\r\n"
FORM = b"PK\x03\x04 a form"


def _mail(s, *, at: datetime = OLD, outcome: str = "queued", **kw) -> Message:  # type: ignore[no-untyped-def]
    msg = make_message(s, raw=RAW, outcome=outcome, **kw)
    msg.ingested_at = at
    msg.size = len(RAW)
    msg.attachments.append(Attachment(filename="skjema.docx", content_type="application/octet-stream",
                                      size=len(FORM), sha256="ab" * 32, data=FORM, code="read",
                                      reading={"form": "mottaksadministrator"}))
    s.flush()
    return msg


def _task(s, msg: Message, **applicant):  # type: ignore[no-untyped-def]
    return tasks.open_task(s, message=msg, attachment=msg.attachments[0], reading=make_reading(),
                           result=make_result(**applicant), settings=SETTINGS)


def _held(db) -> dict[int, tuple[bool, list[bool]]]:  # type: ignore[no-untyped-def]
    """message id → (raw kept, [attachment data kept])."""
    with db() as s:
        return {m.id: (m.raw is not None, [a.data is not None for a in m.attachments])
                for m in s.scalars(select(Message).order_by(Message.id))}


@pytest.fixture
def mailbox(db):  # type: ignore[no-untyped-def]
    """Old mail in every situation, and one recent mail: name → message id."""
    ids = {}
    with unit_of_work(db) as s:
        ids["no_form"] = _mail(s, outcome="no_form").id
        for end in ("provisioned", "rejected"):
            msg = _mail(s, sender=f"{end}@nordlysomsorg.no")
            t = _task(s, msg, email=f"{end}@x.no", mobile=None, first_name=end, last_name="Test")
            tasks.approve(s, t.id, actor="ola")
            if end == "provisioned":
                tasks.mark_provisioned(s, t.id, actor="ola", user_id="U1", settings=SETTINGS)
            else:
                tasks.reject(s, t.id, actor="ola", reason="Feil", settings=SETTINGS)
            ids[end] = msg.id
        superseded = _mail(s)
        _task(s, superseded)
        ids["superseded"] = superseded.id
        ids["review"] = _mail(s).id  # supersedes the task above: open, in review
        _task(s, s.get(Message, ids["review"]))
        msg = _mail(s, sender="liv@vestvik-asyl.no")
        t = _task(s, msg, email="liv@x.no", mobile="+4790000003", first_name="Liv", last_name="Vik")
        tasks.approve(s, t.id, actor="ola")
        ids["approved"] = msg.id
        ids["retry"] = _mail(s, outcome="failed").id  # the worker will try again: keep its bytes
        ids["unprocessed"] = _mail(s, outcome=None).id
        ids["recent"] = _mail(s, at=NOW - timedelta(days=10), outcome="no_form").id
        # An open removal IMDi support asked for has no mail: it must not stop the purge of the others.
        s.add(Task(case_ref="2026-9999", kind="removal", state="review", origin="support", user_id="U1",
                   reading={}, corrections={}))
    return ids


def test_purges_settled_mail_older_than_the_setting_and_nothing_else(db, mailbox):
    report = purge(db, older_than=timedelta(days=180), now=NOW, actor="retention")
    purged = {"no_form", "provisioned", "rejected", "superseded"}
    assert sorted(report.message_ids) == sorted(mailbox[k] for k in purged)
    assert (report.messages, report.attachments, report.kept_open) == (4, 4, 2)
    assert report.bytes == 4 * (len(RAW) + len(FORM))
    held = _held(db)
    for name, mid in mailbox.items():
        gone = name in purged
        assert held[mid] == (not gone, [not gone]), name
    with db() as s:
        msg = s.get(Message, mailbox["provisioned"])
        att = msg.attachments[0]
        # metadata and readings stay
        assert (len(msg.sha256), msg.size, msg.sender, msg.outcome) == (64, len(RAW), "provisioned@nordlysomsorg.no",
                                                                         "queued")
        assert (att.filename, att.size, att.code, att.reading) == ("skjema.docx", len(FORM), "read",
                                                                    {"form": "mottaksadministrator"})
        task = s.scalars(select(Task).where(Task.message_pk == msg.id)).one()
        assert task.reading["applicant"]["first_name"] == "Kari" and task.state == "provisioned"
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "message.purged")).all()
        assert sorted(int(e.entity_id) for e in events) == sorted(report.message_ids)
        assert {e.actor for e in events} == {"retention"}
        assert events[0].details == {"raw_bytes": len(RAW), "attachments": 1, "attachment_bytes": len(FORM),
                                     "older_than_days": 180.0}
        [run] = s.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge")).all()
        assert (run.details["messages"], run.details["bytes"]) == (4, report.bytes)
    again = purge(db, older_than=timedelta(days=180), now=NOW)
    assert (again.messages, again.message_ids) == (0, [])


def test_dry_run_changes_nothing(db, mailbox):
    before = _held(db)
    report = purge(db, older_than=timedelta(days=180), now=NOW, dry_run=True, batch=2)
    assert report.messages == 4 and report.dry_run
    assert _held(db) == before
    with db() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.action.in_(
            ["message.purged", "retention.purge"]))).all() == []


def test_small_batches_purge_the_same(db, mailbox):
    assert purge(db, older_than=timedelta(days=180), now=NOW, batch=1).messages == 4
    assert purge(db, older_than=timedelta(days=5), now=NOW).message_ids == [mailbox["recent"]]


def test_never_the_mail_of_an_open_task_however_it_belongs_to_it(db):
    with unit_of_work(db) as s:
        original = _mail(s)
        task = _task(s, original, findings=None)
        tasks.request_info(s, task.id, actor="ola", settings=SETTINGS)
        # the sender's answer with a corrected form: the task's current form is in this mail
        answer = _mail(s, subject=f"SV: [IMDi-skjema {task.case_ref}]")
        assert _task(s, answer) is task and task.attachment_pk == answer.attachments[0].id
        # an answer without a form: a person reads it
        note = _mail(s, subject=f"SV: [IMDi-skjema {task.case_ref}]", outcome="no_form")
        tasks.record_answer(s, task, note, settings=SETTINGS)
        # a mail with two forms: one case settled, one still open
        both = _mail(s, sender="liv@vestvik-asyl.no")
        both.attachments.append(Attachment(filename="b.docx", size=1, data=b"x", code="read"))
        s.flush()
        done = _task(s, both, email="a@x.no", mobile="+4790000004", first_name="A", last_name="B")
        tasks.reject(s, done.id, actor="ola", reason="Feil", settings=SETTINGS)
        tasks.open_task(s, message=both, attachment=both.attachments[1], reading=make_reading(),
                        result=make_result([finding("centre.unknown", "centres")], email="c@x.no",
                                           mobile="+4790000005", first_name="C", last_name="D"), settings=SETTINGS)
        kept = [original.id, answer.id, note.id, both.id]
    report = purge(db, older_than=timedelta(days=1), now=NOW)
    assert (report.messages, report.kept_open) == (0, 4)
    assert all(_held(db)[mid][0] for mid in kept)
    with unit_of_work(db) as s:  # once the case is settled, its mail goes
        tasks.reject(s, task.id, actor="ola", reason="Trukket", settings=SETTINGS)
    assert sorted(purge(db, older_than=timedelta(days=1), now=NOW).message_ids) == sorted(kept[:3])


def test_a_negative_retention_is_refused(db):
    with pytest.raises(ConfigError):
        purge(db, older_than=timedelta(days=-1))


def run(settings, capsys, *argv: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    code = main([*argv, "--data-dir", str(settings.data_dir), "--database-url", settings.db_url])
    return code, capsys.readouterr().out


def test_purge_command(db, mailbox, settings, capsys, monkeypatch):
    old_days = (datetime.now(UTC) - OLD).days
    code, out = run(settings, capsys, "purge", "--older-than-days", str(old_days + 1), "--json")
    assert code == 0 and json.loads(out)["messages"] == 0  # nothing that old
    code, out = run(settings, capsys, "purge", "--older-than-days", str(old_days - 1), "--dry-run", "--json")
    data = json.loads(out)
    assert code == 0 and (data["messages"], data["dry_run"], data["kept_open"]) == (4, True, 2)
    monkeypatch.setenv("PIPELINE_RETENTION_DAYS", str(old_days - 1))  # the default comes from the setting
    code, out = run(settings, capsys, "purge")
    assert code == 0 and "4 meldinger" in out
    assert sum(not raw for raw, _ in _held(db).values()) == 4
    code, out = run(settings, capsys, "purge", "--older-than-days", "-3", "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "config.invalid"


def test_the_pictures_of_a_purged_form_go_with_it(db):
    from pipeline.adapters.db.models import PageImage
    from pipeline.forms.reading import PagePicture
    from pipeline.steps.pictures import store_pictures

    picture = PagePicture(1, b"\x89PNG picture", 10, 14, 595.0, 842.0)
    with unit_of_work(db) as s:
        old, recent = _mail(s, outcome="no_form"), _mail(s, at=NOW - timedelta(days=10), outcome="no_form")
        for msg in (old, recent):
            store_pictures(s, msg.attachments[0].id, [picture, PagePicture(2, b"\x89PNG", 10, 14, 595.0, 842.0)])
        kept = recent.attachments[0].id
    purge(db, older_than=timedelta(days=180), now=NOW)
    with db() as s:
        assert sorted(s.execute(select(PageImage.attachment_id, PageImage.page)).all()) == [(kept, 1), (kept, 2)]


def test_the_list_of_mail_left_unread_goes_with_the_same_retention(db):
    from pipeline.adapters.db.models import SkippedMail

    now = datetime(2027, 6, 1, tzinfo=UTC)
    with unit_of_work(db) as s:
        for uid, seen in ((1, now - timedelta(days=400)), (2, now - timedelta(days=10))):
            s.add(SkippedMail(mailbox="post@imdi.no@imap/INBOX", uidvalidity=7, uid=uid, sender="a@b.example",
                              subject="Lunsj", size=100, reason="nothing_to_read", seen_at=seen))
    dry = purge(db, older_than=timedelta(days=365), now=now, dry_run=True)
    assert dry.skipped == 1
    report = purge(db, older_than=timedelta(days=365), now=now)
    assert report.skipped == 1
    with db() as s:
        assert list(s.scalars(select(SkippedMail.uid))) == [2]
