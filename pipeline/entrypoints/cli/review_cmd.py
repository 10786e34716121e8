"""`pipeline review start|list`: periodic access reviews (each driftsoperatør confirms who holds the role)."""

from __future__ import annotations

import argparse
import re

from pipeline.core.domain import REVIEW_STATES
from pipeline.entrypoints.cli import group, json_option, words
from pipeline.entrypoints.cli.output import table

# Why an operator got no review, in the operators' words (the reasons are English in --json and the audit).
_SKIPPED = ((re.compile(r"no administrators"), "ingen administratorer"),
            (re.compile(r"review (\S+) still waits for an answer"), r"gjennomgang \1 venter fortsatt på svar"),
            (re.compile(r"no such driftsoperatør in the registry"), "ingen slik driftsoperatør i registeret"),
            (re.compile(r"no e-mail address in the registry"), "ingen e-postadresse i registeret"))


def _skipped(reason: str) -> str:
    for pattern, words_no in _SKIPPED:
        if pattern.fullmatch(reason):
            return pattern.sub(words_no, reason)
    return reason


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    rsub = group(sub, "review", "access reviews: each driftsoperatør confirms who holds Mottaksadministrator",
                 common, description="Periodic access reviews (certification): each driftsoperatør gets the list "
                                     "of its Mottaksadministrator users by e-mail, and answers that it is right or "
                                     "who should no longer have the role. Answers are read as they come in.")
    start = rsub.add_parser("start", parents=[common],
                            help="send each driftsoperatør the list of its administrators to confirm (queued "
                                 "for the next send)")
    start.add_argument("--operator", action="append", default=[], metavar="DRO",
                       help="a driftsoperatør (DRO1032); repeat for several")
    start.add_argument("--all", action="store_true", help="every driftsoperatør that has administrators")
    start.add_argument("--due-days", type=int, metavar="N", default=None,
                       help="working days to answer before one reminder and overdue "
                            "(default: $PIPELINE_REVIEW_DUE_WORKING_DAYS or 10)")
    start.add_argument("--actor", default=None, help="who starts it, for the audit log (default: $USER)")
    json_option(start)
    start.set_defaults(handler=_start)
    lst = rsub.add_parser("list", parents=[common], help="the reviews, their state and the tasks their answers raised")
    lst.add_argument("--state", choices=tuple(REVIEW_STATES), help="only reviews in this state")
    lst.add_argument("--campaign", type=int, metavar="N", help="only this campaign's reviews")
    json_option(lst)
    lst.set_defaults(handler=_list)


def _start(args: argparse.Namespace) -> int:
    from pipeline.entrypoints.cli import database_from, print_json
    from pipeline.entrypoints.cli.queue_cmd import default_actor
    from pipeline.usecases.review_campaigns import start

    settings, session_factory = database_from(args)
    started = start(session_factory, operators=args.operator, all_operators=args.all, due_days=args.due_days,
                    actor=args.actor or default_actor(), settings=settings)
    if args.json:
        print_json({"campaign_id": started.campaign_id, "reviews": started.reviews, "skipped": started.skipped})
        return 0
    if started.campaign_id is None:
        print("Ingen gjennomgang sendt.")
    else:
        print(f"Runde {started.campaign_id}: {words.count(len(started.reviews), 'gjennomgang', 'gjennomganger')} "
              "lagt i kø for neste sending")
    for r in started.reviews:
        print(f"  {r['ref']} {r['operator_id']} → {r['to']} "
              f"({words.count(r['admins'], 'administrator', 'administratorer')})")
    for s in started.skipped:
        print(f"  hoppet over {s['operator_id']}: {_skipped(s['reason'])}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from pipeline.core.clock import cli_time
    from pipeline.entrypoints.cli import database_from, print_json
    from pipeline.queries.reviews import reviews

    _, session_factory = database_from(args)
    with session_factory() as session:
        rows = reviews(session, state=args.state, campaign_id=args.campaign)
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    lines = [[r.ref, r.operator_id, words.review_state(r.state), cli_time(r.sent_at)[:16], cli_time(r.due_at)[:16],
              cli_time(r.answered_at)[:16], str(len(r.untrusted)) if r.untrusted else "–",
              ", ".join(t.case_ref for t in r.tasks) or "–"] for r in rows]
    for line in table(lines, widths=(0, 0, 0, 16, 16, 16, 0, None),
                      header=("Gjennomgang", "Driftsoperatør", "Status", "Sendt", "Frist", "Besvart",
                              "Ubekreftede svar", "Saker")):
        print(line)
    if not rows:
        print("Ingen gjennomganger.")
    return 0
