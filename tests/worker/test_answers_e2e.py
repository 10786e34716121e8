"""The sender's side end to end through ingest_message: answers to a request for information, and
`pipeline messages retry` never telling the sender the same thing twice."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from pipeline.db.models import AuditEvent, Reply, Task
from pipeline.service.ingest import ingest_message, retry_message
from tests.conftest import FIXTURES
from tests.mail.builders import DOCX_TYPE, doc_form, mail, raw

pytest.importorskip("pipeline.service.tasks")
pytest.importorskip("pipeline.checks.check")

SENDER = "Kari Berg <kari.berg@fjellbu.no>"


def _form(mobile: str | None) -> bytes:
    from tools.fixtures.docx_variants import Applicant, filled

    a = Applicant("Fjellbu Mottak AS", "Kari Berg", "kari.berg@fjellbu.no", "61 26 24 35", "Jonas", "Lunde",
                  "jonas.lunde@fjellbu.no", mobile, "Miljøarbeider", ["Gol asylmottak"])
    return filled(a).to_bytes()


def _replies(db, **where) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with db() as s:
        q = select(Reply).order_by(Reply.id)
        for k, v in where.items():
            q = q.where(getattr(Reply, k) == v)
        return [(r.kind, r.state) for r in s.scalars(q)]


def _needs_info_task(db, settings) -> tuple[Task, Reply]:  # type: ignore[no-untyped-def]
    first = raw(mail("Skjema mottaksadministrator – Jonas Lunde", sender=SENDER, message_id="<first@fjellbu.no>",
                     attachments=[("Skjema - Jonas Lunde.docx", _form(None), DOCX_TYPE)]))
    msg = ingest_message(db, first, source=None, settings=settings)
    assert msg.outcome == "needs_info"
    with db() as s:
        task = s.scalars(select(Task)).one()
        request = s.scalars(select(Reply).where(Reply.task_id == task.id)).one()
    assert request.kind == "needs_info" and f"[IMDi-skjema {task.case_ref}]" in request.subject
    return task, request


def test_retry_of_an_unreadable_message_does_not_reply_twice(db, settings):
    msg = ingest_message(db, doc_form(), source=None, settings=settings)
    assert msg.outcome == "unreadable" and _replies(db) == [("unreadable", "queued")]
    again = retry_message(db, msg.id, settings=settings)
    assert again.outcome == "unreadable"
    assert _replies(db) == [("unreadable", "queued")]
    with db() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "reply.not_repeated")).all()


def test_retry_with_a_new_result_replaces_the_unsent_reply(db, settings, registry):
    data = (FIXTURES / "mail-zip.eml").read_bytes()
    tight = replace(settings, limits=replace(settings.limits, max_file_bytes=200))
    msg = ingest_message(db, data, source=None, settings=tight)
    assert msg.outcome == "unreadable" and _replies(db) == [("unreadable", "queued")]
    again = retry_message(db, msg.id, settings=settings)  # after the limit was raised
    assert again.outcome == "queued"
    assert _replies(db) == [("unreadable", "cancelled"), ("receipt", "queued")]

