"""`pipeline worker [--once] [--source imap|dir:PATH] [--since DATE]`: take in mail."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from pipeline.cli import settings_from
from pipeline.errors import ConfigError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("worker", parents=[common], help="take in mail from the mailbox (IMAP) or a folder")
    p.add_argument("--once", action="store_true", help="take in what is there now, then exit")
    p.add_argument("--source", default="dir:inbox_fixtures",
                   help="imap (PIPELINE_IMAP_* settings) or dir:PATH (default dir:inbox_fixtures; "
                        "without --once looked at again every PIPELINE_WORKER_POLL_SECONDS, 10)")
    p.add_argument("--since", default=None, help="IMAP: take mail from this date (YYYY-MM-DD) on the first run")
    p.add_argument("--json", action="store_true", help="print a summary as JSON when done")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.worker import Worker, install_signal_handlers

    since = None
    if args.since:
        try:
            since = date.fromisoformat(args.since)
        except ValueError as exc:
            raise ConfigError(f"--since {args.since!r} is not a date (YYYY-MM-DD)") from exc
    worker = Worker(settings_from(args), source=args.source, since=since)
    install_signal_handlers(worker)
    stats = worker.run(once=args.once)
    summary = {"seen": stats.seen, "outcomes": dict(stats.outcomes), "marked": stats.marked,
               "replies_sent": stats.replies_sent, "reminders": stats.reminders,
               "review_reminders": stats.review_reminders}
    if args.json:
        json.dump(summary, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(f"{stats.seen} messages seen; " + (", ".join(f"{k}: {v}" for k, v in sorted(stats.outcomes.items()))
                                                 or "nothing new"), file=sys.stderr)
    return 0
