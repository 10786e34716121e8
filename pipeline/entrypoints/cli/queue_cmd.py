"""`pipeline queue`: list and show cases, decide them, export approved users for IMDinett."""

from __future__ import annotations

import argparse
import getpass
import inspect
import os
import sys
from collections import Counter
from typing import Any

from pipeline.core.clock import cli_time
from pipeline.core.domain import APPROVED, DONE, REMOVAL, TASK_KINDS, TASK_STATES, state_label
from pipeline.entrypoints.cli import database_from, group, json_option, print_json, words
from pipeline.entrypoints.cli.output import cut, table
from pipeline.errors import PipelineError


def default_actor() -> str:
    return os.environ.get("USER") or getpass.getuser() or "operator"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    qsub = group(sub, "queue", "the cases: list, show, decide, export", common,
                 description="The cases, one per form: list and show them, decide them (approve, reject, "
                             "ask for information, mark as done in IMDinett), correct fields, export for IMDinett.")

    def add(name: str, handler: Any, help: str, *, task: bool = True, aliases: tuple[str, ...] = ()
            ) -> argparse.ArgumentParser:
        p = qsub.add_parser(name, parents=[common], help=help, description=help, aliases=list(aliases))
        if task:
            p.add_argument("id", metavar="CASE", help="case id or case reference (e.g. 2026-0042)")
            p.add_argument("--actor", default=None, help="who does this, for the audit log (default: $USER)")
            p.add_argument("--expect-state", choices=TASK_STATES, default=None,
                           help="refuse unless the case is in this state now (someone else may have acted)")
        json_option(p)
        p.set_defaults(handler=handler)
        return p

    p = add("list", _list, "list the cases, one line each", task=False)
    p.add_argument("--state", choices=TASK_STATES, help="only cases in this state")
    p.add_argument("--kind", choices=TASK_KINDS, help="only grants or only removals")
    add("show", _show, "one case with its findings, replies and audit trail")
    add("confirm", _confirm, "confirm a reading made by OCR after comparing it with the page (clears form.ocr)")
    p = add("approve", _approve, "approve a case (any finding, an unverified sender, a pending proposal, a "
                                 "removal leaving a centre with no administrator or another operator's "
                                 "ownership needs --override; an OCR reading must be confirmed first, and a "
                                 "removal's person chosen)")
    p.add_argument("--override", metavar="REASON", help="approve despite what the approval rule asks a reason "
                                                        "for, with this reason (audited)")
    p = add("reject", _reject, "reject a case and queue the rejection reply to the sender")
    p.add_argument("--reason", required=True, help="why, in Norwegian: the sender reads it")
    p = add("request-info", _request_info, "ask the sender for information (queues a reply)")
    p.add_argument("--note", help="a note to the sender, in Norwegian")
    p = add("done", _done, "the case was carried out in IMDinett: a grant's user enters the registry, a removal "
                           "takes the role off it (queues the confirmation)", aliases=("provisioned",))
    p.add_argument("--user-id", help="a new user's id in IMDinett: U and digits, e.g. U10234 (a case that extends "
                                     "a user, and a removal, know theirs)")
    add("take", _take, "take the case: others see that you work on it")
    p = add("remove", _remove, "a removal case: a registry user's Mottaksadministrator role ends (IMDi support)",
            task=False)
    p.add_argument("--user-id", required=True, help="the registry user (e.g. U10234)")
    p.add_argument("--centre", action="append", default=[], metavar="NR",
                   help="a mottaksnummer where the role ends; repeat for several (default: all the user's centres)")
    p.add_argument("--reason", required=True, help="why the role ends (shown on the case and in the audit log)")
    p.add_argument("--actor", default=None, help="who asks, for the audit log (default: $USER)")
    p = add("assign", _assign, "say which registry user (and centres) a removal case is about")
    p.add_argument("--user-id", required=True, help="the registry user (e.g. U10234)")
    p.add_argument("--centre", action="append", default=[], metavar="NR",
                   help="a mottaksnummer where the role ends; repeat for several (default: all the user's centres)")
    p = add("correct", _correct, "correct fields (the case is checked again)")
    p.add_argument("--set", dest="sets", action="append", required=True, metavar="PATH=VALUE",
                   help="e.g. applicant.mobile=+4791234567 or centres='Askim asylmottak; Mysen asylmottak'")
    p = add("export", _export, "approved cases as rows for IMDinett", task=False)
    p.add_argument("--state", choices=(APPROVED, DONE), default=APPROVED, help="which cases (default approved)")
    p.add_argument("--format", choices=("csv", "excel-csv", "xlsx", "json"), default="csv",
                   help="csv (default: the scripts' columns), excel-csv (for Norwegian Excel: BOM, ';', Norwegian "
                        "headers), xlsx (an Excel workbook, numbers kept as text) or json")
    p.add_argument("--output", "-o", default=None, metavar="FILE",
                   help="write to FILE instead of standard output (xlsx needs it unless output is redirected)")


