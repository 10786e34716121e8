"""`pipeline purge`: drop raw mail and attachments of settled cases older than the retention time."""

from __future__ import annotations

import argparse
from datetime import timedelta


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("purge", parents=[common],
                       help="purge raw mail and attachments of settled cases (retention)")
    p.add_argument("--older-than-days", type=int, default=None, metavar="N",
                   help="messages taken in more than N days ago (default: $PIPELINE_RETENTION_DAYS or 180)")
    p.add_argument("--dry-run", action="store_true", help="report what would be purged, change nothing")
    p.add_argument("--actor", default=None, help="name in the audit log (default: system)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=_purge)


def _purge(args: argparse.Namespace) -> int:
    from pipeline.adapters.db.session import open_database
    from pipeline.core.clock import cli_time
    from pipeline.entrypoints.cli import print_json, settings_from, words
    from pipeline.usecases.retention import purge

    settings = settings_from(args)
    days = settings.retention_days if args.older_than_days is None else args.older_than_days
    session_factory = open_database(settings)
    try:
        report = purge(session_factory, older_than=timedelta(days=days), dry_run=args.dry_run, actor=args.actor or "system")
    finally:
        session_factory.kw["bind"].dispose()
    if args.json:
        print_json(report.to_json())
    else:
        verb = "ville slettet" if report.dry_run else "slettet"
        print(f"{verb.capitalize()} {words.count(report.messages, 'melding', 'meldinger')} og "
              f"{words.count(report.attachments, 'vedlegg', 'vedlegg')} ({report.bytes} byte) tatt inn før "
              f"{cli_time(report.cutoff)}; beholdt {report.kept_open} som åpne saker trenger")
    return 0
