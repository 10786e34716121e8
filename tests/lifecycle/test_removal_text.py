"""Reading removal requests and review answers (pure): who is named as leaving, and when a person must read."""

from __future__ import annotations

import pytest

from pipeline.core.removal_text import Person, new_text, read_names, read_removal, read_review_answer

pytestmark = pytest.mark.pure

OLA = Person("U1", "Ola", "Nordmann", "ola.nordmann@solbakken-drift.no")
KARI = Person("U2", "Kari", "Berg", "kari.berg@solbakken-drift.no")
ANNE = Person("U3", "Anne", "Ødegård", "anne.odegard@solbakken-drift.no")
BENTE = Person("U4", "Bente Pål", "Johansen", "bente@solbakken-drift.no")
PEOPLE = [OLA, KARI, ANNE, BENTE]

QUOTED = """

Den 1. des. 2026 kl. 09:00 skrev IMDi <post@imdi.no>:
> Svar med navnet på dem som ikke lenger skal ha rollen.
> Ola Nordmann (ola.nordmann@solbakken-drift.no)
"""


@pytest.mark.parametrize("body", [
    "Hei,\n\nOla Nordmann har sluttet hos oss. Kan dere fjerne tilgangen hans?\n\nMvh\nKari Berg",
    "Ola Nordmann skal ikke lenger ha tilgang til IMDinett.",
    "Vennligst avslutte tilgangen til ola.nordmann@solbakken-drift.no",
    "Slett brukeren Ola Nordmann.",
    "Fjern Ola Nordmann, takk.",
    "Hei! OLA NORDMANN er ikke lenger ansatt. Hilsen Kari Berg",
])
def test_a_removal_request_names_the_person(body):
    r = read_removal(body, PEOPLE)
    assert r.intent and r.named == ("U1",) and r.certain, r


def test_folded_names_match_as_written():
    r = read_removal("Anne Odegard har sluttet.", PEOPLE)
    assert r.named == ("U3",) and r.certain
    assert read_removal("Bente Pål Johansen har slutta.", PEOPLE).named == ("U4",)


def test_several_people_in_a_list_or_one_sentence():
    r = read_removal("Disse har sluttet og skal ikke lenger ha tilgang:\n- Ola Nordmann\n- Anne Ødegård\n", PEOPLE)
    assert r.named == ("U1", "U3") and r.certain
    assert read_removal("Ola Nordmann og Anne Ødegård har sluttet.", PEOPLE).named == ("U1", "U3")
    spaced = "Disse to har sluttet:\n\n- Ola Nordmann\n- Anne Ødegård\n\nTakk for hjelpen.\n"
    assert read_removal(spaced, PEOPLE).named == ("U1", "U3") and read_removal(spaced, PEOPLE).certain


@pytest.mark.parametrize(("body", "why"), [
    ("Ola har sluttet, fjern ham.", "only a first or last name"),
    ("Nordmann har sluttet.", "only a first or last name"),
    ("Vi har en som har sluttet. Kan dere fjerne tilgangen?", "no registry user named"),
    ("Ola Nordmann har sluttet og Kari Berg overtar.", "stays"),
    ("Ikke slett Kari Berg, men fjern Ola Nordmann.", "stays"),
    ("Fjern tilgangen til Per Pettersen.", "no registry user named"),
])
def test_what_cannot_be_read_with_confidence_is_unclear(body, why):
    r = read_removal(body, PEOPLE)
    assert r.intent and not r.certain and any(why in u for u in r.unclear), r


def test_a_name_two_users_share_is_never_guessed():
    twin = Person("U9", "Ola", "Nordmann", "ola.n@annet-mottak.no")
    r = read_removal("Ola Nordmann har sluttet.", [OLA, twin])
    assert r.named == () and any("two registry users" in u for u in r.unclear)
    # The e-mail address tells them apart.
    assert read_removal("ola.n@annet-mottak.no har sluttet.", [OLA, twin]).named == ("U9",)


@pytest.mark.parametrize("body", [
    "Hei, kan dere fjerne meg fra e-postlisten?",
    "Slett skjemaet jeg sendte i går, det var feil.",
    "Vi har fått ny leder, Kari Berg.",
    "Møte om bosetting neste uke?",
])
def test_ordinary_mail_is_no_removal_request(body):
    assert not read_removal(body, PEOPLE).intent


def test_the_sender_removing_themself():
    r = read_removal("Jeg har sluttet, så fjern meg fra IMDinett.", PEOPLE, sender="KARI.BERG@solbakken-drift.no")
    assert r.named == ("U2",)


def test_quoted_text_and_the_signature_are_not_read():
    assert new_text("Alt stemmer." + QUOTED) == "Alt stemmer."
    r = read_review_answer("Alt stemmer, takk." + QUOTED, PEOPLE)
    assert r.confirms and not r.intent and r.certain
    body = "Hei\n\nOla Nordmann har sluttet.\n\nMed vennlig hilsen\nAnne Ødegård\nSolbakken"
    assert read_removal(body, PEOPLE).named == ("U1",)
    outlook = "Fjern Ola Nordmann.\n\nFra: IMDi <post@imdi.no>\nSendt: 1. desember 2026\nKari Berg har sluttet"
    assert read_removal(outlook, PEOPLE).named == ("U1",)


@pytest.mark.parametrize("body", ["Alt stemmer.", "Vi bekrefter listen.", "Ingen endringer hos oss.",
                                  "Listen er riktig. Takk!"])
def test_review_confirmed(body):
    r = read_review_answer(body + QUOTED, PEOPLE)
    assert r.confirms and not r.intent and r.certain


def test_review_changes_name_only_listed_people():
    r = read_review_answer("Ola Nordmann har sluttet. Resten stemmer." + QUOTED, [OLA, KARI])
    assert r.intent and r.named == ("U1",) and r.certain
    r = read_review_answer("Anne Ødegård har sluttet." + QUOTED, [OLA, KARI])  # not on the list sent
    assert r.named == () and not r.certain


@pytest.mark.parametrize("body", ["Alt stemmer bortsett fra Ola.", "Vi ser på dette og kommer tilbake.",
                                  "Bekrefter, men Kari skal ha en annen rolle.", QUOTED])
def test_review_unclear(body):
    r = read_review_answer(body, [OLA, KARI])
    assert not r.certain and r.named == ()


def test_an_answer_to_who_is_meant_needs_no_asking_phrase():
    assert read_names("Det gjelder Ola Nordmann (ola.nordmann@solbakken-drift.no).", PEOPLE).named == ("U1",)
    assert read_names("Det gjelder Ola.", PEOPLE).certain is False


def test_the_reason_keeps_the_words_after_a_date():
    # As inbox_fixtures/access-removal-named.eml writes it: "fra 30. november" is not the end of a sentence,
    # so the evidence (the case's reason) keeps "november" and the date means something.
    r = read_removal("Ola Nordmann har sluttet hos oss fra 30. november. Kan dere fjerne tilgangen hans?", PEOPLE)
    assert r.named == ("U1",) and r.certain
    assert r.evidence == ("Ola Nordmann har sluttet hos oss fra 30. november.", "Kan dere fjerne tilgangen hans?")
