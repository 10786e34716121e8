"""Drafting replies: threading, subject, RFC 3834 marks, the loop guards, header injection, editing."""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, Reply
from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.outbox import build_message
from pipeline.errors import IllegalTransition
from pipeline.steps.replies import draft_reply, reply_subject, update_draft
from tests.queue.factory import SETTINGS, make_message, open_one

HEADERS = {"From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Auto-Submitted",
           "X-Auto-Response-Suppress", "MIME-Version", "Content-Type"}


def _parsed(reply: Reply):  # type: ignore[no-untyped-def]
    return message_from_bytes(build_message(reply, SETTINGS.reply_from).as_bytes(), policy=policy.default)


@pytest.mark.pure
@pytest.mark.parametrize(("original", "expected"), [
    ("Skjema", "Re: Skjema [IMDi-skjema 2026-0042]"),
    ("Re: Skjema", "Re: Skjema [IMDi-skjema 2026-0042]"),
    ("SV: RE: Aw: Fwd: Skjema", "Re: Skjema [IMDi-skjema 2026-0042]"),
    ("SV: Skjema [IMDi-skjema 2026-0042]", "Re: Skjema [IMDi-skjema 2026-0042]"),
    ("[IMDi-skjema 2026-0042] Re: Skjema", "Re: Skjema [IMDi-skjema 2026-0042]"),
    ("", "Re: Skjema mottatt [IMDi-skjema 2026-0042]"),
    (None, "Re: Skjema mottatt [IMDi-skjema 2026-0042]"),
])
def test_subject_has_re_once_and_the_case_reference_once(original, expected):
    assert reply_subject(original, "Skjema mottatt", "2026-0042") == expected


def test_a_reply_threads_to_the_original_and_goes_to_the_sender(db):
    with unit_of_work(db) as s:
        msg = make_message(s, subject="SV: Skjema for Kari", references="<a@x.no> <b@x.no>",
                           sender="Thomas.Johannessen@fjordtun-mottak.no")
        task = open_one(s, message=msg)
        reply = s.scalars(select(Reply).where(Reply.task_id == task.id)).one()
        assert reply.to_addr == "thomas.johannessen@fjordtun-mottak.no"
        assert reply.in_reply_to == msg.message_id
        assert reply.references == f"<a@x.no> <b@x.no> {msg.message_id}"
        assert reply.subject == f"Re: Skjema for Kari [IMDi-skjema {task.case_ref}]"
        mime = _parsed(reply)
        assert set(mime.keys()) == HEADERS
        assert mime["Message-ID"] == reply.rfc_message_id and mime["In-Reply-To"] == msg.message_id
        assert mime["Auto-Submitted"] == "auto-replied" and mime["X-Auto-Response-Suppress"] == "All"
        assert str(mime["From"]) == "IMDi <post@imdi.no>"
        assert mime.get_body(("plain",)).get_content() == reply.body_text
        assert "Kari Fjelltun" in mime.get_body(("html",)).get_content()


def test_a_decision_reply_is_not_marked_automatic(db):
    with unit_of_work(db) as s:
        task = open_one(s)
        reply = draft_reply(s, kind="rejection", task=task, automatic=False, settings=SETTINGS,
                            extra={"reason": "Nei"})
        mime = _parsed(reply)
        assert "Auto-Submitted" not in mime and "X-Auto-Response-Suppress" not in mime


@pytest.mark.parametrize("sender", ["noreply@fjordtun-mottak.no", "no-reply@x.no", "Do-Not-Reply@x.no",
                                    "donotreply@x.no", "MAILER-DAEMON@x.no", "postmaster@x.no", "no_reply@x.no"])
def test_never_to_a_no_reply_address(db, sender):
    with unit_of_work(db) as s:
        msg = make_message(s, sender=sender)
        assert draft_reply(s, kind="no_form", message=msg, settings=SETTINGS) is None
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "reply.suppressed")).one()
        assert ev.details["reason"] == "no-reply address"


@pytest.mark.parametrize("raw", [
    b"From: a@x.no\r\nAuto-Submitted: auto-replied\r\nSubject: hei\r\n\r\nbody",
    b"From: a@x.no\r\nPrecedence: bulk\r\nSubject: hei\r\n\r\nbody",
    b"From: a@x.no\r\nX-Autoreply: yes\r\nSubject: hei\r\n\r\nbody",
    b"From: a@x.no\r\nReturn-Path: <>\r\nSubject: hei\r\n\r\nbody",
    b"From: a@x.no\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b--\r\n",
])
def test_never_to_an_auto_reply_or_bounce(db, raw):
    with unit_of_work(db) as s:
        msg = make_message(s, sender="a@x.no", raw=raw)
        assert draft_reply(s, kind="no_form", message=msg, settings=SETTINGS) is None


def test_never_to_a_message_taken_as_auto_reply_or_with_an_absence_subject(db):
    with unit_of_work(db) as s:
        assert draft_reply(s, kind="no_form", message=make_message(s, outcome="auto_reply"), settings=SETTINGS) is None
        msg = make_message(s, subject="Automatisk svar: Skjema", sender="b@x.no")
        assert draft_reply(s, kind="no_form", message=msg, settings=SETTINGS) is None
        msg = make_message(s, subject="Fraværsmelding", sender="c@x.no")
        assert draft_reply(s, kind="no_form", message=msg, settings=SETTINGS) is None


