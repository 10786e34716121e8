"""Centre-name normalisation and per-field validation (pure)."""

from __future__ import annotations

import unicodedata

import pytest

from pipeline.registry import name_parts, normalise_centre_name
from pipeline.registry.validate import normalise_email, orgnr_valid, registry_mobile_error

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("written", [
    "Råde akuttinnkvartering", "RÅDE   AKUTTINNKVARTERING", "Raade akuttinnkvartering",
    unicodedata.normalize("NFD", "Råde akuttinnkvartering"), "råde\u00a0akuttinnkvartering ",
])
def test_normalise_folds_case_space_aa_and_nfd(written):
    assert normalise_centre_name(written) == "rade akuttinnkvartering"


def test_normalise_keeps_generic_words_and_folds_ae_oe():
    assert normalise_centre_name("Bjørkelangen asylmottak") == "bjorkelangen asylmottak"
    assert normalise_centre_name("Sætre asylmottak EM") == "saetre asylmottak em"
    assert normalise_centre_name("Mo i Rana asylmottak") != normalise_centre_name("Mo i Rana")


@pytest.mark.parametrize(("written", "place", "qualifier", "generic", "number"), [
    ("Dale asylmottak EM", "dale", "em", "asylmottak", None),
    ("Dale mottak", "dale", None, "asylmottak", None),
    ("Hvalstad transittmottak", "hvalstad", "transitt", "asylmottak", None),
    ("Torshov (0301)", "torshov", None, None, "0301"),
    ("0301", "", None, None, "0301"),
    ("Lier mottak for enslige mindreårige", "lier", "em", "asylmottak", None),
    ("Kvinesdal akuttinnkvartering", "kvinesdal", None, "akuttinnkvartering", None),
    ("Mo i Rana asylmottak", "mo i rana", None, "asylmottak", None),
])
def test_name_parts(written, place, qualifier, generic, number):
    parts = name_parts(written)
    assert (parts.place, parts.qualifier, parts.generic, parts.number) == (place, qualifier, generic, number)


def test_orgnr_mod11():
    assert orgnr_valid("843526462")
    assert not orgnr_valid("843526463")
    assert not orgnr_valid("84352646")
    assert not orgnr_valid("84352646x")


@pytest.mark.parametrize(("mobile", "ok"), [
    ("+4791234567", True), ("+4740000000", True), ("+46701234567", True),
    ("+4722334455", False), ("+4742000000", False), ("91234567", False), ("+47 912 34 567", False),
])
def test_registry_mobile(mobile, ok):
    assert (registry_mobile_error(mobile) is None) is ok


def test_email_accepts_display_name_and_mailto():
    assert normalise_email("Kari Nordmann <kari@Firma.NO>") == "kari@firma.no"
    assert normalise_email("mailto:kari@firma.no") == "kari@firma.no"
    with pytest.raises(ValueError):
        normalise_email("kari@@firma.no")
