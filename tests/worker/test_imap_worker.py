"""The worker against a real Dovecot on 127.0.0.1: what it downloads, what it marks, IDLE, restarts."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from pipeline.adapters.db.models import MailboxState, Message
from pipeline.entrypoints.worker import Worker
from tests.mail.builders import doc_form, mail, ordinary, raw

pytestmark = pytest.mark.imap
KEYWORD = b"$IMDiSkjema"


def _messages(db) -> list[Message]:  # type: ignore[no-untyped-def]
    with db() as s:
        return list(s.scalars(select(Message).order_by(Message.id)))


def _wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def test_once_takes_only_forms_and_touches_no_other_flags(dovecot, imap_user, settings, db):
    client = dovecot.client(imap_user)
    client.append("INBOX", ordinary(0), flags=[b"\\Flagged"])
    client.append("INBOX", ordinary(1))  # unread: must stay unread
    client.append("INBOX", ordinary(2), flags=[b"\\Seen"])
    client.append("INBOX", doc_form())
    client.append("INBOX", raw(mail("Automatisk svar: Skjema")))  # a candidate by subject: auto_reply
    client.append("INBOX", raw(mail("Spørsmål", body="Vi har fylt ut skjemaet for mottaksadministrativ "
                                                      "bruker i IMDinett, men hvor sender vi det?\n")))
    worker = Worker(settings, source="imap")
    stats = worker.run(once=True)
    assert dict(stats.outcomes) == {"unreadable": 1, "auto_reply": 1, "no_form": 1}
    source = worker.source
    assert source.scanned == 6 and source.downloaded == 3
    client.select_folder("INBOX")
    flags = client.get_flags(client.search("ALL"))
    assert flags[1] == (b"\\Flagged",) and flags[2] == () and flags[3] == (b"\\Seen",)
    assert flags[4] == (KEYWORD,)  # taken: the keyword, and still unread for the people reading the box
    assert flags[5] == () and flags[6] == ()
    with db() as s:
        state = s.get(MailboxState, source.name)
        assert state.last_uid == 6 and state.last_poll_ok_at is not None and not state.login_failed
    # A second run downloads nothing.
    again = Worker(settings, source="imap")
    assert again.run(once=True).seen == 0 and again.source.downloaded == 0
    client.logout()


def test_first_run_takes_only_the_window(dovecot, imap_user, settings, db):
    from datetime import UTC, datetime, timedelta

    client = dovecot.client(imap_user)
    old = datetime.now(UTC) - timedelta(days=90)
    client.append("INBOX", doc_form("Skjema gammelt"), msg_time=old)
    client.append("INBOX", doc_form("Skjema nytt"))
    Worker(settings, source="imap").run(once=True)
    assert [m.subject for m in _messages(db)] == ["Skjema nytt"]
    client.logout()


def test_wrong_password_is_a_login_failure_in_status(dovecot, imap_user, settings, db):
    from pipeline.errors import SourceError

    worker = Worker(replace(settings, imap=replace(settings.imap, password="wrong")), source="imap")
    with pytest.raises(SourceError):
        worker.run(once=True)
    with db() as s:
        state = s.get(MailboxState, worker.source.name)
        assert state.login_failed and state.last_error
    assert not worker.check_health()


def test_move_instead_of_keyword(dovecot, imap_user, settings, db):
    settings = replace(settings, imap=replace(settings.imap, move_to="Skjema behandlet"))
    client = dovecot.client(imap_user)
    client.append("INBOX", ordinary(4))
    client.append("INBOX", doc_form())
    Worker(settings, source="imap").run(once=True)
    client.select_folder("INBOX")
    assert len(client.search("ALL")) == 1
    client.select_folder("Skjema behandlet")
    assert len(client.search("ALL")) == 1
    client.logout()


def _run_in_thread(worker: Worker) -> threading.Thread:
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    return thread


def test_message_arriving_while_in_idle_and_a_server_restart(dovecot, imap_user, settings, db):
    worker = Worker(settings, source="imap")
    thread = _run_in_thread(worker)
    try:
        _wait_for(lambda: worker.stats.seen == 0 and _polled(db, worker))
        client = dovecot.client(imap_user)
        client.append("INBOX", doc_form("Skjema i IDLE"))
        client.logout()
        _wait_for(lambda: len(_messages(db)) == 1)
        dovecot.restart()  # the connection drops; the worker reconnects with backoff
        client = dovecot.client(imap_user)
        client.append("INBOX", doc_form("Skjema etter omstart"))
        client.logout()
        _wait_for(lambda: len(_messages(db)) == 2, timeout=60)
    finally:
        worker.stop.set()
        thread.join(timeout=30)
    assert [m.subject for m in _messages(db)] == ["Skjema i IDLE", "Skjema etter omstart"]
    client = dovecot.client(imap_user)
    client.select_folder("INBOX")
    assert all(KEYWORD in f for f in client.get_flags(client.search("ALL")).values())
    client.logout()


def _polled(db, worker) -> bool:  # type: ignore[no-untyped-def]
    with db() as s:
        state = s.get(MailboxState, worker.source.name)
        return bool(state and state.last_poll_ok_at)


def test_uidvalidity_change_neither_loses_nor_repeats(dovecot, imap_user, settings, db):
    client = dovecot.client(imap_user)
    client.append("INBOX", doc_form("Skjema A"))
    client.logout()
    Worker(settings, source="imap").run(once=True)
    # Make Dovecot renumber the folder: drop its UID list and indexes while nobody is logged in.
    time.sleep(1.1)  # UIDVALIDITY is a time stamp
    dovecot.stop()
    for path in dovecot.maildir(imap_user).glob("dovecot*"):
        path.unlink()
    for path in (dovecot.maildir(imap_user) / "cur").iterdir():  # drop the keyword, as a rebuilt box may
        path.rename(path.with_name(path.name.split(":2,")[0] + ":2,"))
    dovecot.start()
    client = dovecot.client(imap_user)
    before = client.select_folder("INBOX")[b"UIDVALIDITY"]
    client.append("INBOX", doc_form("Skjema B"))
    client.logout()
    Worker(settings, source="imap").run(once=True)
    with db() as s:
        state = s.scalars(select(MailboxState)).one()
        assert state.uidvalidity == before
        assert s.scalar(select(func.count()).select_from(Message)) == 2
    assert sorted(m.subject for m in _messages(db)) == ["Skjema A", "Skjema B"]
    client = dovecot.client(imap_user)
    client.select_folder("INBOX")
    # Both carry the keyword again: A was recognised (same bytes, same mailbox) and marked at its new UID.
    assert all(KEYWORD in f for f in client.get_flags(client.search("ALL")).values())
    client.logout()


def test_structure_decides_what_is_downloaded(dovecot, imap_user, settings, db):
    """Forwarded, zipped and octet-stream forms (encoded-word name) are downloaded; a logo mail is not."""
    from tests.conftest import FIXTURES

    client = dovecot.client(imap_user)
    for slug in ("mail-forwarded", "mail-zip", "mail-octet-stream", "mail-logo-only", "mail-bounce"):
        client.append("INBOX", (FIXTURES / f"{slug}.eml").read_bytes())
    client.logout()
    worker = Worker(settings, source="imap")
    worker.run(once=True)
    assert worker.source.scanned == 5
    assert worker.source.downloaded == 3


def test_since_takes_older_mail_but_sends_it_no_automatic_reply(dovecot, imap_user, settings, db):
    from datetime import UTC, date, datetime, timedelta

    from pipeline.adapters.db.models import Reply

    client = dovecot.client(imap_user)
    client.append("INBOX", doc_form("Skjema fra i sommer"), msg_time=datetime.now(UTC) - timedelta(days=90))
    client.append("INBOX", doc_form("Skjema fra i dag"))
    client.logout()
    Worker(settings, source="imap", since=date.today() - timedelta(days=120)).run(once=True)
    assert sorted(m.subject for m in _messages(db)) == ["Skjema fra i dag", "Skjema fra i sommer"]
    with db() as s:
        states = {s.get(Message, r.message_pk).subject: r.state for r in s.scalars(select(Reply))}
    assert states["Skjema fra i sommer"] == "draft"  # the 'unreadable' reply, held for a person
    assert states["Skjema fra i dag"] in ("queued", "sent")


def test_an_iphone_photo_of_the_form_is_downloaded_and_a_signature_logo_is_not(dovecot, imap_user, settings, db,
                                                                                 registry):
    """The iPhone sends the photo inline as image0.jpeg, like a logo, under a subject that says nothing:
    the picture's size in BODYSTRUCTURE tells them apart; the photo is read by OCR into review."""
    from email.message import EmailMessage

    from pipeline.adapters.db.models import FindingRow, Task
    from tests.conftest import FIXTURES
    from tests.web.seed import fixture_file

    _, photo = fixture_file("photo-iphone-inline")
    iphone = EmailMessage()
    iphone["From"] = "Thomas Johannessen <thomas.johannessen@fjordtun-mottak.no>"
    iphone["To"] = "post@imdi.no"
    iphone["Subject"] = "Til dere"
    iphone["Message-ID"] = "<iphone-1@fjordtun-mottak.no>"
    iphone.set_content("\n\nSendt fra min iPhone\n")
    iphone.add_attachment(photo, maintype="image", subtype="jpeg", filename="image0.jpeg", disposition="inline")
    client = dovecot.client(imap_user)
    client.append("INBOX", raw(iphone))
    client.append("INBOX", (FIXTURES / "mail-logo-only.eml").read_bytes())
    client.append("INBOX", raw(mail("Til dere", body="Se vedlagt logo.\n",
                                    attachments=[("image001.png", PNG_LOGO, "image/png")])))
    worker = Worker(settings, source="imap")
    stats = worker.run(once=True)
    # The logo-only fixture comes from a driftsoperatør's domain (fjellbu.no): read whatever it looks like,
    # and it is no form. The stranger's logo is left unread.
    assert worker.source.scanned == 3 and worker.source.downloaded == 2 and worker.source.skipped == 1
    assert dict(stats.outcomes) == {"queued": 1, "no_form": 1}
    with db() as s:
        (task,) = s.scalars(select(Task)).all()
        codes = s.scalars(select(FindingRow.code).where(FindingRow.task_id == task.id)).all()
        assert task.state == "review" and "form.ocr" in codes
        assert task.reading["source"]["method"] == "ocr" and task.first_name == "Håkon"
    client.select_folder("INBOX")
    flags = client.get_flags(client.search("ALL"))
    assert flags[1] == (KEYWORD,) and flags[2] == () and flags[3] == ()
    client.logout()


# A signature logo as mail programs attach it: a real PNG of a few kB.
PNG_LOGO = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 4000


def test_answers_to_our_mail_are_read_whoever_sends_them(dovecot, imap_user, settings, db):
    """A stranger's answer has no form and no form word: it is read when its subject names a case or a review,
    or its In-Reply-To or References name one of our Message-IDs; a reply to anyone else's mail is left."""
    stranger = "Per Utenfor <per@annet.example>"
    ours = "<reply-0123456789abcdef@imdi.no>"
    client = dovecot.client(imap_user)
    client.append("INBOX", raw(mail("SV: Svar [IMDi-skjema 2026-0001]",
                                    sender=stranger, body="Se over.\n")))
    client.append("INBOX", raw(mail("SV: Gjennomgang [IMDi-gjennomgang 2026-G001]", sender=stranger,
                                    body="Alt stemmer.\n")))
    client.append("INBOX", raw(mail("SV: hei", sender=stranger, body="Ja.\n", headers={"In-Reply-To": ours})))
    client.append("INBOX", raw(mail("SV: SV: hei", sender=stranger, body="Enig.\n",
                                    headers={"In-Reply-To": "<x1@annet.example>",
                                             "References": f"{ours} <x1@annet.example>"})))
    client.append("INBOX", raw(mail("SV: lunsj", sender=stranger, body="Gjerne.\n",
                                    headers={"In-Reply-To": "<x2@annet.example>",
                                             "References": "<x2@annet.example>"})))
    client.logout()
    worker = Worker(settings, source="imap")
    worker.run(once=True)
    assert (worker.source.scanned, worker.source.downloaded, worker.source.skipped) == (5, 4, 1)
    assert [m.subject for m in _messages(db)] == ["SV: Svar [IMDi-skjema 2026-0001]",
                                                  "SV: Gjennomgang [IMDi-gjennomgang 2026-G001]", "SV: hei",
                                                  "SV: SV: hei"]
