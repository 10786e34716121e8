"""The one row per mailbox that says where the poller is and whether it is healthy."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.models import MailboxState
from pipeline.adapters.db.session import unit_of_work


def ensure_mailbox_state(factory: sessionmaker[Session], name: str) -> None:
    """Create the mailbox's row if it is missing. Two workers starting together may both try: the
    unique key lets one win, and the other's IntegrityError only means the row is there now."""
    with factory() as session:
        if session.get(MailboxState, name) is not None:
            return
    try:
        with unit_of_work(factory) as session:
            session.add(MailboxState(mailbox=name, last_uid=0))
    except IntegrityError:
        pass