def _list(args: argparse.Namespace) -> int:
    from pipeline.queries.case import case_rows

    _, session_factory = database_from(args)
    with session_factory() as session:
        rows = case_rows(session, state=args.state, kind=args.kind)
    if args.json:
        print_json(rows)
        return 0
    lines = []
    for r in rows:
        a = r["applicant"]
        name = " ".join(p for p in (a["first_name"], a["last_name"]) if p) or "–"
        if r["kind"] == REMOVAL:  # a removal names the user whose role ends
            name = f"{r.get('user_id')} {name}" if r.get("user_id") else "ikke kjent ennå"
        codes = Counter(f["code"] for f in r["findings"])
        found = ", ".join(f"{words.finding(c)} ×{n}" if n > 1 else words.finding(c) for c, n in codes.items())
        lines.append([r["case_ref"], state_label(r["state"], r["kind"]), words.kind(r["kind"]), name,
                      a["mobile"] or "–", found or "–"])
    for line in table(lines, widths=(9, 0, 0, None, 12, None),
                      header=("Sak", "Status", "Type", "Navn", "Mobil", "Funn")):
        print(line)
    if not rows:
        print("Ingen saker" + (f" med status «{state_label(args.state)}»." if args.state else "."))
    return 0


def _show(args: argparse.Namespace) -> int:
    from pipeline.queries.case import case_detail

    _, session_factory = database_from(args)
    with session_factory() as session:
        data = case_detail(session, args.id)
    if args.json:
        print_json(data)
        return 0
    a = data["applicant"]
    print(f"{data['case_ref']} (sak {data['id']}, {words.kind(data['kind']).lower()}): "
          f"{state_label(data['state'], data['kind'])}")
    rows: list[tuple[str, str]] = []
    if data["kind"] == REMOVAL:
        who = f"{a['first_name']} {a['last_name']} <{a['email']}>" if data["user_id"] else "ikke kjent ennå (assign)"
        rows.append(("Bruker", f"{data['user_id'] or '–'} {who}"))
        rows.append(("Bedt om av", words.origin(data["origin"])))
        rows.append(("Begrunnelse", data["reason"] or "–"))
    else:
        rows.append(("Søker", f"{a['first_name']} {a['last_name']} <{a['email']}> {a['mobile']} ({a['position']})"))
    rows.append(("Driftsoperatør", f"{data['operator'].get('organisation')} ({data['operator_id']})"))
    for c in data["centres"]:
        rows.append(("Mottak", f"{c.get('written', c['name'])} → {c['mottaksnummer'] or '?'} {c['name'] or ''}"))
    for f in data["findings"]:
        rows.append((words.severity(f["severity"]).capitalize(), f"{f['message']} ({words.finding(f['code'])})"))
    for r in data["replies"]:
        rows.append((f"Svar {r['id']}", f"{words.reply_kind(r['kind'])}, {words.reply_state(r['state']).lower()}: "
                                        f"{cut(r['subject'], 80)}"))
    width = max(len(k) for k, _ in rows) + 1
    for key, value in rows:
        print(f"  {key + ':':<{width}} {value}")
    if data["audit"]:
        print("  Historikk:")
    for e in data["audit"]:
        print(f"    {cli_time(e['at'])} {e['actor']}: {words.audit_label(e['action'])}")
    return 0


