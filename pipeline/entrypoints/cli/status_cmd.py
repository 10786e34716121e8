"""`pipeline status [--json] [--forget SOURCE]`: each mailbox's last poll and health, failed messages,
counts by outcome, the reply queue."""

from __future__ import annotations

import argparse

from pipeline.core.clock import cli_time
from pipeline.entrypoints.cli import database_from, json_option, print_json, words


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("status", parents=[common], help="is everything running? mailboxes, failures, counts",
                       description="Each mail source's last poll and health, messages that failed, counts by "
                                   "outcome and the reply queue. Exit status 1 when something needs a look.")
    json_option(p)
    p.add_argument("--forget", metavar="SOURCE",
                   help="forget a mail source that is no longer used (e.g. dir:/old/folder or the IMAP mailbox "
                        "as status shows it), so that it is not reported any more")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.adapters.db.session import FULL_BELOW, disk_free
    from pipeline.queries.status import status

    settings, session_factory = database_from(args)
    if args.forget:
        from pipeline.entrypoints.cli.queue_cmd import default_actor
        from pipeline.usecases.mailboxes import forget

        forget(session_factory, args.forget, actor=default_actor())
        if not args.json:
            print(f"{args.forget} er glemt.")
    with session_factory() as session:
        data = status(session, settings.worker.health_minutes)
    free = disk_free(settings.db_url)
    data["disk"] = {"free_bytes": free, "full": free is not None and free < FULL_BELOW}
    if data["disk"]["full"]:
        data["healthy"] = False
    if args.json:
        print_json(data)
        return 0 if data["healthy"] else 1
    minutes = settings.worker.health_minutes
    if data["disk"]["full"]:
        print(f"PROBLEM: disken med databasen er full ({free} byte ledig): ingenting nytt kan lagres")
    for m in data["mailboxes"]:
        error = f" ({m['last_error']})" if m["last_error"] else ""
        if m["login_failed"]:
            line = f"PROBLEM: innloggingen feilet{error}"
        elif m["problem"] and m["never_polled"]:
            line = f"PROBLEM: aldri hentet, feiler i over {minutes} minutter{error}"
        elif m["problem"]:
            line = (f"PROBLEM: ingen vellykket henting siden {cli_time(m['last_poll_ok_at'])} "
                    f"(over {minutes} minutter){error}")
        elif m["never_polled"]:
            line = "aldri hentet" + (f" (siste forsøk {cli_time(m['last_attempt_at'])}: {m['last_error']})"
                                     if m["last_error"] else "")
        else:
            line = f"ok, siste henting {cli_time(m['last_poll_ok_at'])}"
        print(f"Kilde {m['mailbox']}: {line}")
    if not data["mailboxes"]:
        print("Ingen e-postkilde er hentet fra ennå.")
    print("Meldinger: " + (", ".join(f"{words.outcome(k)} {v}" for k, v in sorted(data["messages"].items()))
                           or "ingen"))
    for f in data["failed"]:
        print(f"  {words.outcome(f['outcome'])}: melding {f['id']} ({words.count(f['attempts'], 'forsøk', 'forsøk')}):"
              f" {f['error']}")
    if data["replies"]:
        print("Svar: " + ", ".join(f"{words.reply_state(k)} {v}" for k, v in sorted(data["replies"].items())))
    for mailbox, count in sorted(data["skipped"]["counts"].items()):
        print(f"ikke lastet ned fra {mailbox}: {count} e-poster (ingenting i dem kan gjelde et skjema, en sak "
              "eller en driftsoperatør)")
    for k in data["skipped"]["recent"]:
        print(f"  UID {k['uid']} {cli_time(k['received_at'])[:16]} fra {k['sender'] or '–'}: {k['subject'] or '–'}")
    return 0 if data["healthy"] else 1
