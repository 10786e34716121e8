"""`pipeline messages list [--json]` and `pipeline messages retry ID`."""

from __future__ import annotations

import argparse
from collections import Counter

from pipeline.core.clock import cli_time
from pipeline.entrypoints.cli import database_from, group, json_option, print_json, words
from pipeline.entrypoints.cli.output import table

OUTCOMES = ("queued", "needs_info", "no_form", "unreadable", "duplicate", "auto_reply", "limit.exceeded", "failed",
            "retrying")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    msub = group(sub, "messages", "the mail taken in, and what became of each", common)
    lp = msub.add_parser("list", parents=[common], help="list the messages taken in, oldest first")
    json_option(lp)
    lp.add_argument("--outcome", choices=OUTCOMES, default=None, help="only messages with this outcome")
    lp.add_argument("--limit", type=int, default=1000, metavar="N", help="at most N messages (default 1000)")
    lp.set_defaults(handler=list_messages)
    rp = msub.add_parser("retry", parents=[common], help="process a failed or unreadable message again")
    rp.add_argument("id", type=int, metavar="MESSAGE", help="the message's id (see `pipeline messages list`)")
    rp.add_argument("--actor", default=None, help="who asks, for the audit log (default: $USER)")
    json_option(rp)
    rp.set_defaults(handler=retry)


def list_messages(args: argparse.Namespace) -> int:
    from pipeline.queries.messages import message_rows

    _, session_factory = database_from(args)
    with session_factory() as session:
        rows = message_rows(session, args.outcome, args.limit, with_time=not args.json)
    if args.json:
        print_json(rows)
        return 0
    lines = []
    for r in rows:
        # What became of each attachment; the file names are in --json and on the messages page.
        codes = Counter(a["code"] for a in r["attachments"])
        files = ", ".join(f"{words.attachment(code)} ×{n}" if n > 1 else words.attachment(code)
                          for code, n in codes.items())
        lines.append([str(r["id"]), cli_time(r["received_at"])[:16], words.outcome(r["outcome"]), r["sender"] or "–",
                      r["subject"] or "(uten emne)", files or "–"])
    for line in table(lines, widths=(5, 16, 0, 28, None, None),
                      header=("Nr", "Mottatt", "Utfall", "Avsender", "Emne", "Vedlegg")):
        print(line)
    if not rows:
        print("Ingen meldinger.")
    return 0


def retry(args: argparse.Namespace) -> int:
    from pipeline.entrypoints.cli.queue_cmd import default_actor
    from pipeline.usecases import message_retries as messages

    settings, session_factory = database_from(args)
    message = messages.retry(session_factory, args.id, settings=settings, actor=args.actor or default_actor())
    if args.json:
        print_json({"id": message.id, "outcome": message.outcome, "error": message.error})
    else:
        print(f"melding {message.id}: {words.outcome(message.outcome) if message.outcome else 'feilet igjen'}"
              + (f" ({message.error})" if message.error else ""))
    return 0