def test_loop_guard_counts_replies_to_the_address_in_the_last_hour(db):
    three = replace(SETTINGS, reply_max_per_hour=3)
    with unit_of_work(db) as s:
        made = [draft_reply(s, kind="no_form", message=make_message(s, sender="loop@x.no"), settings=three)
                for _ in range(5)]
        # over the limit, replies are held as drafts for a person: nothing goes out, nothing is lost
        assert [r.state for r in made] == ["queued", "queued", "queued", "draft", "draft"]
        held = s.scalars(select(AuditEvent).where(AuditEvent.action == "reply.held")).all()
        assert len(held) == 2 and held[0].details["reason"].startswith("loop guard")
        # a person's decision is not an automatic reply: it still goes
        task = open_one(s, message=make_message(s, sender="LOOP@x.no"))
        assert draft_reply(s, kind="rejection", task=task, automatic=False, settings=SETTINGS) is not None
        # another sender is not affected
        assert draft_reply(s, kind="no_form", message=make_message(s, sender="other@x.no"), settings=SETTINGS)


def test_a_held_draft_is_released_once_and_then_sent(db, settings, capsys):
    from pipeline.entrypoints.cli import main

    one = replace(SETTINGS, reply_max_per_hour=1)
    with unit_of_work(db) as s:
        draft_reply(s, kind="no_form", message=make_message(s, sender="many@x.no"), settings=one)
        held = draft_reply(s, kind="no_form", message=make_message(s, sender="many@x.no"), settings=one)
        assert held.state == "draft"
        held_id = held.id
    args = ["--data-dir", str(settings.data_dir), "--database-url", settings.db_url]
    assert main(["replies", "release", str(held_id), "--actor", "ola", *args]) == 0
    with db() as s:
        assert s.get(Reply, held_id).state == "queued"
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "reply.released")).one()
        assert (ev.actor, ev.entity_id) == ("ola", str(held_id))
    # released once: a second release is refused
    assert main(["replies", "release", str(held_id), *args]) == 1  # a refusal (exit 1), not a usage error
    capsys.readouterr()


def test_header_injection_through_name_and_subject_cannot_add_a_header(db):
    attacks = [
        ("Kari\r\nBcc: victim@evil.example", "Skjema\r\nBcc: victim@evil.example"),
        ("=?utf-8?q?Kari=0D=0ABcc:_victim@evil.example?=", "=?utf-8?q?Skjema=0D=0ABcc:_victim@evil.example?="),
        ("Kari\nX-Injected: 1", "Hei =?utf-8?b?DQpCY2M6IHZpY3RpbUBldmlsLmV4YW1wbGU=?= der"),
    ]
    with unit_of_work(db) as s:
        for i, (name, subject) in enumerate(attacks):
            msg = make_message(s, sender=f"k{i}@fjordtun-mottak.no", sender_name=name, subject=subject)
            task = open_one(s, message=msg)
            reply = s.scalars(select(Reply).where(Reply.task_id == task.id)).one()
            raw = build_message(reply, SETTINGS.reply_from).as_bytes()
            mime = message_from_bytes(raw, policy=policy.default)
            assert set(mime.keys()) == HEADERS
            assert b"\nBcc:" not in raw and b"\nX-Injected" not in raw
            assert "\r" not in str(mime["Subject"]) and "\n" not in str(mime["Subject"])
            assert str(mime["To"]) == f"k{i}@fjordtun-mottak.no"


def test_a_sender_address_that_is_not_plain_gets_no_reply(db):
    with unit_of_work(db) as s:
        msg = make_message(s, sender="a@x.no\r\nBcc: b@y.no")
        assert draft_reply(s, kind="no_form", message=msg, settings=SETTINGS) is None


def test_update_draft_only_before_sending_and_audited(db):
    with unit_of_work(db) as s:
        task = open_one(s)
        reply = draft_reply(s, kind="rejection", task=task, automatic=False, settings=SETTINGS,
                            extra={"reason": "Nei"})
        update_draft(s, reply.id, actor="ola", subject="Avslag", body_text="Hei,\n\nNei <b>takk</b>.\n")
        assert reply.subject == f"Avslag [IMDi-skjema {task.case_ref}]"  # the case reference survives
        assert "Nei &lt;b&gt;takk&lt;/b&gt;." in reply.body_html
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "reply.edited")).one()
        assert ev.actor == "ola" and ev.details["body_text"]["after"].startswith("Hei")
        reply.state = "sent"
        with pytest.raises(IllegalTransition):
            update_draft(s, reply.id, actor="ola", subject="x")


@pytest.mark.pure
def test_plain_address():
    from pipeline.steps.replies import plain_address

    assert plain_address("kari@x.no") == "kari@x.no"
    assert plain_address("Kari Fjelltun <kari@x.no>") == "kari@x.no"
    for bad in ["", "kari", "kari@localhost", "a@x.no\r\nBcc: b@y.no", "=?utf-8?q?a?= <a@x.no>", "a b@x.no",
                "<>"]:
        assert plain_address(bad) is None, bad


def test_a_sender_stored_with_a_display_name_is_answered_at_the_address(db):
    with unit_of_work(db) as s:
        msg = make_message(s, sender="Thomas Johannessen <thomas@fjordtun-mottak.no>")
        reply = draft_reply(s, kind="no_form", message=msg, settings=SETTINGS)
        assert reply is not None and reply.to_addr == "thomas@fjordtun-mottak.no"
