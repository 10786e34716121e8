"""The ingest use case and the folder source: outcomes, exactly once, failures retried then parked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipeline.adapters.db.models import Attachment, AuditEvent, Message
from pipeline.adapters.mail.sources import SourceRef
from pipeline.entrypoints.worker import Worker
from pipeline.usecases import ingest as ingest_mod
from pipeline.usecases.ingest import ingest, ingest_message, retry_message
from tests.conftest import REPO
from tests.mail.builders import PNG, doc_form, mail, ordinary, raw, zipped


def _count(db, *where) -> int:  # type: ignore[no-untyped-def]
    with db() as s:
        return int(s.scalar(select(func.count()).select_from(Message).where(*where)) or 0)


def test_ordinary_mail_is_no_form_with_its_attachments_recorded(db, settings):
    msg = ingest_message(db, ordinary(0), source=None, settings=settings)
    assert msg.outcome == "no_form"
    with db() as s:
        atts = s.scalars(select(Attachment)).all()
        assert [(a.filename, a.code) for a in atts] == [("logo.png", "not_a_form")]
        stored = s.get(Message, msg.id)
        assert stored.raw == ordinary(0) and stored.sender == "kari@fjordmottak.no"
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_auto_reply_is_recorded_and_never_read(db, settings):
    data = raw(mail("Fraværsmelding: Skjema", attachments=[("skjema.doc", b"\xd0\xcf\x11\xe0" * 10,
                                                             "application/msword")]))
    msg = ingest_message(db, data, source=None, settings=settings)
    assert msg.outcome == "auto_reply"
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0


def test_unreadable_form_records_the_code(db, settings):
    bomb = zipped(("skjema.docx", b"\0" * (30 * 1024 * 1024)))
    data = raw(mail(attachments=[("skjema.zip", bomb, "application/zip"), ("logo.png", PNG, "image/png")]))
    assert ingest_message(db, data, source=None, settings=settings).outcome == "unreadable"
    assert ingest_message(db, doc_form(), source=None, settings=settings).outcome == "unreadable"
    with db() as s:
        codes = sorted(s.scalars(select(Attachment.code)).all())
    assert codes == ["limit.exceeded", "not_a_form", "unsupported.format"]


def test_same_bytes_again_is_a_duplicate_and_same_source_is_a_no_op(db, settings):
    data = doc_form()
    src = SourceRef("box", 7, 1)
    first = ingest(db, data, source=src, settings=settings)
    assert first.new and first.taken and first.message.outcome == "unreadable"
    again = ingest(db, data, source=src, settings=settings)  # a crash between commit and mark
    assert not again.new and again.message.id == first.message.id and again.taken
    renumbered = ingest(db, data, source=SourceRef("box", 8, 1), settings=settings)  # UIDVALIDITY changed
    assert not renumbered.new and renumbered.message.id == first.message.id
    copy = ingest(db, data, source=SourceRef("box", 7, 2), settings=settings)  # sent twice
    assert copy.new and copy.message.outcome == "duplicate" and copy.message.duplicate_of_id == first.message.id
    assert copy.taken
    assert not ingest(db, data, source=SourceRef("box", 7, 2), settings=settings).new
    assert _count(db) == 2


def test_unexpected_failure_is_retried_then_parked(db, settings, monkeypatch):
    def boom(*a, **k):  # type: ignore[no-untyped-def]
        raise RuntimeError("reader exploded")

    monkeypatch.setattr(ingest_mod, "extract_forms", boom)
    data = doc_form()
    for attempt in (1, 2):
        msg = ingest_message(db, data, source=SourceRef("box", 1, 5), settings=settings, max_attempts=3)
        assert msg.outcome is None and msg.attempts == attempt and "reader exploded" in msg.error
    msg = ingest_message(db, data, source=SourceRef("box", 1, 5), settings=settings, max_attempts=3)
    assert msg.outcome == "failed" and msg.attempts == 3
    assert _count(db) == 1
    monkeypatch.undo()
    again = retry_message(db, msg.id, settings=settings)  # `pipeline messages retry ID` after a fix
    assert again.id == msg.id and again.outcome == "unreadable"


def test_failure_then_success_keeps_one_row(db, settings, monkeypatch):
    monkeypatch.setattr(ingest_mod, "extract_forms", lambda *a, **k: (_ for _ in ()).throw(ValueError("x")))
    ingest_message(db, doc_form(message_id="<one@x>"), source=None, settings=settings)
    monkeypatch.undo()
    results = ingest_mod.retry_pending(db, settings=settings)
    assert [r.message.outcome for r in results] == ["unreadable"]
    assert _count(db) == 1


def test_dir_source_worker_once_and_cli(tmp_path: Path, settings, db):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes(ordinary(1))
    (inbox / "b.eml").write_bytes(doc_form())
    (inbox / "c.eml").write_bytes(doc_form())  # the same bytes in a second file: duplicate
    (inbox / "d.eml").write_bytes(raw(mail("Automatisk svar: ferie")))
    stats = Worker(settings, source=f"dir:{inbox}").run(once=True)
    assert dict(stats.outcomes) == {"no_form": 1, "unreadable": 1, "duplicate": 1, "auto_reply": 1}
    stats = Worker(settings, source=f"dir:{inbox}").run(once=True)  # nothing new the second time
    assert stats.seen == 4 and not stats.outcomes
    args = ["--data-dir", str(settings.data_dir), "--database-url", settings.db_url]
    out = subprocess.run([sys.executable, "-m", "pipeline", "messages", "list", "--json", *args],
                         capture_output=True, text=True, cwd=REPO, check=True)
    rows = json.loads(out.stdout)
    assert [r["outcome"] for r in rows] == ["no_form", "unreadable", "duplicate", "auto_reply"]
    assert set(rows[0]) == {"id", "message_id", "sender", "subject", "outcome", "attachments"}
    assert rows[1]["attachments"] == [{"filename": "skjema.doc", "code": "unsupported.format"}]
    out = subprocess.run([sys.executable, "-m", "pipeline", "status", "--json", *args],
                         capture_output=True, text=True, cwd=REPO, check=True)
    status = json.loads(out.stdout)
    assert status["messages"]["unreadable"] == 1 and status["mailboxes"][0]["problem"] is None


@pytest.mark.parametrize("outcome", ["failed"])
def test_status_shows_failed_messages(db, settings, monkeypatch, outcome):
    from pipeline.queries.status import status

    monkeypatch.setattr(ingest_mod, "extract_forms", lambda *a, **k: (_ for _ in ()).throw(KeyError("k")))
    ingest_message(db, doc_form(), source=None, settings=settings, max_attempts=1)
    with db() as s:
        data = status(s, 30)
    assert data["messages"] == {outcome: 1} and data["failed"][0]["error"].startswith("KeyError")
    assert not data["healthy"]


def test_replies_where_they_make_sense(db, settings):
    from pipeline.adapters.db.models import Reply

    kinds = {}
    for name, data in {
        "logo": ordinary(0),  # not about the form: no reply
        "about": raw(mail("Skjema for mottaksadministrator", body="Hei, her kommer det.\n")),
        "doc": doc_form(),
        "auto": raw(mail("Automatisk svar: Skjema")),
    }.items():
        msg = ingest_message(db, data, source=None, settings=settings)
        with db() as s:
            kinds[name] = [(r.kind, r.to_addr) for r in s.scalars(select(Reply).where(Reply.message_pk == msg.id))]
    assert kinds == {"logo": [], "about": [("no_form", "kari@fjordmottak.no")],
                     "doc": [("unreadable", "kari@fjordmottak.no")], "auto": []}
    with db() as s:
        body = s.scalars(select(Reply).where(Reply.kind == "unreadable")).one().body_text
    # What was wrong, then once what to send instead.
    assert "skjema.doc: filen er i det eldre Word-formatet (.doc)" in body and body.count("Word-fil (.docx)") == 1


def test_health_problem_after_quiet_minutes():
    from datetime import UTC, datetime, timedelta

    from pipeline.adapters.db.models import MailboxState
    from pipeline.queries.status import health_problem

    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    ok = MailboxState(mailbox="m", last_poll_ok_at=now - timedelta(minutes=5), login_failed=False)
    quiet = MailboxState(mailbox="m", last_poll_ok_at=now - timedelta(minutes=45), login_failed=False,
                         last_error="IMAP: connection refused")
    assert health_problem(ok, 30, now) is None
    assert "no successful poll for more than 30 minutes" in health_problem(quiet, 30, now)
    assert "connection refused" in health_problem(quiet, 30, now)
    assert health_problem(MailboxState(mailbox="m", login_failed=True, last_error="bad password"), 30, now)


def test_messages_retry_command(db, settings, monkeypatch):
    monkeypatch.setattr(ingest_mod, "extract_forms", lambda *a, **k: (_ for _ in ()).throw(KeyError("k")))
    msg = ingest_message(db, doc_form(), source=None, settings=settings, max_attempts=1)
    assert msg.outcome == "failed"
    monkeypatch.undo()
    args = ["--data-dir", str(settings.data_dir), "--database-url", settings.db_url]
    out = subprocess.run([sys.executable, "-m", "pipeline", "messages", "retry", str(msg.id), "--json", *args],
                         capture_output=True, text=True, cwd=REPO, check=True)
    assert json.loads(out.stdout) == {"id": msg.id, "outcome": "unreadable", "error": None}


def test_no_form_reply_names_the_wrong_form(db, settings):
    """Another IMDi form attached: the sender is told that this document is not the form, not that
    nothing was attached."""
    from pipeline.adapters.db.models import Reply
    from tests.conftest import FIXTURES
    data = (FIXTURES / "docx-kommuneadministrativ.eml").read_bytes()
    msg = ingest_message(db, data, source=None, settings=settings)
    assert msg.outcome == "no_form"
    with db() as s:
        body = s.scalars(select(Reply).where(Reply.message_pk == msg.id)).one().body_text
    assert "Skjema kommuneadministrativ bruker.docx: dette er ikke skjemaet" in body
