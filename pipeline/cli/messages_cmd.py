"""`pipeline messages list [--json]` and `pipeline messages retry ID`."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pipeline.cli import print_json, settings_from


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("messages", parents=[common], help="messages taken in, and their outcomes")
    msub = p.add_subparsers(dest="messages_command", required=True, metavar="ACTION")
    lp = msub.add_parser("list", parents=[common], help="list messages")
    lp.add_argument("--json", action="store_true")
    lp.add_argument("--outcome", default=None, help="only this outcome")
    lp.add_argument("--limit", type=int, default=1000)
    lp.set_defaults(handler=list_messages)
    rp = msub.add_parser("retry", parents=[common], help="run a failed or unreadable message again")
    rp.add_argument("id", type=int)
    rp.add_argument("--json", action="store_true")
    rp.set_defaults(handler=retry)


def message_rows(session, outcome: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    from pipeline.db.models import Message

    query = select(Message).options(selectinload(Message.attachments)).order_by(Message.id).limit(limit)
    if outcome:
        query = query.where(Message.outcome == outcome)
    return [{
        "id": m.id, "message_id": m.message_id, "sender": m.sender, "subject": m.subject,
        "outcome": m.outcome if m.outcome or not m.error else "retrying",
        "attachments": [{"filename": a.filename, "code": a.code} for a in m.attachments],
    } for m in session.scalars(query)]


def list_messages(args: argparse.Namespace) -> int:
    from pipeline.db.session import open_database

    factory = open_database(settings_from(args))
    with factory() as session:
        rows = message_rows(session, args.outcome, args.limit)
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        atts = ", ".join(f"{a['filename'] or ('(body)' if a['code'] == 'read' else '-')}={a['code']}" for a in r["attachments"])
        print(f"{r['id']:>6}  {r['outcome'] or '-':<11} {r['sender'] or '-':<32} {(r['subject'] or '')[:50]}"
              + (f"  [{atts}]" if atts else ""))
    return 0


def retry(args: argparse.Namespace) -> int:
    from pipeline.db.session import open_database
    from pipeline.service.ingest import retry_message

    settings = settings_from(args)
    message = retry_message(open_database(settings), args.id, settings=settings)
    if args.json:
        print_json({"id": message.id, "outcome": message.outcome, "error": message.error})
    else:
        print(f"message {message.id}: {message.outcome or 'failed again'}" + (f" ({message.error})" if message.error else ""))
    return 0
