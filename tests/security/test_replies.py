"""What we write, and to whom: valid addresses only, caps per domain and in total, nothing quoted to an
unverified sender, a taken mobile said only as "allerede i bruk" and only to a verified sender; and the
reply texts a driftsoperatør found wanting."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, Reply, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.steps.replies import recipient
from pipeline.usecases.ingest import ingest_message
from tests.mail.builders import DOCX_TYPE, OLE_DOC
from tests.security import hostile


def _replies(db):  # type: ignore[no-untyped-def]
    with db() as s:
        return list(s.scalars(select(Reply).order_by(Reply.id)))


@pytest.mark.parametrize("address", ["x@[10.20.30.40]", "x@[IPv6:::1]", '"x y"@fjellbu.no', "x@fjellbu",
                                     "x..y@fjellbu.no"])
def test_no_reply_to_an_address_that_is_not_a_plain_valid_one(db, settings, address):
    raw = hostile.message(from_header=address, subject="Skjema", auth=hostile.auth_results("evil.example"),
                          attachments=(("skjema.doc", OLE_DOC, "application/msword"),))
    ingest_message(db, raw, source=None, settings=settings)
    assert _replies(db) == []
    with db() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "reply.suppressed")).all()


def test_recipient_syntax():
    assert recipient("Kari.Berg@Fjellbu.NO") == "kari.berg@fjellbu.no"
    assert recipient("kari@fjæll.no") == "kari@xn--fjll-woa.no"
    assert recipient("x@[10.20.30.40]") is None and recipient("not an address") is None


def test_caps_per_domain_and_in_total_hold_replies_as_drafts(db, settings):
    """Many senders at one domain (forged or not) cannot make post@imdi.no write to it without a person."""
    capped = replace(settings, reply_max_per_domain_per_hour=3, reply_max_total_per_hour=5)
    for i in range(5):
        raw = hostile.message(from_header=f"person{i}@evil.example", subject="Skjema", message_id=f"<d{i}@x>",
                              auth=hostile.auth_results("evil.example"),
                              attachments=(("skjema.doc", OLE_DOC, "application/msword"),))
        ingest_message(db, raw, source=None, settings=capped)
    assert [r.state for r in _replies(db)] == ["queued"] * 3 + ["draft"] * 2
    raw = hostile.message(from_header="kari.berg@fjellbu.no", subject="Skjema", message_id="<other@x>",
                          auth=hostile.auth_results("fjellbu.no"),
                          attachments=(("skjema.doc", OLE_DOC, "application/msword"),))
    ingest_message(db, raw, source=None, settings=replace(capped, reply_max_total_per_hour=3))
    assert _replies(db)[-1].state == "draft"  # the total cap holds another domain's reply too
    with db() as s:
        reasons = [e.details["reason"] for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "reply.held"))]
    assert reasons[0].startswith("domain cap") and reasons[-1].startswith("total cap")


def test_a_taken_mobile_is_said_only_to_a_verified_sender_and_only_as_in_use(db, settings, registry):
    # +4793761406 belongs to a registry user (Aida Begić) in the reference registry.
    taken = "937 61 406"
    for verified, first in ((True, "Ola"), (False, "Per")):
        raw = hostile.good_form_mail(first, mobile=taken, verified=verified, message_id=f"<{first}@fjellbu.no>",
                                     subject=f"Skjema {first}")
        ingest_message(db, raw, source=None, settings=settings)
    verified_reply, unverified_reply = _replies(db)
    assert verified_reply.kind == "needs_info"
    assert "Mobilnummeret er allerede i bruk" in verified_reply.body_text
    assert "Aida" not in verified_reply.body_text and "Begić" not in verified_reply.body_text
    assert unverified_reply.kind == "acknowledgement"
    for text in (unverified_reply.body_text, unverified_reply.body_html or "", unverified_reply.subject):
        assert "i bruk" not in text and "937" not in text and "Per" not in text and "Gol" not in text


def test_an_operators_request_to_an_unverified_sender_quotes_nothing(db, settings, registry):
    from pipeline.usecases import case_decisions as cases

    raw = hostile.good_form_mail("Per", mobile="937 61 406", verified=False)
    ingest_message(db, raw, source=None, settings=settings)
    with db() as s:
        task = s.scalars(select(Task)).one()
    cases.request_info(db, task.id, actor="kari.saksbehandler", note="Sjekk mobilnummeret.", settings=settings)
    request = _replies(db)[-1]
    assert request.kind == "needs_info" and request.to_addr == hostile.CASE_SENDER
    assert "Sjekk mobilnummeret." in request.body_text  # the operator's own words go
    for secret in ("937", "i bruk", "Per", "Gol asylmottak", "Dette leste vi"):
        assert secret not in request.body_text, secret
    assert "Hei," in request.body_text and "Kari Berg" not in request.body_text  # no greeting by display name


def test_reply_texts(db, settings, registry):
    """A form pasted in the body is not told it may write the values in the answer; an unreadable file
    gets one instruction; the confirmation speaks to the operator; mobiles are written +47 984 02 571."""
    body = ("Navn på firma / organisasjon: Fjellbu Mottak AS\nFornavn: Jonas\nEtternavn: Lunde\n"
            "E-postadresse: jonas.lunde@fjellbu.no\nMobiltelefonnummer: 984 02 571\n"
            "Hvilke mottak / akuttinnkvarteringer: Gol asylmottak\n")
    raw = hostile.message(from_header=f"Kari Berg <{hostile.CASE_SENDER}>", subject="Skjema", body=body,
                          auth=hostile.auth_results("fjellbu.no"), message_id="<body@fjellbu.no>")
    ingest_message(db, raw, source=None, settings=settings)
    pasted = _replies(db)[-1]
    assert pasted.kind == "needs_info" and "legg ved det utfylte skjemaet" in pasted.body_text
    assert "direkte i svaret" not in pasted.body_text
    raw = hostile.message(from_header=f"Kari Berg <{hostile.CASE_SENDER}>", subject="Skjema",
                          auth=hostile.auth_results("fjellbu.no"), message_id="<enc@fjellbu.no>",
                          attachments=(("skjema.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 +
                                        "EncryptedPackage".encode("utf-16-le"), DOCX_TYPE),))
    ingest_message(db, raw, source=None, settings=settings)
    unreadable = _replies(db)[-1]
    assert unreadable.kind == "unreadable" and "skjema.docx: filen er passordbeskyttet" in unreadable.body_text
    assert unreadable.body_text.count("Send det utfylte skjemaet") == 1 and "helst" not in unreadable.body_text


def test_the_confirmation_speaks_to_the_operator_with_the_mobile_as_people_write_it(db, settings, registry):
    from pipeline.usecases import case_decisions as cases

    ingest_message(db, hostile.good_form_mail(mobile="984 02 571"), source=None, settings=settings)
    with db() as s:
        task = s.scalars(select(Task)).one()
    cases.approve(db, task.id, actor="kari.saksbehandler")
    cases.mark_done(db, task.id, actor="kari.saksbehandler", user_id="U10612", settings=settings)
    confirmation = _replies(db)[-1]
    assert confirmation.kind == "confirmation"
    assert "+47 984 02 571" in confirmation.body_text and "+4798402571" not in confirmation.body_text
    assert "Gi beskjed til Jonas Lunde" in confirmation.body_text
    assert "Får Jonas Lunde ikke logget inn" in confirmation.body_text
    assert "Får du ikke logget inn" not in confirmation.body_text


def test_suggestions_for_an_unknown_centre_are_the_operators_own_first_and_none_when_nothing_is_close(
        db, registry):
    from pipeline.adapters.registry_store import RegistryView
    from pipeline.checks import check_reading
    from pipeline.checks.readings import make_reading
    from pipeline.settings import Settings

    def suggested(organisation: str, email: str) -> list[str]:
        reading = make_reading(organisation=organisation, first_name="Jonas", last_name="Lunde",
                               email=email, mobile="917 23 456", centres=["Solhaug mottak"])
        with unit_of_work(db) as s:
            result = check_reading(reading, RegistryView(s), settings=Settings())
        unknown = next(f for f in result.findings if f.code == "centre.unknown")
        return [c["name"] for c in unknown.details["suggestions"]]

    # The first version offered Svolvær, Volda and Fosnavåg: nothing like it, and not the operator's.
    own = suggested("Fjellbu Mottak AS", "jonas.lunde@fjellbu.no")
    assert own[:2] == ["Gol asylmottak", "Torpo asylmottak"] and "Svolvær asylmottak" not in own
    assert suggested("Ukjent Firma AS", "jonas@privat.example") == []
