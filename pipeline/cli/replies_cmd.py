"""`pipeline replies list|show|edit|send` and `pipeline reminders`."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select

from pipeline.cli import database_from
from pipeline.db.models import Reply
from pipeline.errors import PipelineError

REPLY_STATES = ("draft", "queued", "sending", "sent", "failed", "cancelled")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    rp = sub.add_parser("replies", parents=[common], help="reply e-mails: list, show, edit, send")
    rsub = rp.add_subparsers(dest="replies_command", required=True)
    p = rsub.add_parser("list", parents=[common], help="list replies")
    p.add_argument("--state", choices=REPLY_STATES)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_list)
    p = rsub.add_parser("show", parents=[common], help="one reply as it will be sent")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_show)
    p = rsub.add_parser("edit", parents=[common], help="edit a queued reply before it is sent")
    p.add_argument("id", type=int)
    p.add_argument("--subject")
    p.add_argument("--body-file", help="new plain-text body from this file")
    p.add_argument("--actor", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_edit)
    p = rsub.add_parser("release", parents=[common],
                        help="queue a reply held as a draft (loop guard, old mail) for sending")
    p.add_argument("id", type=int)
    p.add_argument("--actor", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_release)
    p = rsub.add_parser("send", parents=[common], help="send due replies via the configured outbox")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_send)

    rm = sub.add_parser("reminders", parents=[common],
                        help="send one reminder per request for information left unanswered")
    rm.add_argument("--working-days", type=int, default=None,
                    help="default: $PIPELINE_REMINDER_WORKING_DAYS or 3")
    rm.add_argument("--json", action="store_true")
    rm.set_defaults(handler=_reminders)


def reply_json(r: Reply, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"id": r.id, "task_id": r.task_id, "message_pk": r.message_pk, "kind": r.kind,
                           "state": r.state, "automatic": r.automatic, "to": r.to_addr, "subject": r.subject,
                           "message_id": r.rfc_message_id, "attempts": r.attempts, "last_error": r.last_error,
                           "next_attempt_at": r.next_attempt_at, "sent_at": r.sent_at, "created_at": r.created_at}
    if full:
        out.update(in_reply_to=r.in_reply_to, references=r.references, body_text=r.body_text, body_html=r.body_html)
    return out


def _list(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json

    _, factory = database_from(args)
    with factory() as session:
        q = select(Reply).order_by(Reply.id)
        if args.state:
            q = q.where(Reply.state == args.state)
        rows = [reply_json(r) for r in session.scalars(q)]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['id']:>5} {r['state']:<8} {r['kind']:<12} {r['to']}  {r['subject']}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json

    _, factory = database_from(args)
    with factory() as session:
        r = session.get(Reply, args.id)
        if r is None:
            raise PipelineError(f"no reply {args.id}", code="reply.not_found")
        data = reply_json(r, full=True)
    if args.json:
        print_json(data)
    else:
        print(f"To: {data['to']}\nSubject: {data['subject']}\nState: {data['state']}\n\n{data['body_text']}")
    return 0


def _edit(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from pipeline.cli.queue_cmd import default_actor
    from pipeline.db.session import unit_of_work
    from pipeline.service.replies import update_draft

    body = None
    if args.body_file:
        with open(args.body_file, encoding="utf-8") as fh:
            body = fh.read()
    _, factory = database_from(args)
    with unit_of_work(factory) as session:
        r = update_draft(session, args.id, actor=args.actor or default_actor(), subject=args.subject, body_text=body)
        data = reply_json(r)
    print_json(data) if args.json else print(f"reply {data['id']}: {data['subject']}")
    return 0


def _release(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from pipeline.cli.queue_cmd import default_actor
    from pipeline.db.session import unit_of_work
    from pipeline.service.replies import release_draft

    _, factory = database_from(args)
    with unit_of_work(factory) as session:
        data = reply_json(release_draft(session, args.id, actor=args.actor or default_actor()))
    print_json(data) if args.json else print(f"reply {data['id']}: queued for sending")
    return 0


def _send(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from pipeline.outbox import outbox_from_settings
    from pipeline.service.replies import send_due

    settings, factory = database_from(args)
    sent = send_due(factory, outbox_from_settings(settings))
    print_json({"sent": sent}) if args.json else print(f"{sent} replies sent")
    return 0


def _reminders(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from pipeline.db.session import unit_of_work
    from pipeline.service.tasks import send_reminders

    settings, factory = database_from(args)
    with unit_of_work(factory) as session:
        count = send_reminders(session, working_days=args.working_days, settings=settings)
    print_json({"reminders": count}) if args.json else print(f"{count} reminders queued")
    return 0
