"""`pipeline review start|list`: periodic access reviews (each driftsoperatør confirms who holds the role)."""

from __future__ import annotations

import argparse

from pipeline.core.domain import REVIEW_STATES
from pipeline.entrypoints.cli import group, json_option


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

    settings, factory = database_from(args)
    started = start(factory, operators=args.operator, all_operators=args.all, due_days=args.due_days,
                    actor=args.actor or default_actor(), settings=settings)
    if args.json:
        print_json({"campaign_id": started.campaign_id, "reviews": started.reviews, "skipped": started.skipped})
        return 0
    if started.campaign_id is None:
        print("no review sent")
    else:
        print(f"campaign {started.campaign_id}: {len(started.reviews)} review(s) queued for the next send")
    for r in started.reviews:
        print(f"  {r['ref']} {r['operator_id']} -> {r['to']} ({r['admins']} administrator(s))")
    for s in started.skipped:
        print(f"  skipped {s['operator_id']}: {s['reason']}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from pipeline.core.clock import cli_time
    from pipeline.entrypoints.cli import database_from, print_json
    from pipeline.queries.reviews import reviews

    _, factory = database_from(args)
    with factory() as session:
        rows = reviews(session, state=args.state, campaign_id=args.campaign)
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    for r in rows:
        tasks = ",".join(t.case_ref for t in r.tasks) or "-"
        print(f"{r.ref} {r.operator_id} {r.state:<9} sent {cli_time(r.sent_at)}  due {cli_time(r.due_at)}  "
              f"answered {cli_time(r.answered_at)}  tasks {tasks}")
    if not rows:
        print("no reviews")
    return 0
