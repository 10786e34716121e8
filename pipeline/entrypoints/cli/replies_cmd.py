"""`pipeline replies list|show|edit|release|send` and `pipeline reminders`."""

from __future__ import annotations

import argparse

from pipeline.core.domain import REPLY_STATES
from pipeline.entrypoints.cli import database_from, group, json_option, print_json, words
from pipeline.entrypoints.cli.output import table


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    rsub = group(sub, "replies", "reply e-mails: list, show, edit, release, send", common,
                 description="The e-mails the pipeline writes to senders: receipts, requests for information, "
                             "confirmations, rejections, reminders.")
    p = rsub.add_parser("list", parents=[common], help="list the replies")
    p.add_argument("--state", choices=tuple(REPLY_STATES), help="only replies in this state")
    json_option(p)
    p.set_defaults(handler=_list)
    p = rsub.add_parser("show", parents=[common], help="one reply as it will be sent")
    p.add_argument("id", type=int, metavar="REPLY", help="the reply's id (see `pipeline replies list`)")
    json_option(p)
    p.set_defaults(handler=_show)
    p = rsub.add_parser("edit", parents=[common], help="edit a reply before it is sent")
    p.add_argument("id", type=int, metavar="REPLY", help="the reply's id")
    p.add_argument("--subject", help="a new subject (the case reference is kept)")
    p.add_argument("--body-file", metavar="FILE", help="a new plain-text body from this file")
    p.add_argument("--actor", default=None, help="who does this, for the audit log (default: $USER)")
    json_option(p)
    p.set_defaults(handler=_edit)
    p = rsub.add_parser("release", parents=[common],
                        help="queue a reply held as a draft (many replies to one address, old mail) for sending")
    p.add_argument("id", type=int, metavar="REPLY", help="the reply's id")
    p.add_argument("--actor", default=None, help="who does this, for the audit log (default: $USER)")
    json_option(p)
    p.set_defaults(handler=_release)
    p = rsub.add_parser("send", parents=[common], help="send the replies that are due, through the outbox")
    json_option(p)
    p.set_defaults(handler=_send)

    rm = sub.add_parser("reminders", parents=[common],
                        help="queue one reminder per request for information left unanswered")
    rm.add_argument("--working-days", type=int, default=None, metavar="N",
                    help="unanswered for N working days (default: $PIPELINE_REMINDER_WORKING_DAYS or 3)")
    json_option(rm)
    rm.set_defaults(handler=_reminders)


def _list(args: argparse.Namespace) -> int:
    from pipeline.queries.replies import replies, reply_json

    _, session_factory = database_from(args)
    with session_factory() as session:
        rows = replies(session, args.state)
    if args.json:
        print_json([reply_json(r) for r in rows])
        return 0
    for line in table([[str(r.id), words.reply_state(r.state), words.reply_kind(r.kind), r.to_addr, r.subject]
                       for r in rows], widths=(5, 0, 0, None, None), header=("Nr", "Status", "Type", "Til", "Emne")):
        print(line)
    if not rows:
        print("Ingen svar.")
    return 0


def _show(args: argparse.Namespace) -> int:
    from pipeline.queries.replies import reply, reply_json

    _, session_factory = database_from(args)
    with session_factory() as session:
        data = reply_json(reply(session, args.id), full=True)
    if args.json:
        print_json(data)
    else:
        print(f"Til: {data['to']}\nEmne: {data['subject']}\nStatus: {words.reply_state(data['state'])}\n\n"
              f"{data['body_text']}")
    return 0


def _edit(args: argparse.Namespace) -> int:
    from pipeline.entrypoints.cli.queue_cmd import default_actor
    from pipeline.queries.replies import reply_json
    from pipeline.usecases import reply_drafts as drafts

    body = None
    if args.body_file:
        with open(args.body_file, encoding="utf-8") as fh:
            body = fh.read()
    _, session_factory = database_from(args)
    data = reply_json(drafts.edit(session_factory, args.id, actor=args.actor or default_actor(), subject=args.subject,
                                  body_text=body))
    print_json(data) if args.json else print(f"svar {data['id']}: {data['subject']}")
    return 0


def _release(args: argparse.Namespace) -> int:
    from pipeline.entrypoints.cli.queue_cmd import default_actor
    from pipeline.queries.replies import reply_json
    from pipeline.usecases import reply_drafts as drafts

    _, session_factory = database_from(args)
    data = reply_json(drafts.release(session_factory, args.id, actor=args.actor or default_actor()))
    print_json(data) if args.json else print(f"svar {data['id']}: lagt i kø for sending")
    return 0


def _send(args: argparse.Namespace) -> int:
    from pipeline.adapters.outbox import outbox_from_settings
    from pipeline.usecases.reply_sending import send_due

    settings, session_factory = database_from(args)
    sent = send_due(session_factory, outbox_from_settings(settings))
    print_json({"sent": sent}) if args.json else print(f"{words.count(sent, 'svar', 'svar')} sendt")
    return 0


def _reminders(args: argparse.Namespace) -> int:
    from pipeline.usecases.reminders import remind_due

    settings, session_factory = database_from(args)
    count = remind_due(session_factory, settings=settings, working_days=args.working_days)
    print_json({"reminders": count}) if args.json else print(
        f"{words.count(count, 'påminnelse', 'påminnelser')} lagt i kø")
    return 0
