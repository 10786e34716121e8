"""`pipeline check FILE... [--json]`: read forms and check them against the registry.

A FILE is a filled form (.docx, .pdf) or a saved reading in the `pipeline parse --json` shape (.json).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pipeline.checks.authentication import NOT_JUDGED
from pipeline.entrypoints.cli import words
from pipeline.entrypoints.cli.parse_cmd import print_fields, status_of


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("check", parents=[common], help="read forms and check them against the registry",
                       description="Read forms (or saved `pipeline parse --json` readings) and check them against "
                                   "the registry as it is now: required fields, e-mail addresses, the mobile (valid, "
                                   "a mobile, not someone else's), the centres, the operator and the sender.")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE",
                   help="a filled form (.docx, .pdf) or a saved reading (.json)")
    p.add_argument("--json", action="store_true", help="print JSON (the contract in DESIGN.md)")
    p.add_argument("--sender", help="the sender's address, to match the operator and check the domain "
                                    "(without a mail its authentication is not judged)")
    p.set_defaults(handler=_check)


def _read(path: Path, settings) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The reading's JSON, or {"error": ...}."""
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return {"error": {"code": "file.unreadable", "message": f"{path}: {exc}"}}
        if not isinstance(data, dict) or "applicant" not in data:
            return {"error": {"code": "not_a_form", "message": f"{path}: not a reading (pipeline parse --json)"}}
        return data
    from pipeline.entrypoints.cli.parse_cmd import parse_files

    return parse_files([path], settings.limits)[0][0]


def check_files(paths: list[Path], settings, *, sender: str | None = None  # type: ignore[no-untyped-def]
                ) -> tuple[list[dict[str, Any]], bool]:
    from pipeline.adapters.db.session import open_database
    from pipeline.adapters.registry_store import RegistryView
    from pipeline.checks import check_reading, reading_from_json
    from pipeline.errors import PipelineError

    session_factory = open_database(settings)
    results: list[dict[str, Any]] = []
    ok = True
    with session_factory() as session:
        view = RegistryView(session)
        if view.is_empty():
            raise PipelineError(
                f"the registry is empty ({settings.db_url.split('@')[-1]}): load it first with "
                "`pipeline registry import --operators F --centres F --users F`", code="registry.empty")
        for path in paths:
            data = _read(path, settings)
            if "error" in data:
                results.append(data)
                ok = False
                continue
            reading = reading_from_json(data, path.name)
            result = check_reading(reading, view, sender=sender, auth=NOT_JUDGED, settings=settings)
            out = dict(data) if "source" in data else {**reading.to_json(), **data}
            out["centres"] = [c.to_json() for c in result.centres]
            out["findings"] = [f.to_json() for f in result.findings]
            out["normalised"] = {"applicant": result.applicant, "operator": result.operator}
            out["operator_id"] = result.operator_id
            out["extends_user_id"] = result.extends_user_id
            out["mobile_country"] = result.mobile_country
            out["state"] = result.initial_state
            results.append(out)
    return results, ok


def _check(args: argparse.Namespace) -> int:
    from pipeline.entrypoints.cli import print_json, settings_from

    settings = settings_from(args)
    results, _ok = check_files(args.files, settings, sender=args.sender)
    if args.json:
        print_json(results[0] if len(results) == 1 else results)
        return _status(results)
    for path, result in zip(args.files, results, strict=True):
        if not print_fields(path, result, result.get("normalised")):
            continue
        for c in result["centres"]:
            target = f"{c['name']} ({c['mottaksnummer']})" if c["name"] else "?"
            print(f"  Mottak: {c['written']} → {target}")
        print(f"  Driftsoperatør: {result['operator_id'] or '?'}; saken ville starte som: "
              f"{words.state(result['state'])}")
        if result["extends_user_id"]:
            print(f"  Søkeren er registerbruker {result['extends_user_id']}: skjemaet utvider den brukeren")
        if result["mobile_country"] and result["mobile_country"] != settings.default_region:
            print(f"  Mobilnummeret er registrert i {result['mobile_country']}")
        for f in result["findings"]:
            print(f"  [{words.severity(f['severity'])}] {f['message']} ({words.finding(f['code'])})")
        if not result["findings"]:
            print("  Ingen funn")
    sys.stdout.flush()
    return _status(results)


def _status(results: list[dict[str, Any]]) -> int:
    """As parse's, and 1 when a form has a finding of severity error (it would not pass as it is)."""
    failing = any(f["severity"] == "error" for r in results for f in r.get("findings", ()))
    return max(status_of(results), 1 if failing else 0)
