"""`pipeline parse FILE... [--json]`: the contract in DESIGN.md (keys, null for empty, errors, exit codes)."""

from __future__ import annotations

import json
import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from pipeline.entrypoints.cli import main
from pipeline.entrypoints.cli.parse_cmd import looks_like_mail
from tests.conftest import FIXTURES

pytestmark = pytest.mark.pure

OPERATOR = {"organisation", "manager", "email", "phone"}
APPLICANT = {"first_name", "last_name", "email", "mobile", "position"}


def _attachment(slug: str, tmp_path: Path) -> Path:
    msg = message_from_bytes((FIXTURES / f"{slug}.eml").read_bytes(), policy=policy.default)
    part = next(iter(msg.iter_attachments()))  # type: ignore[attr-defined]
    path = tmp_path / part.get_filename()
    path.write_bytes(part.get_payload(decode=True))
    return path


def _run(capsys, *argv: str) -> tuple[int, object]:  # type: ignore[no-untyped-def]
    code = main(["parse", "--json", *argv])
    return code, json.loads(capsys.readouterr().out)


def _assert_shape(out: dict) -> None:
    assert set(out) == {"form", "source", "operator", "applicant", "centres"}
    assert out["form"] == "mottaksadministrator"
    assert set(out["operator"]) == OPERATOR and set(out["applicant"]) == APPLICANT
    assert all(isinstance(c, str) for c in out["centres"])


def test_one_file_gives_one_object(tmp_path, capsys):
    code, out = _run(capsys, str(_attachment("docx-plain", tmp_path)))
    assert code == 0 and isinstance(out, dict)
    _assert_shape(out)
    assert out["applicant"]["first_name"] == "Ingrid"
    assert out["centres"] == ["Gol asylmottak", "Torpo asylmottak"]


def test_empty_fields_are_null(tmp_path, capsys):
    code, out = _run(capsys, str(_attachment("docx-content-controls", tmp_path)))
    assert code == 0
    _assert_shape(out)  # type: ignore[arg-type]
    assert out["operator"]["phone"] is None and out["applicant"]["position"] is None  # type: ignore[index]


def test_blank_forms_read_with_every_field_null(reference_dir, capsys):
    forms = sorted((reference_dir / "forms").glob("mottaksadministrator-blank*"))
    assert len(forms) >= 3
    code, out = _run(capsys, *map(str, forms))
    assert code == 0 and isinstance(out, list) and len(out) == len(forms)
    for reading in out:
        _assert_shape(reading)
        assert set(reading["operator"].values()) == {None} and set(reading["applicant"].values()) == {None}
        assert reading["centres"] == []


def test_several_files_give_a_list_and_one_failure_exits_non_zero(tmp_path, capsys):
    good = _attachment("pdf-fillable", tmp_path)
    bad = _attachment("pdf-invoice", tmp_path)
    code, out = _run(capsys, str(good), str(bad))
    assert code == 1 and isinstance(out, list)
    _assert_shape(out[0])
    assert out[1] == {"error": {"code": "not_a_form", "message": out[1]["error"]["message"]}}
    assert out[1]["error"]["message"]


def test_a_saved_email_is_a_typed_error_that_says_what_to_do(capsys):
    code, out = _run(capsys, str(FIXTURES / "docx-plain.eml"))
    assert code == 1
    assert out["error"]["code"] == "unsupported.format"  # type: ignore[index]
    assert "e-mail message" in out["error"]["message"] and "attach" in out["error"]["message"]  # type: ignore[index]


@pytest.mark.parametrize(("name", "data", "code"), [
    ("notes.txt", b"Fornavn: Kari\nEtternavn: Berg\n", "unsupported.format"),
    ("empty.docx", b"", "unreadable.corrupt"),
    ("renamed.pdf", b"Fornavn: Kari\n", "unreadable.corrupt"),
    ("blank.bin", b"\0" * 32, "unreadable.corrupt"),
    ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "unreadable.corrupt"),  # a broken picture (scans are read)
    ("clip.gif", b"GIF89a" + b"\0" * 64, "unsupported.format"),
])
def test_other_non_form_files_are_typed_errors(tmp_path, capsys, name, data, code):
    path = tmp_path / name
    path.write_bytes(data)
    exit_code, out = _run(capsys, str(path))
    assert exit_code == 1 and set(out) == {"error"} and out["error"]["code"] == code  # type: ignore[index]
    assert set(out["error"]) == {"code", "message"}  # type: ignore[index]


def test_a_missing_file_is_a_typed_error(tmp_path, capsys):
    exit_code, out = _run(capsys, str(tmp_path / "nowhere.docx"))
    # A file that cannot be opened is a usage error (2); one that is not the form is a finding (1).
    assert exit_code == 2 and out["error"]["code"] == "file.unreadable"  # type: ignore[index]


def test_text_output_for_people(tmp_path, capsys):
    assert main(["parse", str(_attachment("docx-plain", tmp_path)), str(FIXTURES / "mail-bounce.eml")]) == 1
    out = capsys.readouterr().out
    # The fields under the web UI's labels; the error's code stays as it is.
    assert re.search(r"Fornavn: +Ingrid", out) and "Mottak 1: Gol asylmottak" in out
    assert "feil [unsupported.format]" in out


@pytest.mark.parametrize(("head", "mail"), [
    (b"From: a@b.no\r\nTo: post@imdi.no\r\nSubject: x\r\n\r\nbody", True),
    (b"From sender@b.no Mon Nov  2 08:00:00 2026\nReturn-Path: <a@b.no>\nReceived: by x\n\nbody", True),
    (b"Fornavn: Kari\nEtternavn: Berg\n", False),
    (b"Subject: only one header line\n\nand some text", False),
    (b"%PDF-1.7", False),
])
def test_looks_like_mail(head, mail):
    assert looks_like_mail(head) is mail


def test_a_scan_and_a_photo_read_by_ocr(tmp_path, capsys):
    scan = _attachment("scan-pdf-300dpi", tmp_path)
    photo = _attachment("photo-desk-jpeg", tmp_path)
    exit_code, out = _run(capsys, str(scan), str(photo))
    assert exit_code == 0 and isinstance(out, list)
    for reading, fmt in zip(out, ("pdf", "image"), strict=True):
        assert reading["source"]["method"] == "ocr" and reading["source"]["format"] == fmt
        assert reading["applicant"]["email"] and reading["centres"]
        assert 0 <= reading["source"]["provenance"]["applicant.email"]["confidence"] <= 100
