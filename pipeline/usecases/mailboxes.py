"""Mail sources as the pipeline remembers them (one MailboxState row each)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import MailboxState
from pipeline.adapters.db.session import unit_of_work
from pipeline.errors import PipelineError


def forget(db: sessionmaker[Session], name: str, *, actor: str) -> None:
    """Forget a source that is no longer used (a mistyped folder, an old mailbox): `pipeline status` stops
    reporting it. A folder may be given as it was typed: dir:inbox is dir:/abs/path/inbox."""
    candidates = [name, f"dir:{Path(name[4:]).resolve()}"] if name.startswith("dir:") else [name]
    with unit_of_work(db) as session:
        rows = list(session.scalars(select(MailboxState).where(MailboxState.mailbox.in_(candidates))))
        if not rows:
            known = ", ".join(session.scalars(select(MailboxState.mailbox).order_by(MailboxState.mailbox))) or "none"
            raise PipelineError(f"no mail source {name!r} is known (known: {known})", code="status.unknown_source")
        for row in rows:
            audit.record(session, actor, "mailbox.forgotten", "mailbox", row.mailbox,
                         {"last_poll_ok_at": str(row.last_poll_ok_at), "last_error": row.last_error})
            session.delete(row)
