"""Operator accounts: argon2 password hashes, failed logins counted per client and per account, audit
of every login.

The use cases (`add`, `change_password`, `unlock_account`, `login`, `logout`, in pipeline.usecases.accounts)
each own their transaction, so the account change and its audit event commit together; the login view and
`pipeline operators ...` call them. The session-level functions here are their building blocks.

What failed logins do (the rule, and why, is in pipeline/entrypoints/web/auth.py): a client that failed
`client_name_failures` times for one name, or `client_failures` times in all, within the window is
refused without a check (`throttled`) until its oldest counted failure is older than the window; an
account is locked for the window when `max_failed` wrong passwords for it, from all clients, fall
within it. A lockout refuses password logins only; sessions already open go on.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pipeline.adapters.db import audit
from pipeline.adapters.db.models import LoginFailure, OperatorAccount
from pipeline.core.clock import aware
from pipeline.errors import ConfigError, PipelineError
from pipeline.queries.accounts import is_locked
from pipeline.settings import WebSettings

log = logging.getLogger(__name__)

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
        raise PipelineError(f"invalid operator name {username!r}: letters, digits, . _ @ - (max 100)",
                            code="operator.invalid")
    if len(password) < MIN_PASSWORD:
        raise PipelineError(f"password too short: at least {MIN_PASSWORD} characters", code="operator.invalid")
    if session.scalar(select(OperatorAccount.id).where(OperatorAccount.username == username)) is not None:
        raise PipelineError(f"operator {username!r} already exists: `pipeline operators password {username}` sets a "
                            "new password", code="operator.exists")
    account = OperatorAccount(username=username, password_hash=_HASHER.hash(password), active=True,
                              failed_logins=0, session_epoch=0)
    session.add(account)
    session.flush()
    audit.record(session, actor, "operator.added", "operator", account.id, {"username": username})
    return account


def set_password(session: Session, username: str, password: str, *, actor: str = audit.SYSTEM) -> OperatorAccount:
    """A new password (forgotten, or feared known to someone else): ends the account's open sessions too."""
    if len(password) < MIN_PASSWORD:
        raise PipelineError(f"password too short: at least {MIN_PASSWORD} characters", code="operator.invalid")
    account = session.scalar(select(OperatorAccount).where(OperatorAccount.username == username))
    if account is None:
        raise PipelineError(f"no operator {username!r}: `pipeline operators list` shows them",
                            code="operator.not_found")
    account.password_hash = _HASHER.hash(password)
    _forget_failures(session, account)
    revoke_sessions(account)
    audit.record(session, actor, "operator.password_changed", "operator", account.id, {"username": username})
    return account


def unlock(session: Session, username: str, *, actor: str = audit.SYSTEM) -> OperatorAccount:
    account = session.scalar(select(OperatorAccount).where(OperatorAccount.username == username))
    if account is None:
        raise PipelineError(f"no operator {username!r}: `pipeline operators list` shows them",
                            code="operator.not_found")
    _forget_failures(session, account)
    audit.record(session, actor, "operator.unlocked", "operator", account.id, {"username": username})
    return account


def _forget_failures(session: Session, account: OperatorAccount) -> None:
    """A colleague's unlock (or a new password) forgives every failure for the name, from every client."""
    account.failed_logins = 0
    account.locked_until = None
    session.execute(delete(LoginFailure).where(LoginFailure.username == account.username))


def revoke_sessions(account: OperatorAccount) -> None:
    """End every web session of this account: the epoch each session carries no longer matches."""
    account.session_epoch = (account.session_epoch or 0) + 1


@dataclass(frozen=True)
class LoginPolicy:
    """How many failed logins stop a client, and lock an account (the rule: pipeline/entrypoints/web/auth.py)."""

    max_failed: int = 10  # wrong passwords for one account, from all clients, within the window: locked
    window_minutes: int = 15  # failures count this long; a lockout lasts as long
    client_name_failures: int = 3  # failures for one name from one client within the window: refused that name
    client_failures: int = 20  # failures for any names from one client within the window: refused

    def __post_init__(self) -> None:
        if self.client_name_failures >= self.max_failed:
            raise ConfigError(
                f"PIPELINE_WEB_CLIENT_NAME_FAILED_LOGINS={self.client_name_failures} must be below "
                f"PIPELINE_WEB_MAX_FAILED_LOGINS={self.max_failed}: otherwise one client alone locks an operator out")

    @classmethod
    def of(cls, web: WebSettings) -> LoginPolicy:
        return cls(max_failed=web.max_failed_logins, window_minutes=web.lockout_minutes,
                   client_name_failures=web.client_name_failed_logins, client_failures=web.client_failed_logins)

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    reason: str  # ok, invalid, locked, inactive
    account: OperatorAccount | None = None


