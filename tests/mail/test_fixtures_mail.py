"""The worker's fixture mails (tools/fixtures/cases_mail.py): parts found, forms read as expected."""

from __future__ import annotations

import json

import pytest

from pipeline.adapters.mail.parse import parse_message
from pipeline.errors import FormError
from pipeline.forms import read_form
from tests.conftest import FIXTURES

pytestmark = pytest.mark.pure
SLUGS = ["mail-autoreply", "mail-bounce", "mail-logo-only", "mail-form-in-body", "mail-forwarded", "mail-zip",
         "mail-docx-and-pdf", "mail-octet-stream"]


def _load(slug: str) -> tuple[bytes, dict]:  # type: ignore[type-arg]
    return ((FIXTURES / f"{slug}.eml").read_bytes(),
            json.loads((FIXTURES / f"{slug}.expected.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("slug", SLUGS)
def test_fixture_parts_and_readings(slug):
    raw, expected = _load(slug)
    parsed = parse_message(raw)
    assert (parsed.auto_reply is not None) == (expected["outcome"] == "auto_reply")
    names = {p.filename: p for p in parsed.parts}
    for filename, want in expected["attachments"].items():
        if want is None or "error" in want:
            continue
        part = names[filename]
        assert part.candidate
        try:
            reading = read_form(part.data, part.filename).to_json()
        except FormError as exc:  # pragma: no cover - a failure message worth reading
            raise AssertionError(f"{slug}/{filename}: {exc.code} {exc.message}") from exc
        reading.pop("source")
        assert reading == want, filename


def test_the_form_inside_the_zip_reads():
    parts = [p for p in parse_message(_load("mail-zip")[0]).parts if p.candidate]
    assert [p.filename for p in parts] == ["Skjema - Hedda Moen.docx"]
    reading = read_form(parts[0].data, parts[0].filename).to_json()
    assert (reading["applicant"]["first_name"], reading["applicant"]["last_name"]) == ("Hedda", "Moen")
    assert reading["centres"] == ["Gol asylmottak", "Torpo asylmottak"]


def test_origins_say_where_a_form_was_found():
    origins = {slug: sorted(p.origin for p in parse_message(_load(slug)[0]).parts if p.candidate)
               for slug in ("mail-forwarded", "mail-zip", "mail-octet-stream")}
    assert origins == {"mail-forwarded": ["rfc822>attachment"], "mail-zip": ["zip:Skjema - Hedda Moen.docx"],
                       "mail-octet-stream": ["attachment"]}
