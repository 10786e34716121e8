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
