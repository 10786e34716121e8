"""Mail sources as the pipeline remembers them (one MailboxState row each): where a source's poller is, what
it left unread, whether its polls succeed; and forgetting a source no longer used.

The IMAP source (an adapter) keeps its book through `MailboxBook`, and the worker its health through
`poll_succeeded` / `poll_failed`: each change is one unit of work of its own, here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import AccessReview, MailboxState, Message, RegistryOperator
from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.mail.skipped import Skipped, add_skipped
from pipeline.adapters.mail.structure import Interest
from pipeline.errors import PipelineError


def ensure_state(session_factory: sessionmaker[Session], name: str) -> None:
    """Create the mailbox's row if it is missing. Two workers starting together may both try: the
    unique key lets one win, and the other's IntegrityError only means the row is there now."""
    with session_factory() as session:
        if session.get(MailboxState, name) is not None:
            return
    try:
        with unit_of_work(session_factory) as session:
            session.add(MailboxState(mailbox=name, last_uid=0))
    except IntegrityError:
        pass


def poll_succeeded(session_factory: sessionmaker[Session], name: str) -> None:
    ensure_state(session_factory, name)
    with unit_of_work(session_factory) as session:
        state = session.get(MailboxState, name, with_for_update=True)
        assert state is not None
        state.last_poll_ok_at = state.last_attempt_at = datetime.now(UTC)
        state.login_failed = False
        state.last_error = None


def poll_failed(session_factory: sessionmaker[Session], name: str, error: str, *, login_failed: bool) -> None:
    ensure_state(session_factory, name)
    with unit_of_work(session_factory) as session:
        state = session.get(MailboxState, name, with_for_update=True)
        assert state is not None
        state.last_error = error[:2000]
        state.last_error_at = state.last_attempt_at = datetime.now(UTC)
        state.login_failed = login_failed


def marks_settled(session_factory: sessionmaker[Session], message_ids: Sequence[int]) -> None:
    """The server marks owed for these messages are set now."""
    if message_ids:
        with unit_of_work(session_factory) as session:
            session.execute(update(Message).where(Message.id.in_(list(message_ids))).values(mark_owed=False))


class MailboxBook:
    """What an IMAP source remembers between polls, in the database: the highest UID taken per
    UIDVALIDITY, the mail it left unread, and whose mail it reads whatever it looks like."""

    def __init__(self, session_factory: sessionmaker[Session], name: str, reply_domain: str) -> None:
        self.session_factory, self.name, self.reply_domain = session_factory, name, reply_domain

    def position(self) -> tuple[int | None, int]:
        """(UIDVALIDITY, the highest UID taken under it)."""
        ensure_state(self.session_factory, self.name)
        with self.session_factory() as session:
            state = session.get(MailboxState, self.name)
            assert state is not None
            return state.uidvalidity, state.last_uid or 0

    def save_position(self, uidvalidity: int | None, uid: int) -> None:
        with unit_of_work(self.session_factory) as session:
            state = session.get(MailboxState, self.name)
            assert state is not None
            if state.uidvalidity != uidvalidity:
                state.uidvalidity = uidvalidity
                state.last_uid = uid
            else:
                state.last_uid = max(state.last_uid or 0, uid)

    def left_unread(self, uidvalidity: int, rows: list[Skipped]) -> None:
        with unit_of_work(self.session_factory) as session:
            add_skipped(session, self.name, uidvalidity, rows)

    def interest(self) -> Interest:
        """Whose mail is read whatever it looks like: the registry's driftsoperatører (addresses and
        domains) and the addresses reviews went to; and which Message-IDs are ours."""
        with self.session_factory() as session:
            operators = session.execute(select(RegistryOperator.email, RegistryOperator.email_domain)).all()
            reviewed = session.scalars(select(AccessReview.to_addr).distinct()).all()
        addresses = {a.strip().lower() for a, _ in operators if a} | {a.strip().lower() for a in reviewed if a}
        domains = {d.strip().lower().lstrip("@") for _, d in operators if d}
        return Interest(frozenset(addresses), frozenset(domains), frozenset({self.reply_domain.lower()}))


def forget(session_factory: sessionmaker[Session], name: str, *, actor: str) -> None:
    """Forget a source that is no longer used (a mistyped folder, an old mailbox): `pipeline status` stops
    reporting it. A folder may be given as it was typed: dir:inbox is dir:/abs/path/inbox."""
    candidates = [name, f"dir:{Path(name[4:]).resolve()}"] if name.startswith("dir:") else [name]
    with unit_of_work(session_factory) as session:
        rows = list(session.scalars(select(MailboxState).where(MailboxState.mailbox.in_(candidates))))
        if not rows:
            known = ", ".join(session.scalars(select(MailboxState.mailbox).order_by(MailboxState.mailbox))) or "none"
            raise PipelineError(f"no mail source {name!r} is known (known: {known})", code="status.unknown_source")
        for row in rows:
            audit.record(session, actor, "mailbox.forgotten", "mailbox", row.mailbox,
                         {"last_poll_ok_at": str(row.last_poll_ok_at), "last_error": row.last_error})
            session.delete(row)
