"""The PDF reader against the PDF fixtures, the blank forms and hand-made edge cases."""

from __future__ import annotations

import email
import json
import re
from email import policy
from pathlib import Path

import pytest

from pipeline import errors
from pipeline.forms import read_form
from pipeline.forms.pdf_reader import read_pdf
from pipeline.settings import Limits
from tests.conftest import FIXTURES
from tests.forms import pdf_samples

pytestmark = pytest.mark.pure

PDF_FIXTURES = sorted(FIXTURES.glob("pdf-*.eml"))


def _attachments(eml: Path) -> list[tuple[str, bytes]]:
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    return [(part.get_filename(), part.get_content()) for part in msg.iter_attachments()]


def _expected(eml: Path) -> dict:
    return json.loads(eml.with_name(eml.name.replace(".eml", ".expected.json")).read_text(encoding="utf-8"))


def test_there_are_enough_pdf_fixtures():
    assert len(PDF_FIXTURES) >= 10


@pytest.mark.parametrize("eml", PDF_FIXTURES, ids=lambda p: p.stem)
def test_fixture_reads_as_expected(eml: Path):
    expected = _expected(eml)["attachments"]
    for filename, data in _attachments(eml):
        want = expected[filename]
        if "error" in want:
            with pytest.raises(errors.FormError) as info:
                read_form(data, filename)
            assert info.value.code == want["error"]["code"], info.value.message
            continue
        got = read_form(data, filename).to_json()
        source = got.pop("source")
        assert got == want  # every field, as written
        assert source["format"] == "pdf" and source["filename"] == filename
        # Every value says where it was found.
        provenance = source["provenance"]
        for section in ("operator", "applicant"):
            for key, value in want[section].items():
                if value is not None:
                    assert provenance[f"{section}.{key}"]["kind"] in ("acroform", "table_cell", "page_text")
        assert len(provenance["centres"]) == len(want["centres"])


def _read_fixture(stem: str):
    (filename, data), = _attachments(FIXTURES / f"{stem}.eml")
    return read_form(data, filename)


def test_methods_and_provenance():
    fillable = _read_fixture("pdf-fillable")
    assert fillable.method == "acroform"
    where = fillable.fields["applicant.email"].where
    assert where.kind == "acroform" and where.detail["field"] == "email" and where.detail["page"] == 1
    assert len(where.detail["bbox"]) == 4

    renamed = _read_fixture("pdf-fillable-renamed-fields")
    assert renamed.method == "acroform"
    assert renamed.fields["operator.email"].where.detail["field"].startswith("Text")

    word = _read_fixture("pdf-word-basic")
    assert word.method == "pdf_table"
    cell = word.fields["applicant.email"].where
    assert cell.kind == "table_cell" and cell.detail["table"] == 1 and cell.detail["cell"] == 1

    assert _read_fixture("pdf-word-borderless").method == "pdf_text"
    assert _read_fixture("pdf-word-borderless").fields["operator.email"].where.kind == "page_text"


def test_same_label_in_two_sections_is_read_by_section():
    reading = _read_fixture("pdf-word-basic")
    assert reading.value("operator.email") == "lars.lund@vestvik-asyl.no"
    assert reading.value("applicant.email") == "ingrid.haugland@vestvik-asyl.no"


def test_centre_table_over_a_page_break():
    reading = _read_fixture("pdf-word-centre-table-page-break")
    pages = {c.where.detail["page"] for c in reading.centres}
    assert pages == {1, 2}
    assert len(reading.centres) == 15


@pytest.mark.parametrize("name,method", [("mottaksadministrator-blank.pdf", "pdf_table"),
                                         ("mottaksadministrator-blank-fillable.pdf", "acroform")])
def test_blank_forms_read_empty(reference_dir: Path, name: str, method: str):
    reading = read_pdf((reference_dir / "forms" / name).read_bytes(), name)
    assert reading.method == method
    assert all(v is None for v in reading.to_json()["operator"].values())
    assert all(v is None for v in reading.to_json()["applicant"].values())
    assert reading.centres == []


def test_borderless_text_form_with_continued_lines():
    data = pdf_samples.text_page([
        "Skjema om mottaksadministrativ bruker i IMDinett mottak",
        "Opplysninger om driftsoperatør:",
        "Navn på firma / organisasjon: Vestvik Asyldrift AS",
        "E-postadresse: post@vestvik-asyl.no",
        "Opplysninger om den som skal ha rollen mottaksadministrativ bruker:",
        "Fornavn: Kari",
        "Etternavn: Nordmann",
        "E-postadresse: kari@vestvik-asyl.no",
        "Mobiltelefonnummer: 912 34 567",
        "Hvilke mottak / akuttinnkvarteringer skal administreres av denne brukeren:",
        "1 Dale asylmottak",
        "2 Egersund asylmottak og Vikeså asylmottak",
        "3",
        "Hvis det er behov for tilgang til å administrere flere mottak, legg til rader.",
    ])
    reading = read_pdf(data, "tekst.pdf")
    assert reading.method == "pdf_text"
    assert reading.value("operator.email") == "post@vestvik-asyl.no"
    assert reading.value("applicant.email") == "kari@vestvik-asyl.no"
    assert reading.value("applicant.mobile") == "912 34 567"
    assert reading.value("applicant.position") is None
    assert reading.centre_names() == ["Dale asylmottak", "Egersund asylmottak", "Vikeså asylmottak"]
    assert reading.fields["applicant.first_name"].where.detail["page"] == 1


