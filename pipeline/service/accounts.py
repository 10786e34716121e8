"""Operator accounts: argon2 password hashes, lockout after repeated failures, audit of every login.

The use cases (`add`, `change_password`, `unlock_account`, `login`, `logout`) each own their
transaction, so the account change and its audit event commit together; the login view and
`pipeline operators ...` call them. The session-level functions below them are their building blocks.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline import audit
from pipeline.db.models import OperatorAccount
from pipeline.db.session import unit_of_work
from pipeline.errors import ConfigError
from pipeline.queries.accounts import AccountView, is_locked, view

_HASHER = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
MIN_PASSWORD = 10
ANONYMOUS = "anonym"


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("no such operator, same cost")


def _spend_a_check(password: str) -> None:
    with contextlib.suppress(VerificationError):
        _HASHER.verify(_dummy_hash(), password)


def add_operator(session: Session, username: str, password: str, *, actor: str = audit.SYSTEM) -> OperatorAccount:
    if not _USERNAME.match(username):
        raise ConfigError(f"invalid operator name {username!r}: letters, digits, . _ @ - (max 100)")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"password too short: at least {MIN_PASSWORD} characters")
    if session.scalar(select(OperatorAccount.id).where(OperatorAccount.username == username)) is not None:
        raise ConfigError(f"operator {username!r} already exists")
    account = OperatorAccount(username=username, password_hash=_HASHER.hash(password), active=True,
                              failed_logins=0, session_epoch=0)
    session.add(account)
    session.flush()
    audit.record(session, actor, "operator.added", "operator", account.id, {"username": username})
    return account


def set_password(session: Session, username: str, password: str, *, actor: str = audit.SYSTEM) -> OperatorAccount:
    """A new password (forgotten, or feared known to someone else): ends the account's open sessions too."""
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"password too short: at least {MIN_PASSWORD} characters")
    account = session.scalar(select(OperatorAccount).where(OperatorAccount.username == username))
    if account is None:
        raise ConfigError(f"no operator {username!r}")
    account.password_hash = _HASHER.hash(password)
    account.failed_logins = 0
    account.locked_until = None
    revoke_sessions(account)
    audit.record(session, actor, "operator.password_changed", "operator", account.id, {"username": username})
    return account


def unlock(session: Session, username: str, *, actor: str = audit.SYSTEM) -> OperatorAccount:
    account = session.scalar(select(OperatorAccount).where(OperatorAccount.username == username))
    if account is None:
        raise ConfigError(f"no operator {username!r}")
    account.failed_logins = 0
    account.locked_until = None
    audit.record(session, actor, "operator.unlocked", "operator", account.id, {"username": username})
    return account


def revoke_sessions(account: OperatorAccount) -> None:
    """End every web session of this account: the epoch each session carries no longer matches."""
    account.session_epoch = (account.session_epoch or 0) + 1


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    reason: str  # ok, invalid, locked, inactive
    account: OperatorAccount | None = None


def authenticate(session: Session, username: str, password: str, *, max_failed: int, lockout_minutes: int,
                 now: datetime | None = None) -> LoginResult:
    """Check a login and record it. Every outcome leaves an audit event; no password is ever logged."""
    now = now or datetime.now(UTC)
    account = session.scalar(select(OperatorAccount).where(OperatorAccount.username == username))
    if account is None:
        # Spend the same time as a real check, so response times do not reveal which names exist.
        _spend_a_check(password)
        audit.record(session, ANONYMOUS, "login.failure", "operator", None,
                     {"username": username[:100], "reason": "unknown"})
        return LoginResult(False, "invalid")
    if not account.active:
        _spend_a_check(password)
        audit.record(session, username, "login.failure", "operator", account.id, {"reason": "inactive"})
        return LoginResult(False, "inactive")
    if is_locked(account, now):
        _spend_a_check(password)
        audit.record(session, username, "login.failure", "operator", account.id, {"reason": "locked"})
        return LoginResult(False, "locked")
    try:
        _HASHER.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        account.failed_logins = (account.failed_logins or 0) + 1
        audit.record(session, username, "login.failure", "operator", account.id,
                     {"reason": "password", "failed_logins": account.failed_logins})
        if account.failed_logins >= max_failed:
            account.locked_until = now + timedelta(minutes=lockout_minutes)
            account.failed_logins = 0
            revoke_sessions(account)
            audit.record(session, username, "login.lockout", "operator", account.id,
                         {"minutes": lockout_minutes})
            return LoginResult(False, "locked")
        return LoginResult(False, "invalid")
    if _HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = _HASHER.hash(password)
    account.failed_logins = 0
    account.locked_until = None
    audit.record(session, username, "login.success", "operator", account.id)
    return LoginResult(True, "ok", account)


# --- use cases ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    ok: bool
    reason: str  # ok, invalid, locked, inactive
    account: AccountView | None = None


def add(db: sessionmaker[Session], username: str, password: str, *, actor: str) -> AccountView:
    with unit_of_work(db) as session:
        return view(add_operator(session, username, password, actor=actor))


def change_password(db: sessionmaker[Session], username: str, password: str, *, actor: str) -> AccountView:
    with unit_of_work(db) as session:
        return view(set_password(session, username, password, actor=actor))


def unlock_account(db: sessionmaker[Session], username: str, *, actor: str) -> AccountView:
    with unit_of_work(db) as session:
        return view(unlock(session, username, actor=actor))


def login(db: sessionmaker[Session], username: str, password: str, *, max_failed: int,
          lockout_minutes: int) -> Login:
    with unit_of_work(db) as session:
        result = authenticate(session, username, password, max_failed=max_failed, lockout_minutes=lockout_minutes)
        return Login(result.ok, result.reason, view(result.account) if result.account else None)


def logout(db: sessionmaker[Session], account_id: int, *, actor: str) -> None:
    """Revoked in the database, not only forgotten by the browser: a copy of the cookie dies too (and the
    operator's sessions in other browsers end as well)."""
    with unit_of_work(db) as session:
        account = session.get(OperatorAccount, account_id)
        if account is not None:
            revoke_sessions(account)
        audit.record(session, actor, "logout", "operator", account_id)
