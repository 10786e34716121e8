"""Fixtures for the registry's lifecycle: the reference registry in a database of each test's own, settings
pointing at it, and helpers that make grant and removal tasks the way the queue does."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import AuditEvent, Task
from pipeline.adapters.registry_store import RegistryView
from pipeline.checks import check_reading, make_reading
from pipeline.forms.reading import FormReading
from pipeline.settings import Settings
from tests.checks.conftest import _memory_template, memory, registry, registry_database_url  # noqa: F401
from tests.queue.factory import make_message

SETTINGS = Settings()  # the documented defaults, given explicitly as every use case and step asks

# Solbakken Mottaksdrift AS (DRO1014) runs Flisa asylmottak (0402; one administrator, U10132) and Rena (0403).
ANNE = dict(organisation="Solbakken Mottaksdrift AS", manager="Gøril Strand",
            op_email="goril.strand@solbakken-drift.no", op_phone="62 13 81 13", first_name="Anne",
            last_name="Ødegård", email="anne.odegard@solbakken-drift.no", mobile="+47 474 29 543",
            position="Avdelingsleder", centres=["Flisa asylmottak"])
SOLBAKKEN = "goril.strand@solbakken-drift.no"


def reading(**changes: Any) -> FormReading:
    return make_reading(**{**ANNE, **changes})


@pytest.fixture
def lsettings(registry, tmp_path) -> Settings:  # type: ignore[no-untyped-def]  # noqa: F811
    """Settings whose database is the test's registry database."""
    url = registry.kw["bind"].url.render_as_string(hide_password=False)
    return replace(Settings(data_dir=tmp_path, database_url=url), reply_from="IMDi <post@imdi.no>",
                   signature="Med vennlig hilsen\nIMDi støtte", authserv_id="mx.imdi.no")


def open_grant(session: Session, form: FormReading, *, sender: str = SOLBAKKEN) -> Task:
    """A grant task for a form, checked against the live registry as ingest would."""
    from pipeline.steps.tasks import open_task

    message = make_message(session, sender=sender, subject=f"Skjema {form.value('applicant.first_name')}",
                           sender_name=None)
    result = check_reading(form, RegistryView(session), sender=sender, auth=message.auth_results, settings=SETTINGS)
    return open_task(session, message=message, attachment=None, reading=form, result=result, settings=SETTINGS)


def audit_actions(session: Session, entity: str, entity_id: object) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id)).order_by(AuditEvent.id)))
