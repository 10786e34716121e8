"""Repairs of OCR'd addresses and numbers, and the pieces of pre-processing that need no Tesseract."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.forms.ocr import prep
from pipeline.forms.ocr.repair import repair_email, repair_phone

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(("ocr", "kwargs", "address"), [
    ("lars.lund&vestvik-asyl.no", {}, "lars.lund@vestvik-asyl.no"),
    ("kjvEimdi.no", {}, "kjv@imdi.no"),
    ("lars.lund vestvik-asyl.no", {}, "lars.lund@vestvik-asyl.no"),  # "@" read as a gap
    ("ingrid.hauglandvestvik-asyl.no", {"domains": ("vestvik-asyl.no",)}, "ingrid.haugland@vestvik-asyl.no"),
    ("nora.fossumøØBvikenintegrering.no", {"domains": ("vikenintegrering.no",)}, "nora.fossum@vikenintegrering.no"),
    ("vegard.solbergeæmottakspartner.no", {"names": ("Vegard Solberg",)}, "vegard.solberg@mottakspartner.no"),
    ("heiene.solbergQtrygghavn.no", {"names": ("Helene Solberg",)}, "helene.solberg@trygghavn.no"),
    ("ola.nordmann@fjellbu,no", {}, "ola.nordmann@fjellbu.no"),
    ("Kari Berg", {}, "Kari Berg"),  # not an address at all: left as read
])
def test_addresses(ocr, kwargs, address):
    assert repair_email(ocr, **kwargs) == address


@pytest.mark.parametrize(("ocr", "number"), [
    ("9l5 62 384", "915 62 384"), ("4O2 71 903", "402 71 903"), ("63 21 68 43 (sentralbord)", "63 21 68 43 (sentralbord)"),
    ("+47 938 12 604", "+47 938 12 604"),
])
def test_numbers(ocr, number):
    assert repair_phone(ocr) == number


def test_rules_are_found_and_specks_removed():
    dark = np.zeros((600, 800), dtype=bool)
    dark[100:103, 50:750] = True  # a horizontal rule
    dark[100:400, 50:53] = True  # a vertical one
    dark[300, 400] = True  # dust
    dark[200:230, 300:320] = True  # a letter-sized blob
    rules, ink = prep.find_rules(dark, 300)
    assert any(r.horizontal and abs(r.pos - 101) <= 2 for r in rules)
    assert any(not r.horizontal and abs(r.pos - 51) <= 2 for r in rules)
    assert ink[101, 400] and not ink[215, 310]
    clean = prep.despeckle(dark & ~ink, 300)
    assert not clean[300, 400] and clean[215, 310]


def test_skew_is_measured():
    from PIL import Image, ImageDraw

    img = Image.new("L", (1000, 1400), 255)
    draw = ImageDraw.Draw(img)
    for y in range(100, 1300, 40):
        draw.rectangle((100, y, 900, y + 12), fill=0)
    tilted = img.rotate(-2.0, fillcolor=255)
    angle = prep.skew_angle(np.asarray(tilted) < 128)
    assert abs(angle - 2.0) <= 0.2


@pytest.mark.parametrize(("ocr", "domains", "address"), [
    # The rest of an "@" glyph read as a letter: a wrong address that looks valid.
    ("hakon.pettersen@qlyngheim.no", ("lyngheim.no",), "hakon.pettersen@lyngheim.no"),
    ("amina.osman@qbjorkly-integrering.no", ("bjorkly-integrering.no",), "amina.osman@bjorkly-integrering.no"),
    ("solvi.kjaerstad@qfjellbu.no", ("fjellbu.no",), "solvi.kjaerstad@fjellbu.no"),
    # One letter off a known domain of eight letters or more.
    ("liv.bakken@nordiysomsorg.no", ("nordlysomsorg.no",), "liv.bakken@nordlysomsorg.no"),
    # Nothing known to rebuild towards, or a short domain: left as read (and not marked repaired).
    ("hakon.pettersen@qlyngheim.no", (), "hakon.pettersen@qlyngheim.no"),
    ("kjv@imdl.no", ("imdi.no",), "kjv@imdl.no"),
])
def test_addresses_are_rebuilt_towards_known_domains(ocr, domains, address):
    assert repair_email(ocr, domains=domains) == address


def test_a_repaired_value_is_marked_unsure_with_what_was_read():
    from pipeline.forms.ocr.repair import marked
    from pipeline.forms.reading import FieldValue, Provenance

    fv = FieldValue("hakon.pettersen@qlyngheim.no", Provenance("table_cell", {"page": 1}))
    out = marked(fv, repair_email(fv.value, domains=("lyngheim.no",)))
    assert out.value == "hakon.pettersen@lyngheim.no"
    assert out.where is not None and out.where.detail["unsure"] is True
    assert out.where.detail["repaired_from"] == "hakon.pettersen@qlyngheim.no"
    same = marked(FieldValue("51 08 13 37", Provenance("table_cell", {})), "51 08 13 37")
    assert same.where is not None and "unsure" not in same.where.detail


def test_the_operators_page_marks_a_repaired_value():
    from pipeline.forms.page_drawing import Box

    assert Box("applicant.email", None, 1, 0, 0, 10, 10, 96.0, 95.0, unsure=True).low
    assert not Box("applicant.email", None, 1, 0, 0, 10, 10, 96.0, 95.0).low


@pytest.mark.parametrize(("first", "second", "taken"), [
    ("Wisniewska", "Wiśniewska", True),  # a mark "nor" cannot read
    ("Håkon", "Hākon", False),  # the Latin model's misreading of a Norwegian letter
    ("Vågen", "Vagen", False),
    ("Nystad", "Nysiad", False),  # another letter, not a mark
])
def test_the_second_pass_only_adds_marks(first, second, taken):
    from pipeline.forms.ocr.run import _marks_added

    assert _marks_added(first, second) is taken


def test_rows_that_drift_across_a_curled_page_are_levelled():
    from pipeline.forms.ocr.layout import ConfWord, level_rows
    from pipeline.forms.pdf_layout import group_lines

    # Label at the left, value 4 points lower at the right (a curled page), the next row 20 points on.
    words = [ConfWord("Ansvarlig", 50, 100, 95, 109), ConfWord("leder:", 98, 100.5, 125, 109.5),
             ConfWord("Liv", 240, 104, 255, 113), ConfWord("Bakken", 258, 105, 295, 114),
             ConfWord("E-postadresse:", 50, 120, 120, 129), ConfWord("liv.bakken@nordlysomsorg.no", 240, 124, 360, 133)]
    assert [ln.text for ln in group_lines(1, list(words))] != ["Ansvarlig leder: Liv Bakken",
                                                            "E-postadresse: liv.bakken@nordlysomsorg.no"]
    level_rows(words)
    assert [ln.text for ln in group_lines(1, list(words))] == ["Ansvarlig leder: Liv Bakken",
                                                              "E-postadresse: liv.bakken@nordlysomsorg.no"]


def test_orientation_from_the_lines_of_a_page():
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (827, 1169), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 14)
    words = ["Skjema", "om", "mottaksadministrativ", "bruker", "i", "IMDinett", "mottak", "Rollen", "er", "for", "mottaksleder", "eller", "ansatt"]
    for i, y in enumerate(range(80, 1100, 24)):
        line = " ".join(words[(i * 7 + k) % len(words)] for k in range(3 + i % 5))  # lines of their own
        draw.text((60 + (i % 3) * 17, y), line, font=font, fill=0)
    dark = np.asarray(img) < 128
    assert not prep.is_sideways(dark) and prep.upright_score(dark) > prep.SURE_UPRIGHT
    assert prep.upright_score(np.rot90(dark, 2)) < -prep.SURE_UPRIGHT
    assert prep.is_sideways(np.rot90(dark, 1)) and prep.is_sideways(np.rot90(dark, 3))


def test_a_page_is_read_at_its_own_resolution_within_the_working_range():
    assert prep.working_dpi(150, 300) == prep.WORK_FLOOR_DPI
    assert prep.working_dpi(240, 300) == 240
    assert prep.working_dpi(600, 300) == 300
