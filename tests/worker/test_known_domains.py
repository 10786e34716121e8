"""OCR rebuilds a misread address towards the domains the verified sender's driftsoperatør is known by in the
registry (issue 20): the operator's domain, its registered address and its administrators' addresses. It
never bends a stranger's form towards the registry (an unverified sender gets no domain at all), and a value it
repaired is marked unsure for the operator who confirms the reading."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import RegistryUser, RegistryUserRole, Task
from pipeline.queries.senders import known_domains
from pipeline.usecases.ingest import ingest_message
from tests.mail.builders import mail, raw

MANAGER = "bente.pal.johansen@nordkalotten-mottak.no"  # DRO1032 (Nordkalotten Mottak AS) in reference/registry
OTHER_DOMAIN = "nordkalotten.no"  # where one of its administrators has an address


def _admin_elsewhere(db) -> None:  # type: ignore[no-untyped-def]
    with db.begin() as s:
        s.add(RegistryUser(user_id="U99001", first_name="Siri", last_name="Testvik", email=f"siri.testvik@{OTHER_DOMAIN}",
                           mobile="+4741555001", status="active", source="import"))
        s.flush()
        s.add(RegistryUserRole(user_id="U99001", role="Mottaksadministrator", mottaksnummer="2005"))  # Alta


def test_the_verified_senders_operator_brings_its_domains(db, registry):  # type: ignore[no-untyped-def]
    _admin_elsewhere(db)
    with db() as s:
        mine = known_domains(s, MANAGER, True)
        assert mine[0] == "nordkalotten-mottak.no" and OTHER_DOMAIN in mine
        assert known_domains(s, MANAGER, False) == ()  # unverified: the registry lends it nothing
        assert known_domains(s, "kari@example.org", True) == ("example.org",)  # no operator: its own domain only


@pytest.mark.slow
@pytest.mark.one_database  # the query runs on both above; the OCR is the same on each
def test_a_scanned_address_is_rebuilt_towards_the_registry_and_marked_unsure(db, registry, settings):  # type: ignore[no-untyped-def]
    from tools.fixtures import scan_build as sb

    _admin_elsewhere(db)
    values = {"organisation": "Nordkalotten Mottak AS", "manager": "Bente Pål Johansen", "op_email": MANAGER,
              "op_phone": "78 79 08 41", "first_name": "Kari", "last_name": "Testesen",
              # What a fax makes of the "@": "@" and a letter more before the domain.
              "email": f"kari.testesen@q{OTHER_DOMAIN}", "mobile": "415 55 123", "position": "Mottaksleder"}
    page = sb.typed_page(values, ["Alta asylmottak"], 200)
    scan = sb.image_pdf([sb.scanner(page, seed=7, tilt=0.3, noise=3)], 200, jpeg_quality=70)
    attachment = [("skjema.pdf", scan, "application/pdf")]

    def reading_of(verified: bool) -> tuple[str, dict]:  # type: ignore[type-arg]
        message = ingest_message(db, raw(mail(sender=f"Bente Pål Johansen <{MANAGER}>", attachments=attachment,
                                              verified=verified)), source=None, settings=settings)
        with db() as s:
            task = s.scalars(select(Task).where(Task.message_pk == message.id)).one()
            return task.reading["applicant"]["email"], task.reading["source"]["provenance"]["applicant.email"]

    value, where = reading_of(True)
    assert value == f"kari.testesen@{OTHER_DOMAIN}"
    assert where["unsure"] and where["repaired_from"] == f"kari.testesen@q{OTHER_DOMAIN}"
    # The same scan from an unverified sender: the address stays as OCR read it, and nothing says it was repaired.
    value, where = reading_of(False)
    assert value == f"kari.testesen@q{OTHER_DOMAIN}" and "repaired_from" not in where
