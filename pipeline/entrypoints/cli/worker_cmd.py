"""`pipeline worker [--once] [--source imap|dir:PATH] [--since DATE]`: take in mail."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date

from pipeline.entrypoints.cli import settings_from, words
from pipeline.errors import ConfigError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("worker", parents=[common], help="take in mail from the mailbox (IMAP) or a folder",
                       description="Take in new mail, read and check the forms, open cases, draft due reminders "
                                   "and send due replies; again and again until stopped, or once with --once. "
                                   "Mail already taken is never taken twice.")
    p.add_argument("--once", action="store_true", help="take in what is there now, then exit")
    p.add_argument("--source", default="dir:inbox_fixtures",
                   help="imap (the PIPELINE_IMAP_* settings) or dir:PATH, a folder of .eml files "
                        "(default dir:inbox_fixtures; looked at again every PIPELINE_WORKER_POLL_SECONDS)")
    p.add_argument("--since", default=None, metavar="DATE",
                   help="IMAP, first run: take mail from this date (YYYY-MM-DD) instead of the last 30 days")
    p.add_argument("--metrics-port", type=int, default=None, metavar="PORT",
                   help="serve Prometheus metrics on this port (http://ADDRESS:PORT/metrics) while it runs")
    p.add_argument("--metrics-address", default="127.0.0.1", metavar="ADDRESS",
                   help="address the metrics listen on (default 127.0.0.1)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.entrypoints.worker import Worker, install_signal_handlers

    since = None
    if args.since:
        try:
            since = date.fromisoformat(args.since)
        except ValueError as exc:
            raise ConfigError(f"--since {args.since!r} is not a date (YYYY-MM-DD)") from exc
    settings = settings_from(args)
    worker = Worker(settings, source=args.source, since=since)
    install_signal_handlers(worker)
    metrics = None
    if args.metrics_port is not None:
        from prometheus_client import start_http_server

        from pipeline.entrypoints.web.metrics import registry_for

        metrics, _thread = start_http_server(args.metrics_port, args.metrics_address,
                                             registry=registry_for(worker.session_factory, settings))
        log.info("metrics on http://%s:%s/metrics", args.metrics_address, metrics.server_port)
    try:
        stats = worker.run(once=args.once)
    finally:
        if metrics is not None:
            metrics.shutdown()
            metrics.server_close()
    summary = {"seen": stats.seen, "outcomes": dict(stats.outcomes), "marked": stats.marked,
               "replies_sent": stats.replies_sent, "reminders": stats.reminders,
               "review_reminders": stats.review_reminders}
    if args.json:
        json.dump(summary, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        outcomes = ", ".join(f"{words.outcome(k)} {v}" for k, v in sorted(stats.outcomes.items())) or "ingen nye"
        print(f"{words.count(stats.seen, 'melding', 'meldinger')} lest: {outcomes}; "
              f"{words.count(stats.replies_sent, 'svar', 'svar')} sendt, "
              f"{words.count(stats.reminders, 'påminnelse', 'påminnelser')} lagt i kø")
    return 0
