"""`pipeline queue`: list and show tasks, drive every transition, export approved users for IMDinett."""

from __future__ import annotations

import argparse
import csv
import getpass
import io
import os
import sys
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.cli import database_from
from pipeline.db.models import AuditEvent, Message, Reply, Task
from pipeline.domain import TASK_STATES
from pipeline.errors import PipelineError

STATES = TASK_STATES


def default_actor() -> str:
    return os.environ.get("USER") or getpass.getuser() or "operator"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    queue = sub.add_parser("queue", parents=[common], help="tasks: list, show, decide, export")
    qsub = queue.add_subparsers(dest="queue_command", required=True)

    def add(name: str, handler: Any, help: str, *, task: bool = True) -> argparse.ArgumentParser:
        p = qsub.add_parser(name, parents=[common], help=help)
        if task:
            p.add_argument("id", help="task id or case reference (2026-0042)")
            p.add_argument("--actor", default=None, help="who does this, for the audit log (default: $USER)")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(handler=handler)
        return p

    p = add("list", _list, "list tasks", task=False)
    p.add_argument("--state", choices=STATES, help="only tasks in this state")
    add("show", _show, "one task with its findings, replies and audit trail")
    p = add("approve", _approve, "approve a task (blocking findings need --override)")
    p.add_argument("--override", metavar="REASON", help="approve despite blocking findings, with this reason")
    p = add("reject", _reject, "reject a task and queue the rejection reply")
    p.add_argument("--reason", required=True)
    p = add("request-info", _request_info, "ask the sender for information (queues a reply)")
    p.add_argument("--note", help="a note to the sender, in Norwegian")
    p = add("provisioned", _provisioned, "the user is created in IMDinett (queues the confirmation)")
    p.add_argument("--user-id", help="the IMDinett user id")
    p = add("correct", _correct, "correct fields (then checked again)")
    p.add_argument("--set", dest="sets", action="append", required=True, metavar="PATH=VALUE",
                   help="e.g. applicant.mobile=+4791234567 or centres='Askim asylmottak; Mysen asylmottak'")
    p = add("export", _export, "approved tasks as rows for creating users in IMDinett", task=False)
    p.add_argument("--state", choices=STATES, default="approved")
    p.add_argument("--format", choices=("csv", "json"), default="csv")


def resolve(session: Session, ref: str) -> Task:
    task = session.scalar(select(Task).where(Task.case_ref == ref)) if "-" in ref else (
        session.get(Task, int(ref)) if ref.isdigit() else None)
    if task is None:
        raise PipelineError(f"no task {ref}", code="task.not_found")
    return task


def _message_id(session: Session, task: Task) -> str | None:
    msg = session.get(Message, task.message_pk)
    return msg.message_id if msg else None


