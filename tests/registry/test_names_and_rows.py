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


def test_plain_addresses_get_email_validators_own_verdict() -> None:
    """normalise_email asks email-validator about a plain address's domain only, once per domain: the verdict and
    the normalised address (or the reason) must be what email-validator gives for the whole address."""
    import random
    import string

    from email_validator import EmailNotValidError, validate_email

    def whole(text: str) -> object:
        try:
            return validate_email(text, check_deliverability=False, allow_display_name=True).normalized
        except EmailNotValidError as exc:
            return ("error", str(exc))

    def ours(text: str) -> object:
        try:
            return normalise_email(text)
        except ValueError as exc:
            return ("error", str(exc))

    samples = ["Kari.Nordmann@Fjellbu.NO", "a..b@c.no", ".a@b.no", "a.@b.no", "a@localhost", "a@x.local", "a@x.test",
               "a@x.invalid", "a@b.arpa", "a@123.no", "a@x.123", "a@-x.no", "a@x-.no", "a@x.n", "x" * 64 + "@b.no",
               "x" * 65 + "@b.no", "a@" + ("b" * 63 + ".") * 4 + "no", "a+tag@b.no", "a!#$%&'*/=?^_`{|}~-@b.no",
               "æøå@b.no", "a@bø.no", "a@b..no", "a@b.no.", "a@xn--bcher-kva.no", "a@XN--BCHER-KVA.no", "a@[1.2.3.4]",
               "Kari <kari@b.no>", "a@" + "b" * 64 + ".no"]
    rnd = random.Random(20)
    for _ in range(3000):
        local = "".join(rnd.choice(string.ascii_letters + string.digits + ".-_+") for _ in range(rnd.randint(1, 16)))
        domain = "".join(rnd.choice(string.ascii_letters + "-.0") for _ in range(rnd.randint(1, 12)))
        samples.append(f"{local}@{domain}{rnd.choice(['.no', '.com', '.x', '.no.', ''])}")
    assert [s for s in samples if ours(s) != whole(s)] == []


def test_a_norwegian_e164_number_is_read_as_phonenumbers_reads_it() -> None:
    """registry_mobile_error builds +47 numbers without phonenumbers.parse: the number must be parse's own."""
    import random
    import re

    from pipeline.registry.validate import _e164_number, parse_phone

    rnd = random.Random(47)
    values = ["+47" + "".join(rnd.choice("0123456789") for _ in range(rnd.randint(4, 12))) for _ in range(5000)]
    values = [v for v in values if re.fullmatch(r"\+[1-9]\d{6,14}", v)] + ["+4741555001", "+4722334455", "+4790000000"]
    assert [v for v in values if _e164_number(v) != parse_phone(v)] == []
