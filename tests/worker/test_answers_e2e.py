"""The sender's side end to end through ingest_message: answers to a request for information, and
`pipeline messages retry` never telling the sender the same thing twice."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, Reply, Task
from pipeline.usecases.ingest import ingest_message, retry_message
from tests.conftest import FIXTURES
from tests.mail.builders import DOCX_TYPE, doc_form, mail, raw

SENDER = "Kari Berg <kari.berg@fjellbu.no>"


def _form(mobile: str | None, centres: tuple[str, ...] = ("Gol asylmottak",)) -> bytes:
    from tools.fixtures.docx_variants import Applicant, filled

    a = Applicant("Fjellbu Mottak AS", "Kari Berg", "kari.berg@fjellbu.no", "61 26 24 35", "Jonas", "Lunde",
                  "jonas.lunde@fjellbu.no", mobile, "Miljøarbeider", list(centres))
    return filled(a).to_bytes()


def _replies(db, **where) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with db() as s:
        q = select(Reply).order_by(Reply.id)
        for k, v in where.items():
            q = q.where(getattr(Reply, k) == v)
        return [(r.kind, r.state) for r in s.scalars(q)]


def _needs_info_task(db, settings, centres: tuple[str, ...] = ("Gol asylmottak",)) -> tuple[Task, Reply]:  # type: ignore[no-untyped-def]
    first = raw(mail("Skjema mottaksadministrator – Jonas Lunde", sender=SENDER, message_id="<first@fjellbu.no>",
                     attachments=[("Skjema - Jonas Lunde.docx", _form(None, centres), DOCX_TYPE)]))
    msg = ingest_message(db, first, source=None, settings=settings)
    assert msg.outcome == "needs_info"
    with db() as s:
        task = s.scalars(select(Task)).one()
        request = s.scalars(select(Reply).where(Reply.task_id == task.id)).one()
    assert request.kind == "needs_info" and f"[IMDi-skjema {task.case_ref}]" in request.subject
    return task, request


@pytest.mark.parametrize("found_by", ["case_ref", "threading"])
def test_answer_with_a_corrected_form_updates_the_same_task(db, settings, registry, found_by):
    task, request = _needs_info_task(db, settings)
    if found_by == "case_ref":  # the mail client dropped the threading headers; the subject kept the tag
        answer = mail(f"SV: {request.subject}", sender=SENDER, body="Her er skjemaet med mobilnummer.\n",
                      attachments=[("Skjema - Jonas Lunde.docx", _form("917 23 456"), DOCX_TYPE)])
    else:  # the subject lost the tag; In-Reply-To and References point at our request
        answer = mail("Re: Skjema", sender=SENDER, body="Rettet.\n",
                      headers={"In-Reply-To": request.rfc_message_id, "References": request.rfc_message_id},
                      attachments=[("skjema.docx", _form("917 23 456"), DOCX_TYPE)])
    msg = ingest_message(db, raw(answer), source=None, settings=settings)
    assert msg.outcome == "queued"
    with db() as s:
        tasks = s.scalars(select(Task)).all()
        assert [(t.id, t.state, t.mobile) for t in tasks] == [(task.id, "review", "+4791723456")]
        assert tasks[0].answered_at is not None
        actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.entity == "task",
                                                                         AuditEvent.entity_id == str(task.id)))]
    assert "task.answer" in actions
    # The request went (or was cancelled had it not); the sender now gets a receipt on the same case.
    assert _replies(db, task_id=task.id)[-1] == ("receipt", "queued")


def test_answer_with_a_value_in_the_body_is_recorded_on_the_task(db, settings, registry):
    """One corrected value written in the mail (no form): the task is marked answered (no reminder),
    no new case, no 'we found no form' reply; a person reads the mail and corrects the field."""
    task, request = _needs_info_task(db, settings)
    answer = mail(f"SV: {request.subject}", sender=SENDER,
                  body="Hei,\n\nMobiltelefonnummer: 917 23 456\n\nHilsen Kari\n")
    msg = ingest_message(db, raw(answer), source=None, settings=settings)
    assert msg.outcome == "no_form"
    with db() as s:
        tasks = s.scalars(select(Task)).all()
        assert [(t.id, t.state) for t in tasks] == [(task.id, "needs_info")]
        assert tasks[0].answered_at is not None
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "task.answered_without_form")).one()
    assert _replies(db) == [("needs_info", "queued")]


@pytest.mark.parametrize("body", [
    "Fornavn: Jonas\nEtternavn: Lunde\nE-postadresse: jonas.lunde@fjellbu.no\nMobiltelefonnummer: 917 23 456\n",
    # Only what was asked for, no name: still about the task's person.
    "Hei,\n\nMobiltelefonnummer: 917 23 456\nStilling: Miljøarbeider\n"
    "Hvilke mottak / akuttinnkvarteringer: Gol asylmottak\n\nHilsen Kari\n",
], ids=["with-name", "only-the-corrections"])
def test_answer_with_the_fields_in_the_body_updates_the_same_task(db, settings, registry, body):
    """Our request says the sender may write the right values in the answer: they are laid over the
    task's form (fields not written stay), checked again, and the case moves on; the form came as a
    document already, so form.in_body does not apply."""
    task, request = _needs_info_task(db, settings)
    msg = ingest_message(db, raw(mail(f"SV: {request.subject}", sender=SENDER, body=body)), source=None,
                         settings=settings)
    assert msg.outcome == "queued"
    with db() as s:
        tasks = s.scalars(select(Task)).all()
        assert [(t.id, t.state, t.mobile) for t in tasks] == [(task.id, "review", "+4791723456")]
        reading = tasks[0].reading
        assert reading["operator"]["organisation"] == "Fjellbu Mottak AS"  # kept from the form
        assert reading["applicant"]["first_name"] == "Jonas" and reading["centres"] == ["Gol asylmottak"]
        assert [f.code for f in tasks[0].findings if f.code in ("form.in_body", "field.missing")] == []
    # The first request had not gone out: it is cancelled; the sender gets a receipt.
    assert _replies(db) == [("needs_info", "cancelled"), ("receipt", "queued")]


@pytest.mark.parametrize("centres", [("Gol asylmottak",), ("Gol asylmottak", "Torpo asylmottak")])
def test_an_answer_quoting_our_request(db, settings, registry, centres):
    """Mail clients quote our request, whose 'Dette leste vi i skjemaet' list the body reader can read.
    'Takk' above it is no new information: recorded on the task, no new request. The list edited
    (the empty mobile filled in) is an answer with values."""
    task, request = _needs_info_task(db, settings, centres)
    quoted = "\n".join("> " + line for line in request.body_text.splitlines())
    msg = ingest_message(db, raw(mail(f"SV: {request.subject}", sender=SENDER, body="Takk, vi ordner det.\n\n" + quoted)),
                         source=None, settings=settings)
    with db() as s:
        t = s.get(Task, task.id)
        assert (t.state, t.mobile, t.answered_at is not None) == ("needs_info", None, True)
    assert msg.outcome == "needs_info" and _replies(db) == [("needs_info", "queued")]
    edited = quoted.replace("Mobiltelefonnummer: (ikke fylt ut)", "Mobiltelefonnummer: 917 23 456")
    msg = ingest_message(db, raw(mail(f"SV: {request.subject}", sender=SENDER, body="Her er det.\n\n" + edited)),
                         source=None, settings=settings)
    with db() as s:
        t = s.get(Task, task.id)
        assert (t.state, t.mobile) == ("review", "+4791723456")
        assert [c for c in t.reading["centres"]] == list(centres)
    assert msg.outcome == "queued"
    assert _replies(db) == [("needs_info", "cancelled"), ("receipt", "queued")]


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



def test_sender_authentication_is_stored_and_a_failure_is_a_warning(db, settings, registry):
    """Authentication-Results (our receiving host's) judged and stored with the message; a failed verdict,
    a missing header, a pass without header.from, or a sender outside the operator's domain gives
    sender.unverified on the task (a warning: review)."""
    from tools.fixtures.docx_variants import Applicant, filled

    def form(first: str, mobile: str) -> bytes:
        a = Applicant("Fjellbu Mottak AS", "Kari Berg", "kari.berg@fjellbu.no", "61 26 24 35", first, "Lunde",
                      f"{first.lower()}.lunde@fjellbu.no", mobile, "Miljøarbeider", ["Gol asylmottak"])
        return filled(a).to_bytes()

    failed = mail("Skjema – Ola Lunde", sender=SENDER, attachments=[("skjema.docx", form("Ola", "917 11 222"), DOCX_TYPE)],
                  headers={"Authentication-Results": "mx.imdi.no; spf=pass smtp.mailfrom=fjellbu.no; "
                                                     "dkim=fail header.d=fjellbu.no; dmarc=fail header.from=fjellbu.no"})
    elsewhere = mail("Skjema – Per Lunde", sender="Kari Berg <kari.berg1970@gmail.example>",
                     attachments=[("skjema.docx", form("Per", "917 11 333"), DOCX_TYPE)], verified=False)
    bare = mail("Skjema – Siv Lunde", sender=SENDER, attachments=[("skjema.docx", form("Siv", "917 11 555"), DOCX_TYPE)],
                headers={"Authentication-Results": "mx.imdi.no; spf=pass; dkim=pass; dmarc=pass"})
    passed = mail("Skjema – Åse Lunde", sender=SENDER, attachments=[("skjema.docx", form("Åse", "917 11 444"), DOCX_TYPE)])
    got = {}
    for name, m in {"failed": failed, "elsewhere": elsewhere, "bare": bare, "passed": passed}.items():
        msg = ingest_message(db, raw(m), source=None, settings=settings)
        with db() as s:
            task = s.scalars(select(Task).where(Task.message_pk == msg.id)).one()
            auth = msg.auth_results or {}
            got[name] = ((auth.get("dmarc"), auth.get("header_from")), msg.sender_verified, task.state,
                         "sender.unverified" in [f.code for f in task.findings])
    assert got["failed"] == (("fail", "fjellbu.no"), False, "review", True)
    assert got["elsewhere"] == ((None, None), False, "review", True)
    assert got["bare"] == (("pass", None), False, "review", True)
    assert got["passed"] == (("pass", "fjellbu.no"), True, "review", False)
