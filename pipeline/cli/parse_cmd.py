"""`pipeline parse FILE... [--json]`: read forms, no database."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.forms import read_form


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("parse", parents=[common], help="read filled forms (.docx, .pdf) and print the fields")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--json", action="store_true", help="print JSON (the contract in DESIGN.md)")
    p.set_defaults(handler=_parse)


def parse_files(paths: list[Path], settings) -> tuple[list[dict], bool]:  # type: ignore[no-untyped-def]
    """One result per file: the reading's JSON, or {"error": {...}}; and whether all were read."""
    results: list[dict] = []
    ok = True
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            results.append({"error": {"code": "file.unreadable", "message": f"{path}: {exc.strerror}"}})
            ok = False
            continue
        try:
            results.append(read_form(data, path.name, settings.limits).to_json())
        except PipelineError as exc:
            results.append(exc.to_json())
            ok = False
    return results, ok


def _parse(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json, settings_from

    results, ok = parse_files(args.files, settings_from(args))
    if args.json:
        print_json(results[0] if len(results) == 1 else results)
    else:
        for path, result in zip(args.files, results, strict=True):
            print(f"== {path}")
            if "error" in result:
                print(f"  error [{result['error']['code']}]: {result['error']['message']}")
                continue
            for section in ("operator", "applicant"):
                for key, value in result[section].items():
                    print(f"  {section}.{key}: {value if value is not None else '-'}")
            for i, centre in enumerate(result["centres"], 1):
                print(f"  centre {i}: {centre}")
    return 0 if ok else 1
