"""What operations watch: is the pipeline taking in mail, and does anything need a person? Counts only.

    health(session, minutes) -> Health     for GET /healthz: the newest successful poll, mailbox problems,
                                           failed messages
    gauges(session, now=...) -> Gauges     for /metrics: messages by outcome, cases by state and kind, replies
                                           by state, each mailbox's poll age, held replies, failed web logins

Nothing here names a person, an address or a subject: both are served without a login.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import LoginFailure, MailboxState, Message, Reply, Task
from pipeline.core.clock import aware, now_utc
from pipeline.queries.status import health_problem


@dataclass(frozen=True)
class Health:
    last_poll_ok_at: datetime | None  # the newest successful poll of any mail source
    mailbox_problems: int  # sources with no successful poll for too long, or a failed login
    failed_messages: int  # parked as failed, or waiting for another try

    @property
    def healthy(self) -> bool:
        """Mail is being taken in. Failed messages do not make it unhealthy: the web UI is where they are
        run again, so a load balancer must not take it away for them (the alert rules watch them)."""
        return self.mailbox_problems == 0

    def to_json(self, now: datetime | None = None) -> dict[str, object]:
        now = now or now_utc()
        last = aware(self.last_poll_ok_at)
        return {
            "status": "fail" if not self.healthy else "degraded" if self.failed_messages else "ok",
            "database": "ok",
            "last_poll_ok_at": last.isoformat() if last else None,
            "seconds_since_last_poll": round((now - last).total_seconds()) if last else None,
            "mailbox_problems": self.mailbox_problems,
            "failed_messages": self.failed_messages,
        }


def _failed_messages(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Message).where(
        (Message.outcome == "failed") | (Message.outcome.is_(None)))) or 0)


def health(session: Session, minutes: int, now: datetime | None = None) -> Health:
    now = now or now_utc()
    states = list(session.scalars(select(MailboxState)))
    polls = [aware(s.last_poll_ok_at) for s in states if s.last_poll_ok_at is not None]
    return Health(last_poll_ok_at=max(polls) if polls else None,  # type: ignore[type-var]
                  mailbox_problems=sum(health_problem(s, minutes, now) is not None for s in states),
                  failed_messages=_failed_messages(session))


@dataclass(frozen=True)
class Gauges:
    messages: dict[str, int] = field(default_factory=dict)  # outcome ("retrying": not finished) -> count
    cases: dict[tuple[str, str], int] = field(default_factory=dict)  # (state, kind) -> count
    replies: dict[str, int] = field(default_factory=dict)  # state -> count
    poll_age: dict[str, float] = field(default_factory=dict)  # mail source -> seconds since its last good poll
    login_failed: dict[str, bool] = field(default_factory=dict)  # mail source -> its last login failed
    oldest_draft_seconds: float = 0.0  # the oldest reply held as a draft for a person, 0 when none
    web_login_failures: int = 0  # failed web logins still counted by the throttle (the lockout window)


def gauges(session: Session, *, lockout_minutes: int, now: datetime | None = None) -> Gauges:
    now = now or now_utc()
    messages = {outcome or "retrying": int(n) for outcome, n in session.execute(
        select(Message.outcome, func.count()).group_by(Message.outcome))}
    cases = {(state, kind): int(n) for state, kind, n in session.execute(
        select(Task.state, Task.kind, func.count()).group_by(Task.state, Task.kind))}
    replies = {state: int(n) for state, n in session.execute(
        select(Reply.state, func.count()).group_by(Reply.state))}
    poll_age: dict[str, float] = {}
    login_failed: dict[str, bool] = {}
    for s in session.scalars(select(MailboxState)):
        login_failed[s.mailbox] = bool(s.login_failed)
        last = aware(s.last_poll_ok_at)
        if last is not None:
            poll_age[s.mailbox] = max(0.0, (now - last).total_seconds())
    oldest = aware(session.scalar(select(func.min(Reply.created_at)).where(Reply.state == "draft")))
    failures = session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.at >= now - timedelta(minutes=lockout_minutes)))
    return Gauges(messages=messages, cases=cases, replies=replies, poll_age=poll_age, login_failed=login_failed,
                  oldest_draft_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
                  web_login_failures=int(failures or 0))
