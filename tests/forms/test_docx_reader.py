"""The Word reader, one variation at a time: each test fills the blank form one way and reads it back."""

from __future__ import annotations

import pytest

from pipeline.errors import NotAForm
from pipeline.forms import read_form
from pipeline.forms.docx_reader import read_docx
from tools.fixtures import docx_edit as d
from tools.fixtures import docx_variants as v

pytestmark = pytest.mark.pure
W = d.W


def _read(form: d.WordForm):  # type: ignore[no-untyped-def]
    return read_docx(form.to_bytes(), "skjema.docx")


@pytest.fixture
def form() -> d.WordForm:
    return d.WordForm()


def test_blank_form_reads_empty(form):
    r = _read(form)
    assert (r.form, r.format, r.method) == ("mottaksadministrator", "docx", "docx")
    assert all(fv.value is None for fv in r.fields.values()) and r.centres == []


def test_value_cells_and_provenance(form):
    form.fill(0, "Navn på firma / organisasjon", d.runs("Fjellbu Mottak AS"))
    form.fill(1, "Fornavn", d.runs("Kari"))
    r = _read(form)
    assert r.value("operator.organisation") == "Fjellbu Mottak AS"
    assert r.fields["applicant.first_name"].where.to_json() == {"kind": "table_cell", "table": 1, "row": 0, "cell": 1}


def test_same_label_read_by_section(form):
    form.fill(0, "E-postadresse", d.runs("leder@fjellbu.no"))
    form.fill(1, "E-postadresse", d.runs("kari@fjellbu.no"))
    r = _read(form)
    assert (r.value("operator.email"), r.value("applicant.email")) == ("leder@fjellbu.no", "kari@fjellbu.no")


def test_only_applicant_email_filled_stays_in_applicant(form):
    form.fill(1, "E-postadresse", d.runs("kari@fjellbu.no"))
    r = _read(form)
    assert r.value("operator.email") is None and r.value("applicant.email") == "kari@fjellbu.no"


def test_value_after_label_in_label_cell(form):
    form.set_cell(form.label_cell(1, "Fornavn"), d.runs("Fornavn: Kari"))
    form.set_cell(form.label_cell(1, "Etternavn"), d.runs("Etternavn:"), d.runs("Nordmann"))
    r = _read(form)
    assert r.value("applicant.first_name") == "Kari"
    assert r.value("applicant.last_name") == "Nordmann"
    assert r.fields["applicant.first_name"].where.detail["cell"] == 0


def test_value_cell_wins_over_label_cell(form):
    form.fill(1, "Fornavn", d.runs("Kari Anne"))
    form.set_cell(form.label_cell(1, "Fornavn"), d.runs("Fornavn: Kari"))
    assert _read(form).value("applicant.first_name") == "Kari Anne"


def test_value_that_looks_like_a_label(form):
    form.fill(1, "Stilling", d.runs("Leder"))
    r = _read(form)
    assert r.value("applicant.position") == "Leder" and r.value("operator.manager") is None


def test_multi_paragraph_tabs_nbsp_soft_breaks(form):
    form.fill(1, "Stilling", d.runs("Fagleder"), d.runs("bosetting\tog\u00a0mottak"))
    form.fill(0, "Ansvarlig leder", d.runs("Kari\nBerg"))
    r = _read(form)
    assert r.value("applicant.position") == "Fagleder bosetting og mottak"
    assert r.value("operator.manager") == "Kari Berg"


def test_content_controls(form):
    form.fill(1, "Fornavn", d.sdt_inline("Kari", "fornavn", "Fornavn"))
    form.fill(1, "Stilling", d.sdt_inline(None, "stilling", "Stilling"))
    form.fill(1, "Etternavn", d.sdt_inline("Klikk eller trykk her for å skrive inn tekst.", "etternavn", "Etternavn"))
    r = _read(form)
    assert r.value("applicant.first_name") == "Kari"
    assert r.fields["applicant.first_name"].where.to_json() == {
        "kind": "content_control", "table": 1, "row": 0, "cell": 1, "alias": "Fornavn", "tag": "fornavn"}
    assert r.value("applicant.position") is None
    assert r.value("applicant.last_name") is None


