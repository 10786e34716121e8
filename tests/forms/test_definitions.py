"""The form is declared as data: a revised form is a new definition file, not new code, in both readers."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from pipeline.forms import definition as definition_module
from pipeline.forms import docx_reader, pdf_parse
from pipeline.forms.definition import FormDefinition, _load, default_definition, definitions
from tests.conftest import FIXTURES
from tools.fixtures import docx_edit as d
from tools.fixtures import docx_variants as v

pytestmark = pytest.mark.pure

NEW_LABEL = "Mobilnummer for engangskode"


@pytest.fixture
def revised(tmp_path: Path) -> FormDefinition:
    """A revised edition of the form: its own name and a new wording of the mobile label, nothing else."""
    toml = (Path(definition_module.__file__).parent / "definitions" / "mottaksadministrator.toml").read_text(
        encoding="utf-8")
    toml = toml.replace('name = "mottaksadministrator"', 'name = "mottaksadministrator_2027"', 1)
    toml = toml.replace('labels = ["mobiltelefonnummer",', f'labels = ["{NEW_LABEL.lower()}", "mobiltelefonnummer",', 1)
    path = tmp_path / "mottaksadministrator_2027.toml"
    path.write_text(toml, encoding="utf-8")
    return _load(path)


def test_the_shipped_definition_loads():
    assert [x.name for x in definitions()] == ["mottaksadministrator"]
    mobile = default_definition().section("applicant").field_for_label("Mobiltelefonnummer")
    assert mobile is not None and mobile.path == "applicant.mobile"


def test_word_reader_takes_the_revised_definition(revised, monkeypatch):
    form = d.WordForm()
    form.fill(1, "Mobiltelefonnummer", d.runs("934 56 781"))
    v.relabel(form, 1, "Mobiltelefonnummer", NEW_LABEL)
    data = form.to_bytes()
    assert docx_reader.read_docx(data).value("applicant.mobile") is None  # the shipped edition has no such label
    monkeypatch.setattr(docx_reader, "definitions", lambda: (revised, default_definition()))
    reading = docx_reader.read_docx(data)
    assert reading.form == "mottaksadministrator_2027"
    assert reading.value("applicant.mobile") == "934 56 781"


def test_pdf_reader_takes_the_first_definition_that_matches(revised, monkeypatch):
    msg = message_from_bytes((FIXTURES / "pdf-word-basic.eml").read_bytes(), policy=policy.default)
    pdf = next(iter(msg.iter_attachments())).get_payload(decode=True)  # type: ignore[attr-defined]
    assert pdf_parse.parse_pdf(pdf, "x.pdf", 50)["form"] == "mottaksadministrator"
    monkeypatch.setattr(pdf_parse, "definitions", lambda: (revised, default_definition()))
    assert pdf_parse.parse_pdf(pdf, "x.pdf", 50)["form"] == "mottaksadministrator_2027"
