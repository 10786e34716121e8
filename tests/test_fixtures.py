"""Every fixture in inbox_fixtures/ reads as its <slug>.expected.json says, field by field.

Generic over formats: each attachment named in the expected file is taken out of the .eml (parsed
with the default policy, forwarded messages and TNEF included) and given to `read_form`; the result
minus "source" must equal the expected reading, or the error code must match.
"""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import FormError
from pipeline.forms import read_form
from tests.conftest import FIXTURES

pytestmark = pytest.mark.pure

# The scans and photos are read by OCR (seconds a page) in tests/forms/test_ocr_reader.py, once each, with
# the same tolerance and the accuracy over all of them; reading them here again would double that cost.
OCR_PREFIXES = ("scan-", "photo-")
EXPECTED = sorted(p for p in FIXTURES.glob("*.expected.json") if not p.name.startswith(OCR_PREFIXES))


def _attachments(msg: EmailMessage) -> dict[str, bytes]:
    """filename -> bytes for every attachment, descending into forwarded messages and winmail.dat."""
    found: dict[str, bytes] = {}
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            for sub in inner if isinstance(inner, list) else [inner]:
                found.update({k: v for k, v in _attachments(sub).items() if k not in found})
            continue
        name = part.get_filename()
        if not name or part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        if part.get_content_type() == "application/ms-tnef" or name.lower() == "winmail.dat":
            found.update(_tnef(data))
        found.setdefault(name, data)
    return found


def _tnef(data: bytes) -> dict[str, bytes]:
    try:
        from tnefparse import TNEF

        return {a.long_filename() or a.name: a.data for a in TNEF(data).attachments}
    except Exception:  # a broken winmail.dat is the mail reader's business, not this test's
        return {}


def _read(data: bytes, filename: str) -> dict[str, Any]:
    try:
        got = read_form(data, filename).to_json()
    except FormError as exc:
        return {"error": {"code": exc.code}}
    got["method"] = got.pop("source")["method"]
    return got


def test_there_are_fixtures():
    assert len(EXPECTED) >= 18


@pytest.mark.parametrize("expected_path", EXPECTED, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_fixture_reads_as_expected(expected_path: Path):
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    eml = expected_path.with_name(expected_path.name.removesuffix(".expected.json") + ".eml")
    msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
    attachments = _attachments(msg)  # type: ignore[arg-type]
    for filename, want in expected["attachments"].items():
        if want is None:  # an attachment the fixture makes no claim about
            continue
        assert filename in attachments, f"{filename!r} not found in {eml.name}"
        got = _read(attachments[filename], filename)
        if "error" in want:
            assert got.get("error", {}).get("code") == want["error"]["code"], f"{filename}: {got}"
            continue
        assert "error" not in got, f"{filename}: {got}"
        assert got.pop("method") != "ocr", f"{filename}: read by OCR, belongs in test_ocr_reader.py"
        for section in ("operator", "applicant"):
            for key, value in want[section].items():
                assert got[section][key] == value, f"{filename}: {section}.{key}"
        assert got["centres"] == want["centres"], filename
        assert got == want


def test_generated_zip_members_carry_a_fixed_date():
    """Regenerating the fixtures must give the same bytes: no member stamped with the current time."""
    import zipfile
    from io import BytesIO

    from tools.fixtures import docx_edit as d

    with zipfile.ZipFile(BytesIO(d.minimal_docx(d.para("Faktura"), extra={"word/x.xml": b"<x/>"}))) as zf:
        assert {info.date_time for info in zf.infolist()} == {d.FIXED_ZIP_DATE}


def test_stored_libreoffice_pdfs_are_already_stabilised():
    """Every LibreOffice export in the fixtures has its dates and /ID blanked (so make.py is a no-op)."""
    from tools.fixtures.common import _LIBREOFFICE_MARKS, _repeatable

    seen = 0
    for eml in sorted(FIXTURES.glob("*.eml")):
        msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
        for data in _attachments(msg).values():  # type: ignore[arg-type]
            if data.startswith(b"%PDF") and any(mark in data for mark in _LIBREOFFICE_MARKS):
                seen += 1
                assert _repeatable(data) == data, eml.name
    assert seen >= 5


def test_make_skips_only_a_case_module_that_does_not_exist(tmp_path, monkeypatch):
    from tools.fixtures import make

    assert make._case_module("tools.fixtures.cases_not_written_yet") is None
    (tmp_path / "fixture_cases_broken.py").write_text("import no_such_dependency_xyz\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        make._case_module("fixture_cases_broken")


ACCESS = sorted(FIXTURES.glob("access-*.expected.json"))


def _admins_of(sender: str) -> list:  # type: ignore[type-arg]
    """The reference registry's active administrators at the centres of the sender's driftsoperatør."""
    import csv

    from pipeline.core.removal_text import Person
    from tests.conftest import REFERENCE

    reg = REFERENCE / "registry"
    domain = sender.rpartition("@")[2].strip(">").lower()
    ops = {r["operator_id"] for r in csv.DictReader((reg / "operators.csv").open(encoding="utf-8"))
           if r["email_domain"] == domain}
    centres = {r["mottaksnummer"] for r in csv.DictReader((reg / "centres.csv").open(encoding="utf-8"))
               if r["operator_id"] in ops}
    return [Person(r["user_id"], r["first_name"], r["last_name"], r["email"])
            for r in csv.DictReader((reg / "users.csv").open(encoding="utf-8"))
            if r["role"] == "Mottaksadministrator" and set(r["centres"].split(";")) & centres]


def test_there_are_access_fixtures():
    assert len(ACCESS) >= 10


@pytest.mark.parametrize("expected_path", ACCESS, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_access_fixture_reads_as_expected(expected_path: Path):
    """Removal requests and review answers: the people the text names (the worker e2e test checks the tasks)."""
    from pipeline.core.removal_text import read_removal, read_review_answer

    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    msg = message_from_bytes(expected_path.with_name(expected_path.name.replace(".expected.json", ".eml"))
                             .read_bytes(), policy=policy.default)
    body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    life = expected["lifecycle"]
    named = sorted(t["user_id"] for t in life["removal_tasks"] if t["user_id"])
    people = _admins_of(expected["sender"])
    if "review" in life:
        reading = read_review_answer(body, people)
        verdict = "unclear" if not reading.certain else "changes" if reading.named else "confirmed"
        assert verdict == life["review"]["state"] and sorted(reading.named) == named
        return
    reading = read_removal(body, people)
    assert reading.intent == bool(life["removal_tasks"]) and sorted(reading.named) == named
    assert reading.certain == all(t["user_id"] for t in life["removal_tasks"])
