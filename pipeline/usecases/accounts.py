"""Operator accounts as use cases: add, change a password, unlock, log in and out, each in its own unit of
work (the rules of a login are in pipeline.steps.credentials)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import LoginFailure, OperatorAccount
from pipeline.adapters.db.session import unit_of_work
from pipeline.queries.accounts import AccountView, view
from pipeline.steps.credentials import (
    LoginPolicy as LoginPolicy,  # the web reads its policy from here
)
from pipeline.steps.credentials import (
    add_operator,
    authenticate,
    refused_until,
    revoke_sessions,
    set_password,
    unlock,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Login:
    ok: bool
    reason: str  # ok, invalid, locked, inactive, throttled
    account: AccountView | None = None
    retry_after: int = 0  # throttled: seconds until this client may try the name again


def add(session_factory: sessionmaker[Session], username: str, password: str, *, actor: str) -> AccountView:
    with unit_of_work(session_factory) as session:
        return view(add_operator(session, username, password, actor=actor))


def change_password(session_factory: sessionmaker[Session], username: str, password: str, *, actor: str) -> AccountView:
    with unit_of_work(session_factory) as session:
        return view(set_password(session, username, password, actor=actor))


def unlock_account(session_factory: sessionmaker[Session], username: str, *, actor: str) -> AccountView:
    with unit_of_work(session_factory) as session:
        return view(unlock(session, username, actor=actor))


def login(session_factory: sessionmaker[Session], username: str, password: str, *, client: str,
          policy: LoginPolicy | None = None, now: datetime | None = None) -> Login:
    """A login from `client` (its address, as the web's client_key gives it)."""
    policy = policy or LoginPolicy()
    now = now or datetime.now(UTC)
    with unit_of_work(session_factory) as session:
        # The first statement writes, and the account's row is locked: attempts at the same moment are
        # counted one after another (on SQLite the write lock, on PostgreSQL the row lock for the name),
        # so a burst in parallel cannot slip past the limits.
        session.execute(delete(LoginFailure).where(LoginFailure.at <= now - policy.window))
        session.scalar(select(OperatorAccount.id).where(OperatorAccount.username == username).with_for_update())
        until = refused_until(session, client, username, policy=policy, now=now)
        if until is not None:
            # Refused without a check and not counted: a client that keeps trying is not locked out for
            # longer, and it cannot push the account towards its lockout. Logged, not audited, so that a
            # flood of refusals does not fill the audit trail.
            log.warning("login refused: client %s has used up its failed logins (name %r)", client, username[:100])
            return Login(False, "throttled", retry_after=max(1, math.ceil((until - now).total_seconds())))
        result = authenticate(session, username, password, client=client, policy=policy, now=now)
        return Login(result.ok, result.reason, view(result.account) if result.account else None)


def logout(session_factory: sessionmaker[Session], account_id: int, *, actor: str) -> None:
    """Revoked in the database, not only forgotten by the browser: a copy of the cookie dies too (and the
    operator's sessions in other browsers end as well)."""
    with unit_of_work(session_factory) as session:
        account = session.get(OperatorAccount, account_id)
        if account is not None:
            revoke_sessions(account)
        audit.record(session, actor, "logout", "operator", account_id)
