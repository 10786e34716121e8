"""Every reply template: Norwegian content, the shared layout, escaping (pure rendering, no database)."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from pipeline.core.render import KINDS, environment, fields_as_read, render

pytestmark = pytest.mark.pure

CTX = {
    "signature": "Med vennlig hilsen\nIMDi støtte",
    "sender_address": "post@imdi.no",
    "sender_name": "Thomas Johannessen",
    "case_ref": "2026-0042",
    "applicant": {"first_name": "Kari", "last_name": "Fjelltun", "email": "kari@fjordtun-mottak.no",
                  "mobile": "+4791234567", "position": "Leder"},
    "centres": [{"written": "Askim", "mottaksnummer": "0101", "name": "Askim asylmottak"},
                {"written": "Råde akutt", "mottaksnummer": "0102", "name": "Råde akuttinnkvartering"}],
    "fields": fields_as_read({"applicant.first_name": "Kari", "applicant.mobile": "912 34"}, ["Askim", "Råde akutt"]),
    "problems": ["Mobilnummeret «912 34» er ikke et gyldig norsk mobilnummer.", "Vi finner ikke mottaket «Råde akutt»."],
    "note": "Gjelder det også Mysen?",
    "reason": "Personen er ikke ansatt hos driftsoperatøren.",
    "user_id": "U20001",
    "errors": [{"filename": "skjema.pdf", "message": "Vedlegget ser ut til å være et skannet bilde uten tekst."}],
}


REVIEW = {"ref": "2026-G001", "operator": "Fjordtun Mottaksdrift AS", "due": "7. desember 2026", "listing": [
    {"mottaksnummer": "0101", "name": "Askim asylmottak", "admins": [
        {"user_id": "U1", "first_name": "Kari", "last_name": "Fjelltun", "email": "kari@fjordtun-mottak.no"},
        {"user_id": "U2", "first_name": "Ola", "last_name": "Li", "email": "ola@fjordtun-mottak.no"}]}]}
REVIEW_KINDS = ("review", "review_reminder")


def context(kind: str, ctx: dict | None = None) -> dict:  # type: ignore[type-arg]
    """Review mails belong to a review, not to a case."""
    ctx = dict(CTX if ctx is None else ctx)
    if kind in REVIEW_KINDS:
        ctx.pop("case_ref", None)
        ctx["review"] = REVIEW
    return ctx


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_uses_the_layout_in_text_and_html(kind):
    r = render(kind, context(kind))
    assert r.subject and "\n" not in r.subject
    for body in (r.text, r.html):
        assert "Hei Thomas Johannessen," in body
        assert "post@imdi.no" in body and "IMDi støtte" in body
        assert ("[IMDi-gjennomgang 2026-G001]" if kind in REVIEW_KINDS else "[IMDi-skjema 2026-0042]") in body
    assert r.html.startswith("<!DOCTYPE html>") and 'lang="nb"' in r.html
    assert "  " not in r.text.replace("\n  ", "\n")  # no double spaces left by the templates


def test_receipt():
    r = render("receipt", CTX)
    assert "Skjema mottatt" in r.subject
    assert "Kari Fjelltun" in r.text and "til behandling" in r.text
    assert "Mobiltelefonnummer: 912 34" in r.text


def test_needs_info_lists_each_problem_what_to_send_and_the_fields_as_read():
    r = render("needs_info", CTX)
    for problem in CTX["problems"]:
        assert f"  - {problem}" in r.text and f"<li>{problem}</li>" in r.html.replace("&#171;", "«").replace(
            "&#187;", "»")
    assert "legg ved et rettet skjema" in r.text and ".docx" in r.text
    assert "Merknad fra saksbehandler: Gjelder det også Mysen?" in r.text
    assert "Mobiltelefonnummer: 912 34" in r.text
    assert "Navn på firma / organisasjon: (ikke fylt ut)" in r.text
    assert "Hvilke mottak / akuttinnkvarteringer: Askim; Råde akutt" in r.text


def test_confirmation_gives_next_steps_with_buypass_code_on_the_registered_mobile():
    r = render("confirmation", CTX)
    assert "opprettet" in r.subject
    assert "rollen Mottaksadministrator" in r.text
    assert "Askim asylmottak (mottaksnummer 0101)" in r.text
    assert "Råde akuttinnkvartering (mottaksnummer 0102)" in r.text
    assert "Buypass Code" in r.text and "+47 912 34 567" in r.text  # printed as people write it
    # Addressed to the operator throughout: the steps are for them to pass on.
    assert "Gi beskjed til Kari Fjelltun" in r.text and "Får Kari Fjelltun ikke logget inn" in r.text
    assert "Buypass Code" in r.html and "<ol>" in r.html


def test_rejection_carries_the_reason():
    r = render("rejection", CTX)
    assert "avslått" in r.subject
    assert "Begrunnelse: Personen er ikke ansatt hos driftsoperatøren." in r.text


def test_reminder_unreadable_and_no_form():
    assert "Påminnelse" in render("reminder", CTX).subject
    assert "Vi finner ikke mottaket «Råde akutt»." in render("reminder", CTX).text
    u = render("unreadable", CTX)
    assert "skjema.pdf: Vedlegget ser ut til å være et skannet bilde uten tekst." in u.text
    assert "Word-fil (.docx)" in u.text
    # Scans and photos are read by OCR: the reply must not tell the sender they are refused.
    for body in (u.text, u.html):
        assert "ikke skannet" not in body and "Et skannet skjema eller et bilde av det leses også" in body
    n = render("no_form", CTX)
    assert "fant ikke noe utfylt skjema" in n.text and "Skjema om mottaksadministrativ bruker" in n.text


def test_html_is_escaped_and_text_is_not_mangled():
    ctx = {**CTX, "sender_name": "<b>Thomas</b>",
           "applicant": {**CTX["applicant"], "first_name": "<script>alert(1)</script>"},
           "problems": ['<img src=x onerror="alert(1)">'], "reason": "<script>x</script>"}
    for kind in KINDS:
        r = render(kind, context(kind, ctx))
        assert "<script>" not in r.html and "<img" not in r.html and "<b>Thomas" not in r.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Fjelltun" in render("receipt", ctx).html
    assert "<script>alert(1)</script> Fjelltun" in render("receipt", ctx).text


def test_without_a_case_or_a_name():
    ctx = {k: v for k, v in CTX.items() if k not in ("case_ref", "sender_name", "applicant")}
    r = render("no_form", ctx)
    assert r.text.startswith("Hei,\n") and "Saksreferanse" not in r.text
    assert "personen i skjemaet" in render("receipt", ctx).text


def test_strict_undefined_and_unknown_kinds():
    with pytest.raises(UndefinedError):
        environment().from_string("{{ nope }}").render()
    with pytest.raises(ValueError):
        render("unknown", CTX)


def test_a_request_with_only_a_note_and_a_reminder_without_problems():
    ctx = {**CTX, "problems": [], "fields": []}
    r = render("needs_info", ctx)
    assert "trenger vi mer informasjon fra deg." in r.text and "Gjelder det også Mysen?" in r.text
    assert "  - " not in r.text and "Dette leste vi" not in r.text and "<ul>" not in r.html
    assert "Se e-posten vi sendte tidligere" in render("reminder", ctx).text


def test_no_form_names_the_documents_that_are_not_the_form():
    r = render("no_form", {**CTX, "not_forms": ["Skjema kommuneadministrativ bruker.docx", "<script>x.pdf"]})
    assert "fant ikke noe utfylt skjema" not in r.text
    assert "  - Skjema kommuneadministrativ bruker.docx: dette er ikke skjemaet for mottaksadministrativ bruker." in r.text
    assert "<script>" not in r.html and "&lt;script&gt;x.pdf" in r.html


def test_review_lists_each_centre_with_its_administrators_and_how_to_answer():
    r = render("review", context("review"))
    assert "Askim asylmottak (mottaksnummer 0101):\n  - Kari Fjelltun (kari@fjordtun-mottak.no)\n  - Ola Li" in r.text
    assert "«Alt stemmer»" in r.text and "innen 7. desember 2026" in r.text and "Fjordtun Mottaksdrift AS" in r.text
    assert "<li>Kari Fjelltun (kari@fjordtun-mottak.no)</li>" in r.html
    assert "Påminnelse" in render("review_reminder", context("review_reminder")).subject


def test_removal_replies_name_the_person_only_to_a_verified_sender():
    for kind, words in (("removal_receipt", "Kari Fjelltun ikke lenger skal ha rollen"),
                        ("removal_confirmation", "Kari Fjelltun har ikke lenger rollen")):
        assert words in render(kind, CTX).text and "Askim asylmottak" in render(kind, CTX).text
        blind = render(kind, {**CTX, "verified": False})
        assert "Kari" not in blind.text and "Askim" not in blind.text and "Kari" not in blind.html
    assert "Kari" not in render("removal_needs_info", CTX).text
    removed = render("removal_confirmation", {**CTX, "user_removed": True}).text
    assert "brukeren er avsluttet" in removed
    rejected = render("rejection", {**CTX, "task_kind": "removal"})
    assert "fjernes ikke" in rejected.subject and "Begrunnelse: Personen" in rejected.text