def _decide(args: argparse.Namespace, decide: Any, **kwargs: Any) -> int:
    settings, session_factory = database_from(args)
    takes_settings = "settings" in inspect.signature(decide).parameters
    decided = decide(session_factory, args.id, actor=args.actor or default_actor(), expect_state=args.expect_state,
                     **({"settings": settings} if takes_settings else {}), **kwargs)
    if args.json:
        print_json(decided.data)
    else:
        print(f"{decided.case_ref}: {state_label(decided.state, decided.kind)}")
    return 0


def _confirm(args: argparse.Namespace) -> int:
    from pipeline.usecases.case_decisions import confirm_reading

    return _decide(args, confirm_reading)


def _approve(args: argparse.Namespace) -> int:
    from pipeline.usecases.case_decisions import approve

    return _decide(args, approve, override_reason=args.override)


def _reject(args: argparse.Namespace) -> int:
    from pipeline.usecases.case_decisions import reject

    return _decide(args, reject, reason=args.reason)


def _request_info(args: argparse.Namespace) -> int:
    from pipeline.usecases.case_decisions import request_info

    return _decide(args, request_info, note=args.note)


def _done(args: argparse.Namespace) -> int:
    from pipeline.usecases.case_decisions import mark_done

    return _decide(args, mark_done, user_id=args.user_id)


def _take(args: argparse.Namespace) -> int:
    from pipeline.usecases import case_decisions as cases

    _, session_factory = database_from(args)
    decided = cases.take(session_factory, args.id, actor=args.actor or default_actor())
    print_json(decided.data) if args.json else print(f"{decided.case_ref}: tatt av {args.actor or default_actor()}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from pipeline.queries.case import case_detail
    from pipeline.usecases.removal_orders import request_removal

    _, session_factory = database_from(args)
    asked = request_removal(session_factory, user_id=args.user_id, centres=args.centre, reason=args.reason,
                            actor=args.actor or default_actor())
    if args.json:
        with session_factory() as session:
            print_json({**case_detail(session, asked.id), "new": asked.new})
        return 0
    centres = ", ".join(f"{name} ({nr})" for nr, name in asked.centres)
    print(f"{asked.case_ref}: fjerne {asked.user_id} ved {centres}: "
          + ("til vurdering" if asked.new else "er allerede under behandling"))
    return 0


def _assign(args: argparse.Namespace) -> int:
    from pipeline.usecases.case_decisions import assign

    return _decide(args, assign, user_id=args.user_id, centres=args.centre)


def _correct(args: argparse.Namespace) -> int:
    from pipeline.usecases.case_decisions import correct

    changes: dict[str, Any] = {}
    for item in args.sets:
        path, sep, value = item.partition("=")
        if not sep:
            raise PipelineError(f"--set wants PATH=VALUE, not {item!r}", code="cli.usage")
        changes[path.strip()] = value
    return _decide(args, correct, changes=changes)


def _export(args: argparse.Namespace) -> int:
    from pipeline.core.clock import now_utc
    from pipeline.queries.export import export_csv, export_excel_csv, export_rows, export_xlsx

    _, session_factory = database_from(args)
    with session_factory() as session:
        rows = export_rows(session, (args.state,))
    if args.json or args.format == "json":
        print_json(rows)
        return 0
    if args.format == "csv" and not args.output:
        sys.stdout.write(export_csv(rows))  # the scripts' contract, as it always was
        return 0
    data: bytes
    if args.format == "xlsx":
        data = export_xlsx(rows, title="Godkjente" if args.state == APPROVED else "Utførte", when=now_utc())
    elif args.format == "excel-csv":
        data = export_excel_csv(rows)
    else:
        data = export_csv(rows).encode("utf-8")
    if args.output:
        with open(args.output, "wb") as fh:
            fh.write(data)
        return 0
    if args.format == "xlsx" and sys.stdout.isatty():
        raise PipelineError("an xlsx file is binary: give --output FILE or redirect standard output",
                            code="cli.usage")
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0
