"""`pipeline status [--json]`: mailbox health, failed messages, counts by outcome, the reply queue."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import func, select

from pipeline.cli import print_json, settings_from


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("status", parents=[common], help="mailbox health, failed messages, counts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def status(session, health_minutes: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from pipeline.db.models import MailboxState, Message, Reply
    from pipeline.worker import health_problem

    mailboxes = [{
        "mailbox": s.mailbox, "uidvalidity": s.uidvalidity, "last_uid": s.last_uid,
        "last_poll_ok_at": s.last_poll_ok_at, "login_failed": bool(s.login_failed), "last_error": s.last_error,
        "problem": health_problem(s, health_minutes),
    } for s in session.scalars(select(MailboxState).order_by(MailboxState.mailbox))]
    outcomes = {k or "retrying": v for k, v in session.execute(
        select(Message.outcome, func.count()).group_by(Message.outcome)).all()}
    failed = [{"id": m.id, "message_id": m.message_id, "sender": m.sender, "subject": m.subject,
               "attempts": m.attempts, "error": m.error, "outcome": m.outcome or "retrying"}
              for m in session.scalars(select(Message).where(
                  (Message.outcome == "failed") | (Message.outcome.is_(None))).order_by(Message.id))]
    replies = {k: v for k, v in session.execute(select(Reply.state, func.count()).group_by(Reply.state)).all()}
    return {"healthy": not any(m["problem"] for m in mailboxes) and not failed, "mailboxes": mailboxes,
            "messages": outcomes, "failed": failed, "replies": replies}


def run(args: argparse.Namespace) -> int:
    from pipeline.db.session import open_database

    settings = settings_from(args)
    factory = open_database(settings)
    with factory() as session:
        data = status(session, settings.worker.health_minutes)
    if args.json:
        print_json(data)
        return 0
    for m in data["mailboxes"]:
        print(f"mailbox {m['mailbox']}: " + (f"PROBLEM: {m['problem']}" if m["problem"] else
                                            f"ok, last poll {m['last_poll_ok_at']}"))
    if not data["mailboxes"]:
        print("no mailbox polled yet")
    print("messages: " + (", ".join(f"{k} {v}" for k, v in sorted(data["messages"].items())) or "none"))
    for f in data["failed"]:
        print(f"  {f['outcome']} message {f['id']} ({f['attempts']} attempts): {f['error']}")
    if data["replies"]:
        print("replies: " + ", ".join(f"{k} {v}" for k, v in sorted(data["replies"].items())))
    return 0
