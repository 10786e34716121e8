"""`pipeline parse FILE... [--json]`: read forms, no database."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from pipeline.core.domain import field_label
from pipeline.entrypoints.cli import base_parser
from pipeline.errors import PipelineError, UnsupportedFormat
from pipeline.forms import read_form
from pipeline.settings import Limits

# Header names that open an e-mail message, as a saved .eml or an mbox extract begins.
_MAIL_HEADERS = (b"from:", b"to:", b"subject:", b"date:", b"message-id:", b"mime-version:", b"received:",
                 b"return-path:", b"delivered-to:", b"content-type:", b"reply-to:", b"cc:")
_FIELD_NAME = re.compile(rb"[!-9;-~]+:")  # RFC 5322 field-name, then the colon


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("parse", parents=[base_parser()],
                       help="read filled forms (.docx, .pdf, or a scan or photo read by OCR) and print the fields",
                       description="Read filled forms and print the fields as written, with no database: Word "
                                   "(.docx), PDF, and scans or photos (JPEG, PNG, TIFF, HEIC, image-only PDF), which "
                                   "are read by OCR. Exit status 1 when a file is not this form or cannot be read, 2 when "
                                   "it cannot be opened.")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="a filled form (.docx, .pdf, or an image)")
    p.add_argument("--json", action="store_true", help="print JSON (the contract in DESIGN.md)")
    p.set_defaults(handler=_parse)


def parse_files(paths: list[Path], limits: Limits) -> tuple[list[dict[str, Any]], bool]:
    """One result per file: the reading's JSON, or {"error": {...}}; and whether all were read."""
    results: list[dict[str, Any]] = []
    ok = True
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            results.append({"error": {"code": "file.unreadable", "message": f"{path}: {exc.strerror}"}})
            ok = False
            continue
        try:
            results.append(read_form(data, path.name, limits).to_json())
        except UnsupportedFormat as exc:
            results.append(_explain_mail(exc, path, data).to_json())
            ok = False
        except PipelineError as exc:
            results.append(exc.to_json())
            ok = False
    return results, ok


def looks_like_mail(data: bytes) -> bool:
    """True when the bytes start as an e-mail message: a header block with at least two familiar fields."""
    head = data[:4096].replace(b"\r\n", b"\n")
    if head.startswith(b"From "):  # an mbox separator line
        head = head.partition(b"\n")[2]
    block = head.partition(b"\n\n")[0].lower().split(b"\n")
    return _FIELD_NAME.match(block[0]) is not None and sum(line.startswith(_MAIL_HEADERS) for line in block) >= 2


def _explain_mail(exc: UnsupportedFormat, path: Path, data: bytes) -> PipelineError:
    """A saved e-mail is the commonest wrong input here: say what to do instead of 'unrecognised format'."""
    if not looks_like_mail(data):
        return exc
    return UnsupportedFormat(
        f"{path.name} is an e-mail message, not a form: `pipeline parse` reads the attached form (.docx or .pdf). "
        "Save the attachment and parse that, or take the message in with "
        "`pipeline worker --once --source dir:FOLDER`",
        message_no=exc.message_no)


def print_fields(path: Path, result: dict[str, Any], values: dict[str, Any] | None = None) -> bool:
    """The text output's head for one file: its fields (from `values`, default the result itself),
    or its error. False when the file could not be read."""
    print(f"== {path}")
    if "error" in result:
        print(f"  feil [{result['error']['code']}]: {result['error']['message']}")
        return False
    shown = [(field_label(f"{section}.{key}"), value) for section in ("operator", "applicant")
             for key, value in (values or result)[section].items()]
    width = max((len(label) for label, _ in shown), default=0) + 1
    for label, value in shown:
        print(f"  {label + ':':<{width}} {value if value is not None else '–'}")
    return True


def _parse(args: argparse.Namespace) -> int:
    from pipeline.entrypoints.cli import print_json, settings_from

    results, _ok = parse_files(args.files, settings_from(args).limits)
    if args.json:
        print_json(results[0] if len(results) == 1 else results)
    else:
        for path, result in zip(args.files, results, strict=True):
            if print_fields(path, result):
                for i, centre in enumerate(result["centres"], 1):
                    print(f"  Mottak {i}: {centre}")
    return status_of(results)


def status_of(results: list[dict[str, Any]]) -> int:
    """0 all read; 2 when a file could not be opened at all (a usage error); else 1 (not a form, unreadable)."""
    from pipeline.entrypoints.cli import exit_code

    return max((exit_code(r["error"]["code"]) for r in results if "error" in r), default=0)
