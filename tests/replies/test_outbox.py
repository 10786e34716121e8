"""Sending: the folder outbox, SMTP against aiosmtpd on 127.0.0.1, retries, and crashes mid-send."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import Reply
from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.outbox import FolderOutbox, SmtpOutbox, build_message, outbox_from_settings
from pipeline.core.clock import aware, now_utc
from pipeline.errors import OutboxError
from pipeline.settings import SmtpSettings
from pipeline.usecases import reply_sending
from pipeline.usecases.reply_sending import send_due
from tests.queue.factory import SETTINGS, make_message, open_one
from tests.servers.smtp import smtp_server  # noqa: F401  (fixture)


def _outbox(server) -> SmtpOutbox:  # type: ignore[no-untyped-def]
    return SmtpOutbox(server.host, server.port, security="none", timeout=5, sender=SETTINGS.reply_from)


def _reply(db) -> int:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        task = open_one(s)
        return s.scalars(select(Reply.id).where(Reply.task_id == task.id)).one()


def _state(db, reply_id: int) -> Reply:  # type: ignore[no-untyped-def]
    with db() as s:
        return s.get(Reply, reply_id)


def test_folder_outbox_writes_one_readable_eml_per_reply(db, tmp_path):
    reply_id = _reply(db)
    outbox = FolderOutbox(tmp_path / "outbox")
    assert send_due(db, outbox) == 1
    assert send_due(db, outbox) == 0
    files = list((tmp_path / "outbox").iterdir())
    assert [p.name for p in files] == [f"{reply_id}.eml"]  # no temporary files left behind
    text = files[0].read_bytes()
    assert b"Subject: Re: Skjema mottaksadministrator [IMDi-skjema" in text
    r = _state(db, reply_id)
    assert (r.state, r.attempts, r.sent_at is not None) == ("sent", 1, True)


def test_outbox_from_settings(settings):
    assert isinstance(outbox_from_settings(settings), FolderOutbox)
    box = outbox_from_settings(replace(settings, smtp=SmtpSettings(
        host="127.0.0.1", port=2525, security="none", user="imdi", password="hemmelig", timeout=5.0)))
    assert isinstance(box, SmtpOutbox)
    assert (box.host, box.port, box.security, box.user, box.password, box.timeout) == (
        "127.0.0.1", 2525, "none", "imdi", "hemmelig", 5.0)
    assert outbox_from_settings(replace(settings, smtp=SmtpSettings(host="smtp.example.org"))).port == 587  # starttls default


def test_outbox_from_settings_refuses_an_unknown_security(settings):
    with pytest.raises(OutboxError) as err:
        outbox_from_settings(replace(settings, smtp=SmtpSettings(host="127.0.0.1", security="tls-please")))
    assert err.value.code == "config.invalid"


def test_smtp_delivers_content_and_headers(db, smtp_server):  # noqa: F811
    reply_id = _reply(db)
    assert send_due(db, _outbox(smtp_server)) == 1
    [got] = smtp_server.received
    r = _state(db, reply_id)
    assert got.rcpt_tos == ["thomas.johannessen@fjordtun-mottak.no"] and got.mail_from == "post@imdi.no"
    msg = got.message
    assert msg["Message-ID"] == r.rfc_message_id and msg["Subject"] == r.subject
    assert msg["In-Reply-To"] == r.in_reply_to and msg["Auto-Submitted"] == "auto-replied"
    assert "Takk for skjemaet" in msg.get_body(("plain",)).get_content()
    assert "Kari Fjelltun" in msg.get_body(("html",)).get_content()
    assert r.state == "sent"


def test_retry_with_backoff_while_the_server_is_down_then_up(db, smtp_server):  # noqa: F811
    reply_id = _reply(db)
    smtp_server.stop()
    assert send_due(db, _outbox(smtp_server)) == 0
    r = _state(db, reply_id)
    assert (r.state, r.attempts) == ("failed", 1) and "cannot reach SMTP" in r.last_error
    next_at = aware(r.next_attempt_at)
    # not due yet: nothing is tried
    assert send_due(db, _outbox(smtp_server), now=next_at - timedelta(seconds=1)) == 0
    assert _state(db, reply_id).attempts == 1
    assert send_due(db, _outbox(smtp_server), now=next_at + timedelta(seconds=1)) == 0  # still down
    r2 = _state(db, reply_id)
    assert r2.attempts == 2 and aware(r2.next_attempt_at) - next_at >= timedelta(minutes=4)
    smtp_server.start()
    assert send_due(db, _outbox(smtp_server), now=aware(r2.next_attempt_at) + timedelta(seconds=1)) == 1
    assert len(smtp_server.received) == 1 and _state(db, reply_id).state == "sent"


def test_gives_up_after_max_attempts_and_on_a_permanent_refusal(db, smtp_server):  # noqa: F811
    reply_id = _reply(db)
    smtp_server.handler.refuse.add("thomas.johannessen@fjordtun-mottak.no")
    assert send_due(db, _outbox(smtp_server)) == 0
    r = _state(db, reply_id)
    assert r.state == "failed" and r.next_attempt_at is None and "refused" in r.last_error
    with unit_of_work(db) as s:
        other = s.get(Reply, _reply_for(s))
        other_id = other.id
    smtp_server.stop()
    assert send_due(db, _outbox(smtp_server), max_attempts=1) == 0
    assert _state(db, other_id).next_attempt_at is None  # one attempt allowed: an operator must look


def _reply_for(s) -> int:  # type: ignore[no-untyped-def]
    task = open_one(s, message=make_message(s, sender="liv.bakken@nordlysomsorg.no"))
    return s.scalars(select(Reply.id).where(Reply.task_id == task.id)).one()


def test_no_double_send_after_a_crash_before_the_relay_accepted(db, smtp_server):  # noqa: F811
    reply_id = _reply(db)
    now = now_utc()
    # The worker claimed it (state 'sending' committed) and died before talking to the relay.
    assert reply_sending._claim(db, now, timedelta(minutes=10)) == reply_id
    assert _state(db, reply_id).state == "sending"
    # A second worker, or the restarted one, leaves it alone while the lease runs ...
    assert send_due(db, _outbox(smtp_server), now=now + timedelta(minutes=5)) == 0
    assert smtp_server.received == []
    # ... and sends it once when the lease has expired.
    assert send_due(db, _outbox(smtp_server), now=now + timedelta(minutes=11)) == 1
    assert send_due(db, _outbox(smtp_server), now=now + timedelta(hours=1)) == 0
    assert len(smtp_server.received) == 1
    r = _state(db, reply_id)
    assert (r.state, r.attempts) == ("sent", 2)


def test_a_crash_after_the_relay_accepted_resends_with_the_same_message_id(db, smtp_server):  # noqa: F811
    """The documented window: the relay said 250, the worker died before writing 'sent'."""
    reply_id = _reply(db)
    now = now_utc()
    assert reply_sending._claim(db, now, timedelta(minutes=10)) == reply_id
    with db() as s:
        _outbox(smtp_server).send(build_message(s.get(Reply, reply_id), SETTINGS.reply_from), reply_id)
    assert send_due(db, _outbox(smtp_server), now=now + timedelta(minutes=11)) == 1
    first, second = smtp_server.received
    assert first.message["Message-ID"] == second.message["Message-ID"] == _state(db, reply_id).rfc_message_id


@pytest.mark.parametrize("subject", [
    "Mottatt: fjerning av tilgang i IMDinett mottak [IMDi-skjema 2026-0007]",  # a removal receipt's subject
    "Re: Fjerne tilgang – Sigrid Hagen [IMDi-skjema 2026-0003]",
])
def test_the_subject_stays_on_the_subject_line(subject):
    # At 80 characters the email package used to write "Subject:" alone and the text on the next line.
    reply = Reply(id=7, to_addr="kari@fjellbu.no", subject=subject, body_text="Hei", body_html="<p>Hei</p>",
                  rfc_message_id="<r7@imdi.no>", automatic=True)
    raw = build_message(reply).as_bytes()
    line = next(ln for ln in raw.split(b"\r\n" if b"\r\n" in raw else b"\n") if ln.startswith(b"Subject:"))
    assert line.startswith(b"Subject: ") and len(line) > len(b"Subject: ")
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject
