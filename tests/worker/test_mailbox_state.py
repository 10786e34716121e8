"""Two workers starting together both find no mailbox row and both create it: one wins, neither fails."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import MailboxState
from pipeline.adapters.db.session import unit_of_work
from pipeline.usecases.mailboxes import ensure_state as ensure_mailbox_state


def test_a_row_created_by_another_worker_in_between_is_not_an_error(db, monkeypatch):
    real_get = Session.get
    calls = {"n": 0}

    def get_after_the_other_worker(self, entity, ident, **kw):  # type: ignore[no-untyped-def]
        if entity is MailboxState and calls["n"] == 0:
            calls["n"] += 1
            # The other worker inserts between our look-up and our insert.
            with unit_of_work(db) as other:
                other.add(MailboxState(mailbox="INBOX@imap", last_uid=7))
            return None
        return real_get(self, entity, ident, **kw)

    monkeypatch.setattr(Session, "get", get_after_the_other_worker)
    ensure_mailbox_state(db, "INBOX@imap")
    monkeypatch.undo()
    with db() as s:
        assert s.scalar(select(func.count()).select_from(MailboxState)) == 1
        assert s.get(MailboxState, "INBOX@imap").last_uid == 7  # the winner's row is untouched


def test_an_existing_row_is_left_alone(db):
    ensure_mailbox_state(db, "dir:x")
    ensure_mailbox_state(db, "dir:x")
    with db() as s:
        assert s.scalar(select(func.count()).select_from(MailboxState)) == 1
