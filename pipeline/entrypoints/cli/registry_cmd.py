"""`pipeline registry import|show|stats`: load the registry CSV files; look at what is loaded."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipeline.entrypoints.cli import group, words
from pipeline.registry.centre_index import CentreInfo


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    rsub = group(sub, "registry", "the registry of operators, centres and users", common)
    imp = rsub.add_parser("import", parents=[common], help="import operators.csv, centres.csv, users.csv",
                          description="Load the registry's CSV files (format: reference/registry/README.md). Every "
                                      "bad row is reported as file:line: reason; a file with a bad row changes "
                                      "nothing unless --partial. Importing the same files again changes nothing.")
    imp.add_argument("--operators", type=Path, metavar="F", help="driftsoperatører (operators.csv)")
    imp.add_argument("--centres", type=Path, metavar="F", help="mottak and akuttinnkvarteringer (centres.csv)")
    imp.add_argument("--users", type=Path, metavar="F", help="IMDinett Mottak's users (users.csv)")
    imp.add_argument("--partial", action="store_true",
                     help="import the valid rows of a file that has rejected rows (default: all or nothing)")
    imp.add_argument("--complete", action="store_true",
                     help="the users file is IMDinett's whole export: users absent from it are marked removed "
                          "(kept, not deleted), except users granted here within --grace-days")
    imp.add_argument("--grace-days", type=int, metavar="N", default=None,
                     help="with --complete: keep users granted here for N days until the export lists them "
                          "(default: $PIPELINE_REGISTRY_GRACE_DAYS or 14)")
    imp.add_argument("--dry-run", action="store_true", help="print what the import would do and change nothing")
    imp.add_argument("--actor", default=None, help="who imports, for the audit log (default: $USER)")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.set_defaults(handler=_import)
    stats = rsub.add_parser("stats", parents=[common], help="count what the registry holds")
    stats.add_argument("--json", action="store_true", help="print JSON instead of text")
    stats.set_defaults(handler=_stats)
    show = rsub.add_parser("show", parents=[common], help="resolve centre names as the checks would")
    show.add_argument("names", nargs="+", metavar="NAME", help="a centre's name as someone wrote it")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    show.set_defaults(handler=_show)


class ProgressBar:
    """A one-line bar on stderr for large files (only on a terminal; logs stay clean)."""

    def __init__(self, stream=None, min_rows: int = 5000) -> None:  # type: ignore[no-untyped-def]
        self.stream = stream or sys.stderr
        self.min_rows = min_rows
        self.enabled = self.stream.isatty()
        self._last = 0.0

    def __call__(self, kind: str, done: int, total: int) -> None:
        if not self.enabled or total < self.min_rows:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = int(width * done / total) if total else width
        self.stream.write(f"\r{kind:<10} [{'#' * filled}{'.' * (width - filled)}] {done:>7}/{total}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _import(args: argparse.Namespace) -> int:
    from pipeline.entrypoints.cli import database_from, print_json
    from pipeline.entrypoints.cli.queue_cmd import default_actor
    from pipeline.usecases.registry_import import run_import

    if not (args.operators or args.centres or args.users):
        from pipeline.errors import RegistryImportError

        raise RegistryImportError("give at least one of --operators, --centres, --users")
    settings, session_factory = database_from(args)
    report = run_import(session_factory, operators=args.operators, centres=args.centres, users=args.users,
                        complete=args.complete, grace_days=args.grace_days, dry_run=args.dry_run,
                        partial=args.partial, actor=args.actor or default_actor(), settings=settings,
                        progress=ProgressBar())
    if args.json:
        print_json(report.to_json())
    else:
        print("\n".join(report_lines(report)))
    return 0 if report.ok else 1


_FILE_KINDS = {"operators": "Driftsoperatører", "centres": "Mottak", "users": "Brukere"}
STATS_LABELS = {"operators": "Driftsoperatører", "centres": "Mottak", "active_centres": "Mottak i drift",
                "users": "Aktive brukere", "removed_users": "Fjernede brukere", "roles": "Roller"}
_RESOLVED = {"resolved": "funnet", "ambiguous": "flere mulige", "unknown": "ukjent"}


def report_lines(report) -> list[str]:  # type: ignore[no-untyped-def]
    """The import report as text."""
    lines = ["PRØVEKJØRING: ingenting er endret; slik ville importen blitt."] if report.dry_run else []
    for f in report.files:
        valid = f.rows - len([r for r in f.rejected if r.line > 1])
        if f.applied:
            state = "ville blitt importert" if report.dry_run else "importert"
        elif valid > 0:  # good rows were held back by the bad ones: --partial takes them
            state = "IKKE importert (alt eller ingenting; --partial tar med de gyldige radene)"
        else:
            state = "IKKE importert (rett filen og prøv igjen)"
        lines.append(f"{_FILE_KINDS.get(f.kind, f.kind)}: {f.file}: {words.count(f.rows, 'rad', 'rader')}: "
                     f"{f.added} lagt til, {f.updated} endret, {f.unchanged} uendret, {len(f.rejected)} avvist; "
                     f"{state}")
        lines += [f"  {r}" for r in f.rejected]
        for title, people in (("fjernet (mangler i den fullstendige eksporten)", f.removed),
                              ("gitt tilgang her, ennå ikke i IMDinett (beholdt)", f.not_yet_in_imdinett),
                              ("aktive igjen (står i eksporten igjen)", f.reactivated),
                              ("gitt tilgang her, nå i IMDinett", f.confirmed),
                              ("gitt tilgang her, erstattet av IMDinetts bruker med samme mobil", f.replaced)):
            if people:
                lines.append(f"  {title}: {len(people)}")
                lines += [f"    {p['user_id']} {p['name']}" + (f" → {p['by']}" if p.get("by") else "")
                          for p in people]
        if f.closed:
            closed = ", ".join(f"{c['name']} ({c['mottaksnummer']})" for c in f.closed)
            lines.append(f"  nedlagt (active=false): {closed}")
    for t in report.removal_tasks:
        verb = "ville blitt opprettet" if report.dry_run else "opprettet" if t["new"] else "allerede under behandling"
        ref = "" if report.dry_run else f" {t['case_ref']}"
        lines.append(f"Fjerningssak{ref} ({verb}): {t['user_id']} {t['name']} ved {t['centre']} "
                     f"({t['mottaksnummer']})")
    return lines


def _stats(args: argparse.Namespace) -> int:
    from pipeline.adapters.db.session import open_database
    from pipeline.entrypoints.cli import print_json, settings_from
    from pipeline.queries.registry import stats

    session_factory = open_database(settings_from(args))
    with session_factory() as session:
        counts = stats(session)
    if args.json:
        print_json(counts)
    else:
        width = max(len(label) for label in STATS_LABELS.values())
        for key, value in counts.items():
            print(f"{STATS_LABELS.get(key, key) + ':':<{width + 1}} {value}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from pipeline.adapters.db.session import open_database
    from pipeline.adapters.registry_store import RegistryView
    from pipeline.entrypoints.cli import print_json, settings_from

    session_factory = open_database(settings_from(args))
    out = []
    with session_factory() as session:
        view = RegistryView(session)
        for name in args.names:
            res = view.resolve_centre(name)
            out.append({
                "written": name, "status": res.status, "how": res.how, "score": res.score,
                "centre": _centre_json(res.centre) if res.centre else None,
                "candidates": [_centre_json(c) for c in res.candidates],
            })
    if args.json:
        print_json(out)
    else:
        for item in out:
            centre = item["centre"]
            line = f"{centre['name']} ({centre['mottaksnummer']})" if centre else ", ".join(
                f"{c['name']} ({c['mottaksnummer']})" for c in item["candidates"]) or "-"
            print(f"«{item['written']}»: {_RESOLVED.get(item['status'], item['status'])} ({item['how']}): {line}")
    return 0


def _centre_json(c: CentreInfo) -> dict[str, object]:
    return {"mottaksnummer": c.mottaksnummer, "name": c.name, "kind": c.kind, "operator_id": c.operator_id,
            "active": c.active}
