"""Periodic access reviews: one per driftsoperatør with administrators, queued like every reply, answers read
by reference or thread, a reminder and `overdue` after the due working days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import AccessReview, AuditEvent, Reply, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.outbox import FolderOutbox
from pipeline.errors import PipelineError
from pipeline.steps import reviews
from pipeline.usecases import review_campaigns
from pipeline.usecases.ingest import ingest_message
from pipeline.usecases.reply_sending import send_due
from tests.mail.builders import mail, raw

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
GORIL = "Gøril Strand <goril.strand@solbakken-drift.no>"


def _start(registry, lsettings, *operators: str, **kw):  # type: ignore[no-untyped-def]
    return review_campaigns.start(registry, operators=operators, actor="ola", settings=lsettings, now=NOW, **kw)


def _review(registry, ref: str) -> AccessReview:  # type: ignore[no-untyped-def]
    with registry() as s:
        return s.scalar(select(AccessReview).where(AccessReview.ref == ref))


def _mail_of(registry, review_id: int, kind: str = "review") -> Reply:  # type: ignore[no-untyped-def]
    with registry() as s:
        return s.scalars(select(Reply).where(Reply.review_id == review_id, Reply.kind == kind)).one()


def _answer(registry, lsettings, subject: str, body: str, **kw):  # type: ignore[no-untyped-def]
    return ingest_message(registry, raw(mail(subject, sender=kw.pop("sender", GORIL), body=body, **kw)),
                          source=None, settings=lsettings)


def test_start_sends_one_review_per_operator_listing_its_administrators(registry, lsettings, tmp_path):
    started = _start(registry, lsettings, "DRO1014", "dro1048", "DRO9999")
    assert [(r["ref"], r["operator_id"], r["to"]) for r in started.reviews] == [
        ("2026-G001", "DRO1014", "goril.strand@solbakken-drift.no"), ("2026-G002", "DRO1048", "kari.berg@fjellbu.no")]
    assert started.skipped == [{"operator_id": "DRO9999", "reason": "no such driftsoperatør in the registry"}]
    review = _review(registry, "2026-G001")
    assert review.state == "sent" and review.due_at.replace(tzinfo=UTC) == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    flisa = next(c for c in review.listing if c["mottaksnummer"] == "0402")
    assert [a["user_id"] for a in flisa["admins"]] == ["U10132"]
    sent = _mail_of(registry, review.id)
    assert sent.state == "queued" and sent.to_addr == "goril.strand@solbakken-drift.no" and sent.task_id is None
    assert sent.subject.endswith("[IMDi-gjennomgang 2026-G001]")
    assert "Flisa asylmottak (mottaksnummer 0402):\n  - Sigrid Hagen (sigrid.hagen@solbakken-drift.no)" in sent.body_text
    assert "«Alt stemmer»" in sent.body_text and "7. desember 2026" in sent.body_text
    # Queued like every reply: the next send takes it.
    assert send_due(registry, FolderOutbox(tmp_path / "outbox")) == 2
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    # A review still waiting is not sent again.
    again = _start(registry, lsettings, "DRO1014")
    assert again.reviews == [] and "2026-G001 still waits" in again.skipped[0]["reason"]
    with registry() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.entity == "access_review")).all()
        assert actions.count("review.sent") == 2 and "review.campaign_started" in actions


def test_all_operators_with_administrators(registry, lsettings):
    started = _start(registry, lsettings, all_operators=True)
    assert len(started.reviews) >= 20 and len({r["operator_id"] for r in started.reviews}) == len(started.reviews)
    with pytest.raises(PipelineError, match="--all"):
        _start(registry, lsettings)


def test_alt_stemmer_confirms_the_review(registry, lsettings):
    _start(registry, lsettings, "DRO1014")
    msg = _answer(registry, lsettings, "SV: Gjennomgang [IMDi-gjennomgang 2026-G001]",
                  "Alt stemmer.\n\nMvh Gøril\n\n> Sigrid Hagen (sigrid.hagen@solbakken-drift.no)\n")
    assert msg.outcome == "no_form"
    review = _review(registry, "2026-G001")
    assert review.state == "confirmed" and review.answered_at is not None and review.answer_message_pk == msg.id
    assert review.answer["verdict"] == "confirmed" and review.answer["verified"] is True
    with registry() as s:
        assert s.scalars(select(Task)).all() == []


def test_people_named_as_leaving_get_one_removal_task_each(registry, lsettings):
    _start(registry, lsettings, "DRO1048")  # Fjellbu: Jon Dahl (0504, 0603), Elin Knutsen (0606), ...
    review = _review(registry, "2026-G001")
    sent = _mail_of(registry, review.id)
    msg = _answer(registry, lsettings, "Re: Gjennomgang", "Jon Dahl har sluttet. Resten stemmer.\n",
                  sender="Kari Berg <kari.berg@fjellbu.no>", headers={"In-Reply-To": sent.rfc_message_id})
    assert msg.outcome == "queued"
    review = _review(registry, "2026-G001")
    assert review.state == "changes" and review.answer["named"] == ["U10231"]
    with registry() as s:
        [task] = s.scalars(select(Task)).all()
        assert (task.kind, task.state, task.user_id, task.origin, task.review_id) == (
            "removal", "review", "U10231", "review", review.id)
        assert sorted(c.mottaksnummer for c in task.centres) == ["0504", "0603"]
        assert reviews.removal_task_ids(s, [review.id]) == {review.id: [task.id]}


def test_an_answer_that_cannot_be_read_with_confidence_goes_to_a_person(registry, lsettings):
    _start(registry, lsettings, "DRO1014")
    _answer(registry, lsettings, "SV: [IMDi-gjennomgang 2026-G001]", "Vi kommer tilbake til dette.\n")
    review = _review(registry, "2026-G001")
    assert review.state == "unclear" and review.answer["verified"] is True and review.answer["trusted"] is True
    with registry() as s:
        [task] = s.scalars(select(Task)).all()
        assert (task.kind, task.state, task.user_id, task.operator_id) == ("removal", "review", None, "DRO1014")
        assert [f.code for f in task.findings] == ["removal.person_unknown"]


def test_a_strangers_unclear_answer_is_kept_apart_and_the_review_waits(registry, lsettings):
    _start(registry, lsettings, "DRO1014")
    _answer(registry, lsettings, "SV: [IMDi-gjennomgang 2026-G001]", "Vi kommer tilbake til dette.\n",
            sender="Ukjent <noen@gmail.example>")
    review = _review(registry, "2026-G001")
    assert review.state == "sent" and review.answered_at is None
    [kept] = review.answer["untrusted"]
    assert (kept["sender"], kept["trusted"], kept["verdict"]) == ("noen@gmail.example", False, "unclear")
    with registry() as s:
        [task] = s.scalars(select(Task)).all()
        assert (task.kind, task.state, task.user_id, task.operator_id) == ("removal", "review", None, "DRO1014")
        assert [f.code for f in task.findings] == ["sender.unverified", "removal.person_unknown"]


def test_unanswered_after_the_due_working_days_one_reminder_then_overdue(registry, lsettings):
    _start(registry, lsettings, "DRO1014")
    review = _review(registry, "2026-G001")
    with unit_of_work(registry) as s:
        assert reviews.send_due_reminders(s, now=NOW + timedelta(days=13), settings=lsettings) == 0
    with unit_of_work(registry) as s:
        assert reviews.send_due_reminders(s, now=NOW + timedelta(days=14), settings=lsettings) == 1
    with unit_of_work(registry) as s:
        assert reviews.send_due_reminders(s, now=NOW + timedelta(days=30), settings=lsettings) == 0
    review = _review(registry, "2026-G001")
    assert review.state == "overdue" and review.reminder_sent_at is not None
    reminder = _mail_of(registry, review.id, "review_reminder")
    first = _mail_of(registry, review.id)
    assert reminder.in_reply_to == first.rfc_message_id and "Påminnelse" in reminder.subject
    assert reminder.subject.endswith("[IMDi-gjennomgang 2026-G001]")
    # A late answer still counts.
    _answer(registry, lsettings, f"SV: {reminder.subject}", "Bekrefter listen.\n")
    assert _review(registry, "2026-G001").state == "confirmed"