def test_placeholder_text_without_control(form):
    form.fill(1, "Stilling", d.runs("Click or tap here to enter text."))
    assert _read(form).value("applicant.position") is None


def test_tracked_changes(form):
    form.fill(1, "Mobiltelefonnummer", d.deleted("912 34 567") + d.inserted("934 56 781"))
    form.fill(1, "Etternavn", d.runs("Hans") + d.deleted("en") + d.inserted("sen"))
    r = _read(form)
    assert r.value("applicant.mobile") == "934 56 781"
    assert r.value("applicant.last_name") == "Hanssen"


def test_hyperlink(form):
    form.fill(1, "E-postadresse", d.hyperlink("kari@fjellbu.no", form.add_hyperlink_rel("mailto:kari@fjellbu.no")))
    assert _read(form).value("applicant.email") == "kari@fjellbu.no"


def test_legacy_form_fields(form):
    form.fill(1, "Fornavn", d.formtext("Kari", "Tekst1"))
    form.fill(1, "Stilling", d.formtext(None, "Tekst5"))
    r = _read(form)
    assert r.value("applicant.first_name") == "Kari"
    assert r.fields["applicant.first_name"].where.to_json()["kind"] == "form_field"
    assert r.fields["applicant.first_name"].where.detail["name"] == "Tekst1"
    assert r.value("applicant.position") is None


def test_text_split_over_runs(form):
    form.fill(0, "Navn på firma / organisasjon", d.split_runs("Solbakken Mottaksdrift AS", size=1))
    assert _read(form).value("operator.organisation") == "Solbakken Mottaksdrift AS"


def test_decomposed_letters_become_nfc(form):
    form.fill(1, "Etternavn", d.runs("Lo\u0308va\u030as"))
    form.set_centres(["A\u030algård asylmottak"])
    r = _read(form)
    assert r.value("applicant.last_name") == "Lövås"
    assert r.centre_names() == ["Ålgård asylmottak"]


def test_alternate_content_read_once(form):
    form.fill(0, "Navn på firma / organisasjon", d.text_box("Viken Integrering AS"))
    assert _read(form).value("operator.organisation") == "Viken Integrering AS"


def test_centre_rows_added_and_blank_rows(form):
    names = ["Gol asylmottak", None, "Torpo asylmottak", None, None, None, None, "Hol asylmottak", "Hov asylmottak"]
    form.set_centres(names)
    r = _read(form)
    assert r.centre_names() == ["Gol asylmottak", "Torpo asylmottak", "Hol asylmottak", "Hov asylmottak"]
    assert [c.where.detail["row"] for c in r.centres] == [0, 2, 7, 8]


def test_repeating_section_rows(form):
    v.repeating_section(form, ["Hitra asylmottak", "Snåsa asylmottak"])
    assert _read(form).centre_names() == ["Hitra asylmottak", "Snåsa asylmottak"]


def test_deleted_and_inserted_rows(form):
    form.set_centres(["Gol asylmottak", "Rødberg asylmottak"])
    v.delete_row_tracked(form.centre_rows()[1])
    new = form.add_centre_row()
    form.set_cell(new.findall(W + "tc")[1], d.runs("Nesbyen asylmottak"))
    v.insert_row_tracked(new)
    assert _read(form).centre_names() == ["Gol asylmottak", "Nesbyen asylmottak"]


def test_number_column_holds_the_name(form):
    form.set_cell(form.centre_rows()[0].findall(W + "tc")[0], d.runs("Dale asylmottak"))
    form.set_cell(form.centre_rows()[1].findall(W + "tc")[0], d.runs("2 Vikeså asylmottak"))
    r = _read(form)
    assert r.centre_names() == ["Dale asylmottak", "Vikeså asylmottak"]
    assert r.centres[0].where.detail["cell"] == 0


def test_two_centres_in_one_cell(form):
    form.set_centres(["Dale asylmottak og Hol asylmottak", "Gol asylmottak\nTorpo asylmottak", "Otta asylmottak, Lesja asylmottak"])
    assert _read(form).centre_names() == ["Dale asylmottak", "Hol asylmottak", "Gol asylmottak", "Torpo asylmottak",
                                          "Otta asylmottak", "Lesja asylmottak"]