def _list(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from pipeline.service.task_data import task_json

    _, factory = database_from(args)
    with factory() as session:
        q = select(Task).order_by(Task.id)
        if args.state:
            q = q.where(Task.state == args.state)
        rows = [task_json(t, _message_id(session, t)) for t in session.scalars(q)]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        a = r["applicant"]
        codes = ",".join(f["code"] for f in r["findings"]) or "-"
        print(f"{r['id']:>5} {r['case_ref']} {r['state']:<11} {a['first_name'] or ''} {a['last_name'] or ''}"
              f" <{a['email'] or ''}> {a['mobile'] or ''}  [{codes}]")
    return 0


def _show(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from pipeline.service.task_data import task_json

    _, factory = database_from(args)
    with factory() as session:
        task = resolve(session, args.id)
        data = task_json(task, _message_id(session, task), full=True)
        data["replies"] = [{"id": r.id, "kind": r.kind, "state": r.state, "subject": r.subject, "to": r.to_addr,
                            "automatic": r.automatic, "sent_at": r.sent_at}
                           for r in session.scalars(select(Reply).where(Reply.task_id == task.id).order_by(Reply.id))]
        data["audit"] = [{"at": e.at, "actor": e.actor, "action": e.action, "details": e.details}
                         for e in session.scalars(select(AuditEvent).where(
                             AuditEvent.entity == "task", AuditEvent.entity_id == str(task.id)).order_by(AuditEvent.id))]
    if args.json:
        print_json(data)
        return 0
    a = data["applicant"]
    print(f"{data['case_ref']} (task {data['id']}): {data['state']}")
    print(f"  applicant: {a['first_name']} {a['last_name']} <{a['email']}> {a['mobile']} ({a['position']})")
    print(f"  operator:  {data['operator'].get('organisation')} ({data['operator_id']})")
    for c in data["centres"]:
        print(f"  centre:    {c['written']} -> {c['mottaksnummer'] or '?'} {c['name'] or ''}")
    for f in data["findings"]:
        print(f"  {f['severity']:<8} {f['code']}: {f['message']}")
    for r in data["replies"]:
        print(f"  reply {r['id']}: {r['kind']} {r['state']} {r['subject']}")
    for e in data["audit"]:
        print(f"  {e['at']} {e['actor']}: {e['action']}")
    return 0


def _decide(args: argparse.Namespace, action: Any, **kwargs: Any) -> int:
    from pipeline.cli import print_json
    from pipeline.db.session import unit_of_work
    from pipeline.service.task_data import task_json

    settings, factory = database_from(args)
    actor = args.actor or default_actor()
    with unit_of_work(factory) as session:
        task_id = resolve(session, args.id).id
        if action.__name__ != "approve":
            kwargs["settings"] = settings
        task = action(session, task_id, actor=actor, **kwargs)
        data = task_json(task, _message_id(session, task))
    if args.json:
        print_json(data)
    else:
        print(f"{data['case_ref']}: {data['state']}")
    return 0


def _approve(args: argparse.Namespace) -> int:
    from pipeline.service.tasks import approve

    return _decide(args, approve, override_reason=args.override)


def _reject(args: argparse.Namespace) -> int:
    from pipeline.service.tasks import reject

    return _decide(args, reject, reason=args.reason)


def _request_info(args: argparse.Namespace) -> int:
    from pipeline.service.tasks import request_info

    return _decide(args, request_info, note=args.note)


def _provisioned(args: argparse.Namespace) -> int:
    from pipeline.service.tasks import mark_provisioned

    return _decide(args, mark_provisioned, user_id=args.user_id)


def _correct(args: argparse.Namespace) -> int:
    from pipeline.service.tasks import correct

    changes: dict[str, Any] = {}
    for item in args.sets:
        path, sep, value = item.partition("=")
        if not sep:
            raise PipelineError(f"--set wants PATH=VALUE, not {item!r}", code="cli.usage")
        changes[path.strip()] = value
    return _decide(args, correct, changes=changes)


EXPORT_COLUMNS = ("case_ref", "first_name", "last_name", "email", "mobile", "role", "mottaksnummer", "centres",
                  "operator", "operator_id", "extends_user_id")


def export_rows(session: Session, state: str = "approved") -> list[dict[str, Any]]:
    from pipeline.service.task_data import export_row

    return [export_row(t) for t in session.scalars(select(Task).where(Task.state == state).order_by(Task.id))]


def export_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = dict(row)
        flat["mottaksnummer"] = ";".join(c["mottaksnummer"] or "" for c in row["centres"])
        flat["centres"] = ";".join(c["name"] or "" for c in row["centres"])
        # A cell starting with = + - @ is a formula to a spreadsheet: keep names and numbers inert.
        writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@\t\r" and k != "mobile" else v)
                         for k, v in flat.items()})
    return out.getvalue()


def _export(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json

    _, factory = database_from(args)
    with factory() as session:
        rows = export_rows(session, args.state)
    if args.json or args.format == "json":
        print_json(rows)
    else:
        sys.stdout.write(export_csv(rows))
    return 0