def test_another_imdi_form_is_not_a_form():
    data = pdf_samples.text_page(["Skjema om kommuneadministrativ bruker i IMDinett",
                                  "Opplysninger om kommunen:", "Fornavn: Kari", "Mobiltelefonnummer: 912 34 567"])
    with pytest.raises(errors.NotAForm):
        read_pdf(data, "kommune.pdf")


def test_too_many_pages_is_a_limit():
    with pytest.raises(errors.LimitExceeded):
        read_pdf(pdf_samples.many_pages(45), "mange.pdf")
    # A smaller cap applies too.
    with pytest.raises(errors.LimitExceeded):
        read_pdf(pdf_samples.many_pages(5), "fem.pdf", Limits(max_pdf_pages=3))


def test_huge_page_count_fails_fast_on_the_cap():
    # 20,000 pages: refused on the cap, without building every page (bounded by the time limit anyway).
    with pytest.raises(errors.LimitExceeded):
        read_pdf(pdf_samples.many_pages(20000), "enorm.pdf")


def test_deeply_nested_structures():
    with pytest.raises((errors.CorruptFile, errors.LimitExceeded)):
        read_pdf(pdf_samples.deep_page_tree(5000), "dyp.pdf")
    # A page tree that contains itself is not followed for ever.
    with pytest.raises(errors.FormError):
        read_pdf(pdf_samples.self_referencing_page_tree(), "sirkel.pdf")


@pytest.mark.parametrize("data", [b"%PDF-1.4\n" + bytes(range(256)) * 40, b"%PDF-1.7\n1 0 obj\n<<", b"%PDF-"])
def test_garbage_is_corrupt(data: bytes):
    with pytest.raises(errors.CorruptFile):
        read_pdf(data, "x.pdf")


def test_truncated_form_is_corrupt(reference_dir: Path):
    data = (reference_dir / "forms" / "mottaksadministrator-blank.pdf").read_bytes()
    with pytest.raises(errors.CorruptFile):
        read_pdf(data[: len(data) // 2], "halv.pdf")


def test_widgets_without_page_reference_are_placed_by_the_pages_annotations():
    (filename, data), = _attachments(FIXTURES / "pdf-fillable-renamed-fields.eml")
    # Blank out every widget's /P (same length, so the xref table stays valid).
    stripped = re.sub(rb"/P \d+ 0 R", lambda m: b" " * len(m.group(0)), data)
    assert stripped != data
    assert read_pdf(stripped, filename).to_json() == read_pdf(data, filename).to_json()


def test_text_values_in_a_column_continue_on_the_next_lines():
    col = 230.0
    data = pdf_samples.text_page([
        "Skjema om mottaksadministrativ bruker i IMDinett mottak",
        "Opplysninger om driftsoperatør:",
        [(56, "Navn på firma / organisasjon:"), (col, "Vestvik Asyldrift AS")],
        [(56, "E-postadresse:"), (col, "post@vestvik-asyl.no")],
        "Opplysninger om den som skal ha rollen mottaksadministrativ bruker:",
        [(56, "Fornavn:"), (col, "Kari")],
        [(56, "E-postadresse:"), (col, "kari@vestvik-asyl.no")],
        [(56, "Mobiltelefonnummer:"), (col, "912 34 567")],
        [(56, "Stilling:"), (col, "Fagansvarlig for mottaksdrift og")],
        [(col, "brukertilganger")],
        "Hvilke mottak / akuttinnkvarteringer skal administreres av denne",
        "brukeren:",
        [(56, "1"), (80, "Dale asylmottak")],
        [(56, "2")],
        [(56, "Egersund asylmottak")],
    ])
    reading = read_pdf(data, "kolonner.pdf")
    assert reading.method == "pdf_text"
    assert reading.value("operator.email") == "post@vestvik-asyl.no"
    assert reading.value("applicant.position") == "Fagansvarlig for mottaksdrift og brukertilganger"
    assert reading.value("applicant.mobile") == "912 34 567"
    # The heading wrapped onto a second line; a name typed in the number column is a centre too.
    assert reading.centre_names() == ["Dale asylmottak", "Egersund asylmottak"]