def test_grid_span_and_vertical_merge(form):
    form.set_centres(["Stokmarknes asylmottak", "Svolvær asylmottak"])
    rows = form.centre_rows()
    v.merge_row(rows[0])
    v.vmerge(rows[1], rows[2])
    assert _read(form).centre_names() == ["Stokmarknes asylmottak", "Svolvær asylmottak"]


def test_whole_form_in_a_layout_table(form):
    form.fill(0, "E-postadresse", d.runs("leder@lyngheim.no"))
    form.fill(1, "E-postadresse", d.runs("sofie@lyngheim.no"))
    form.set_centres(["Vadsø asylmottak"])
    v.inside_layout_table(form)
    r = _read(form)
    assert (r.value("operator.email"), r.value("applicant.email")) == ("leder@lyngheim.no", "sofie@lyngheim.no")
    assert r.centre_names() == ["Vadsø asylmottak"]


def test_nested_table_inside_a_value_cell_is_read_once(form):
    cell = form.centre_rows()[0].findall(W + "tc")[1]
    form.set_cell(cell, "")
    for el in d.fragment(d.table([["Hammerfest asylmottak"], ["Vadsø asylmottak"]]) + "<w:p/>"):
        cell.append(el)
    form.fill(1, "Fornavn", "")
    inner = form.value_cell(1, "Fornavn")
    for el in d.fragment(d.table([["Sofie"]]) + "<w:p/>"):
        inner.append(el)
    r = _read(form)
    assert r.centre_names() == ["Hammerfest asylmottak", "Vadsø asylmottak"]
    assert r.value("applicant.first_name") == "Sofie"


def test_sections_told_apart_without_headings(form):
    form.fill(0, "E-postadresse", d.runs("leder@tunet-mottak.no"))
    form.fill(1, "E-postadresse", d.runs("emil@tunet-mottak.no"))
    v.merge_person_tables(form)
    r = _read(form)
    assert (r.value("operator.email"), r.value("applicant.email")) == ("leder@tunet-mottak.no", "emil@tunet-mottak.no")


def test_label_variants(form):
    form.fill(1, "Mobiltelefonnummer", d.runs("912 34 567"))
    v.relabel(form, 1, "Mobiltelefonnummer", "Mobil:")
    form.fill(0, "Navn på firma / organisasjon", d.runs("Fjellbu Mottak AS"))
    v.relabel(form, 0, "Navn på firma / organisasjon", "Navn på firma/organisasjon:")
    r = _read(form)
    assert r.value("applicant.mobile") == "912 34 567" and r.value("operator.organisation") == "Fjellbu Mottak AS"


def test_centres_as_a_list_instead_of_the_table(form):
    table = form.tables[2]
    for name in ("Gol asylmottak", "2. Torpo asylmottak"):
        table.addprevious(d.fragment(d.para(name))[0])
    table.getparent().remove(table)
    assert _read(form).centre_names() == ["Gol asylmottak", "Torpo asylmottak"]


def test_strict_ooxml_namespace(form):
    form.fill(1, "Fornavn", d.runs("Kari"))
    data = form.to_bytes()
    strict = d.WordForm(data)
    xml = d.etree.tostring(strict.root).replace(d.W_NS.encode(), b"http://purl.oclc.org/ooxml/wordprocessingml/main")
    strict.root = d.etree.fromstring(xml)
    assert read_form(strict.to_bytes(), "s.docx").value("applicant.first_name") == "Kari"


def test_other_form_is_not_a_form(form):
    form.replace_text("Skjema om mottaksadministrativ bruker i ", "Skjema om kommuneadministrativ bruker i ")
    with pytest.raises(NotAForm):
        _read(form)


@pytest.mark.parametrize("body", ["", d.para("FAKTURA 2026-1184") + d.table([["Vare", "Pris"], ["Arkivboks", "29"]])])
def test_unrelated_document_is_not_a_form(body):
    with pytest.raises(NotAForm):
        read_docx(d.minimal_docx(body), "faktura.docx")

