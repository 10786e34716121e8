"""Forms pasted into an e-mail body."""

from __future__ import annotations

import pytest

from pipeline.forms.text_reader import read_text_form

pytestmark = pytest.mark.pure

FULL = """Hei,

Vi ber om tilgang for en ny medarbeider. Skjemaet er limt inn under.

Opplysninger om driftsoperatør:
Navn på firma / organisasjon: Vestvik Asyldrift AS
Ansvarlig leder: Lars Lund
E-postadresse: lars.lund@vestvik-asyl.no
Telefonnummer: 51 08 13 37

Opplysninger om den som skal ha rollen mottaksadministrativ bruker:
Fornavn: Kari\u00a0Åse
Etternavn: Nordmann
E-postadresse: kari.nordmann@vestvik-asyl.no
Mobiltelefonnummer: 912 34 567
Stilling: Klikk eller trykk her for å skrive inn tekst.

Hvilke mottak / akuttinnkvarteringer skal administreres av denne brukeren:
1 Dale asylmottak
2. Egersund asylmottak og Vikeså asylmottak
3
4

Med vennlig hilsen
Lars Lund
Mobil: 900 11 222
"""


def test_full_form_with_headings():
    reading = read_text_form(FULL)
    assert reading is not None
    assert (reading.format, reading.method, reading.filename) == ("text", "text", None)
    out = reading.to_json()
    assert out["operator"] == {"organisation": "Vestvik Asyldrift AS", "manager": "Lars Lund",
                               "email": "lars.lund@vestvik-asyl.no", "phone": "51 08 13 37"}
    assert out["applicant"] == {"first_name": "Kari Åse", "last_name": "Nordmann",
                                "email": "kari.nordmann@vestvik-asyl.no", "mobile": "912 34 567",
                                "position": None}  # the placeholder counts as empty
    assert out["centres"] == ["Dale asylmottak", "Egersund asylmottak", "Vikeså asylmottak"]
    where = reading.fields["applicant.email"].where
    assert where.kind == "body" and where.detail == {"line": 14}


def test_the_signature_after_the_form_is_not_read():
    text = FULL.replace("Mobiltelefonnummer: 912 34 567", "Mobiltelefonnummer:")
    assert read_text_form(text).value("applicant.mobile") is None


def test_sections_by_order_without_headings():
    text = "Firma: Fjellbu Mottak AS\nE-post: kari.berg@fjellbu.no\nFornavn: Ola\nEtternavn: Dahl\n" \
           "E-post: ola.dahl@fjellbu.no\nMobil: 41234567\n"
    out = read_text_form(text).to_json()
    assert out["operator"]["email"] == "kari.berg@fjellbu.no"
    assert out["applicant"]["email"] == "ola.dahl@fjellbu.no"
    assert out["applicant"]["mobile"] == "41234567"


def test_pasted_table_cells_tabs_and_next_line_values():
    text = "Fornavn:\tKari\nEtternavn\tNordmann\nE-postadresse:\nkari@fjellbu.no\nMobiltelefonnummer:\n" \
           "\n912 34 567\nHvilke mottak skal administreres:\n- Gol asylmottak\n• Torpo asylmottak\n"
    out = read_text_form(text).to_json()
    assert out["applicant"]["first_name"] == "Kari"
    assert out["applicant"]["last_name"] == "Nordmann"
    assert out["applicant"]["email"] == "kari@fjellbu.no"
    assert out["centres"] == ["Gol asylmottak", "Torpo asylmottak"]


def test_quoted_forwarded_form():
    quoted = "\n".join("> " + line for line in FULL.splitlines())
    out = read_text_form("Videresender.\n\n" + quoted).to_json()
    assert out["applicant"]["last_name"] == "Nordmann"
    assert len(out["centres"]) == 3


@pytest.mark.parametrize("text", [
    "",
    "Hei,\n\nVedlagt er utfylt skjema for Kari Nordmann.\n\nHilsen Lars",
    "Fornavn: Kari\n\nMvh",
    # A signature block has labels too, but it is not the form.
    "Hilsen\nLars Lund\nTelefon: 51 08 13 37\nMobil: 900 11 222\nE-post: lars.lund@vestvik-asyl.no\n",
])
def test_no_form_in_the_text(text: str):
    assert read_text_form(text) is None


def test_short_labels_and_a_centre_line():
    text = ("Driftsoperatør: Fjordtun Mottaksdrift AS\nLeder: Thomas Johannessen\nFornavn: Per\nEtternavn: Li\n"
            "Mobil: 412 34 567\nE-post: per.li@fjordtun-mottak.no\n"
            "Mottak: Odda asylmottak, Hyllestad asylmottak\nÅrdal asylmottak FA\n\nHilsen Thomas\n")
    reading = read_text_form(text)
    assert reading.value("operator.organisation") == "Fjordtun Mottaksdrift AS"
    assert reading.value("operator.manager") == "Thomas Johannessen"
    assert reading.value("applicant.email") == "per.li@fjordtun-mottak.no"
    assert reading.centre_names() == ["Odda asylmottak", "Hyllestad asylmottak", "Årdal asylmottak FA"]