def _failed(session: Session, client: str, username: str, reason: str, now: datetime) -> None:
    session.add(LoginFailure(at=now, client=client[:64], username=username[:100], reason=reason))


def _recent_password_failures(session: Session, username: str, since: datetime) -> tuple[int, int]:
    """Wrong passwords for the name within the window: how many, and from how many clients."""
    row = session.execute(
        select(func.count(LoginFailure.id), func.count(func.distinct(LoginFailure.client)))
        .where(LoginFailure.username == username, LoginFailure.reason == "password", LoginFailure.at > since)).one()
    return int(row[0]), int(row[1])


def authenticate(session: Session, username: str, password: str, *, client: str, policy: LoginPolicy,
                 now: datetime | None = None) -> LoginResult:
    """Check a login and record it. Every outcome leaves an audit event (with the client's address) and
    every failure a LoginFailure row; no password is ever logged."""
    now = now or datetime.now(UTC)
    account = session.scalar(select(OperatorAccount).where(OperatorAccount.username == username))
    if account is None:
        # Spend the same time as a real check, so response times do not reveal which names exist.
        _spend_a_check(password)
        _failed(session, client, username, "unknown", now)
        audit.record(session, ANONYMOUS, "login.failure", "operator", None,
                     {"username": username[:100], "reason": "unknown", "client": client})
        return LoginResult(False, "invalid")
    if not account.active:
        _spend_a_check(password)
        _failed(session, client, username, "inactive", now)
        audit.record(session, username, "login.failure", "operator", account.id,
                     {"reason": "inactive", "client": client})
        return LoginResult(False, "inactive")
    if is_locked(account, now):
        _spend_a_check(password)
        _failed(session, client, username, "locked", now)
        audit.record(session, username, "login.failure", "operator", account.id, {"reason": "locked", "client": client})
        return LoginResult(False, "locked")
    try:
        _HASHER.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        _failed(session, client, username, "password", now)
        session.flush()
        failures, clients = _recent_password_failures(session, username, now - policy.window)
        account.failed_logins = failures
        audit.record(session, username, "login.failure", "operator", account.id,
                     {"reason": "password", "failed_logins": failures, "client": client})
        if failures >= policy.max_failed:
            # Password logins stop for the window; open sessions go on (the guesser holds none of them).
            # The failures that locked it are older than the window when the lock ends, so they do not
            # lock it again.
            account.locked_until = now + policy.window
            audit.record(session, username, "login.lockout", "operator", account.id,
                         {"minutes": policy.window_minutes, "clients": clients})
            return LoginResult(False, "locked")
        return LoginResult(False, "invalid")
    if _HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = _HASHER.hash(password)
    # This client's own mistakes for the name are forgiven; other clients' failures still count.
    session.execute(delete(LoginFailure).where(LoginFailure.username == username, LoginFailure.client == client))
    session.flush()
    account.failed_logins = _recent_password_failures(session, username, now - policy.window)[0]
    audit.record(session, username, "login.success", "operator", account.id, {"client": client})
    return LoginResult(True, "ok", account)


def refused_until(session: Session, client: str, username: str, *, policy: LoginPolicy,
                  now: datetime) -> datetime | None:
    """When this client may try this name again, if it has used up its failures (None: it may now).
    Its nth-from-last counted failure leaving the window is what brings it back under the limit."""
    since = now - policy.window
    until: datetime | None = None
    for limit, name in ((policy.client_name_failures, username), (policy.client_failures, None)):
        query = select(LoginFailure.at).where(LoginFailure.client == client, LoginFailure.at > since)
        if name is not None:
            query = query.where(LoginFailure.username == name)
        times = list(session.scalars(query.order_by(LoginFailure.at.desc()).limit(limit)))
        if len(times) >= limit:
            free = (aware(times[-1]) or now) + policy.window
            until = free if until is None else max(until, free)
    return until


# --- use cases ------------------------------------------------------------------------------------------
