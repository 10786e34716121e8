"""Operator accounts as the web UI and `pipeline operators list` see them (no password hashes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import OperatorAccount
from pipeline.core.clock import aware


def is_locked(account: OperatorAccount, now: datetime | None = None) -> bool:
    until = aware(account.locked_until)
    return until is not None and until > (now or datetime.now(UTC))


@dataclass(frozen=True)
class AccountView:
    id: int
    username: str
    active: bool
    locked: bool
    failed_logins: int
    session_epoch: int
    created_at: datetime | None


def view(account: OperatorAccount) -> AccountView:
    return AccountView(account.id, account.username, bool(account.active), is_locked(account),
                       account.failed_logins or 0, account.session_epoch or 0, account.created_at)


def signed_in(session: Session, account_id: int | None, username: str | None, epoch: int | None) -> AccountView | None:
    """The account a web session belongs to, if it may still act: active, same name, and the session not
    revoked since (logout, new password). A lockout does not end it: a lockout is what strangers' wrong
    passwords cause, and a session was opened with the right one."""
    account = session.get(OperatorAccount, account_id) if account_id else None
    if (account is None or not account.active or account.username != username
            or epoch != account.session_epoch):
        return None
    return view(account)


def accounts(session: Session) -> list[AccountView]:
    return [view(a) for a in session.scalars(select(OperatorAccount).order_by(OperatorAccount.username))]


def usernames(session: Session) -> list[str]:
    """Every operator account's name (to tell an operator from the command line's $USER in the history)."""
    return list(session.scalars(select(OperatorAccount.username)))
