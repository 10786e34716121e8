"""The lifecycle in the web UI (test client, real services and registry): users with source and status, "Fjern
tilgang", the import upload with its report, the reviews page, removal cases on the case page."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from pipeline.adapters.db.models import RegistryUser, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.entrypoints.web import create_app
from pipeline.steps import tasks
from pipeline.usecases.ingest import ingest_message
from tests.lifecycle.conftest import open_grant, reading
from tests.mail.builders import mail, raw
from tests.registry.helpers import line_of, reference
from tests.web import seed
from tests.web.conftest import WEB, csrf_token, login


@pytest.fixture
def web(registry, lsettings) -> FlaskClient:  # type: ignore[no-untyped-def]
    with unit_of_work(registry) as s:
        seed.operator(s)
    client = create_app(replace(lsettings, web=WEB), session_factory=registry).test_client()
    assert login(client).status_code == 302
    return client


def _html(client: FlaskClient, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


def _post(client: FlaskClient, page: str, url: str, **data: object) -> str:
    token = csrf_token(_html(client, page))
    resp = client.post(url, data={"csrf_token": token, **data}, follow_redirects=True,
                       content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


def test_a_user_shows_centres_source_and_status_and_fjern_tilgang_makes_a_case(web, registry):
    html = _html(web, "/register?bruker=U10132")
    assert "Sigrid Hagen" in html and "Mottaksadministrator: Flisa asylmottak (0402)" in html
    assert "Import fra IMDinett" in html and "Aktiv" in html and "Fjern tilgang" in html
    html = _post(web, "/register?bruker=U10132", "/register/bruker/U10132/fjern", centre="0402",
                 reason="Sluttet 30. november")
    assert "ligger til vurdering" in html and "Fjern tilgang for Sigrid Hagen" in html
    assert "Flisa asylmottak" in html and "IMDi-støtte" in html and "Sluttet 30. november" in html
    assert "avsluttes i registeret når saken merkes som fjernet" in html
    with registry() as s:
        task = s.scalars(select(Task).where(Task.kind == "removal")).one()
    page = f"/oppgave/{task.id}"
    # Sigrid is Flisa's only administrator: the case page asks why before it approves.
    assert "ingen mottaksadministrator" in _html(web, page) and 'name="override_reason"' in _html(web, page)
    _post(web, page, f"{page}/godkjenn", version=task.version,
          override_reason="Ny administrator er meldt inn")  # the UI walks on to the next case ...
    assert "Merk som fjernet i IMDinett" in _html(web, page)  # ... and this one now offers the removal
    with registry() as s:
        version = s.get(Task, task.id).version
    _post(web, page, f"{page}/opprettet", version=version)
    assert "Fjernet" in _html(web, page)
    html = _html(web, "/register?bruker=U10132")
    assert "Fjernet" in html and f"removal task {task.case_ref}" in html
    with registry() as s:
        assert s.get(RegistryUser, "U10132").status == "removed"


def test_the_upload_shows_the_report_a_dry_run_changes_nothing(web, registry, reference_dir):
    files = reference(reference_dir)
    lines = files["users"].read_text(encoding="utf-8").splitlines()
    without = "\n".join(line for i, line in enumerate(lines, 1) if i != line_of(files["users"], "U10011,")) + "\n"

    def upload(**flags: str) -> str:
        return _post(web, "/register", "/register/import", complete="ja",
                     users=(io.BytesIO(without.encode()), "eksport.csv"), grace_days="14", **flags)

    html = upload(dry_run="ja")
    assert "Prøvekjøring: dette ville importen gjort" in html and "ingenting er endret" in html
    assert "Fjernet (ikke i den komplette eksporten): 1" in html and "U10011 Amra Rønning" in html
    assert "(eksport.csv)" in html
    with registry() as s:
        assert s.get(RegistryUser, "U10011").status == "active"
    html = upload()
    assert "Registeret er importert." in html and "Importrapport" in html
    with registry() as s:
        assert s.get(RegistryUser, "U10011").status == "removed"


def test_the_reviews_page_shows_progress_and_each_answer_beside_its_list(web, registry, lsettings):
    html = _post(web, "/gjennomganger", "/gjennomganger/start", operator="DRO1014", due_days="10")
    assert "1 gjennomgang(er) er lagt i utboksen" in html
    assert "Sigrid Hagen (U10132)" in html and "Sendt, venter på svar" in html and "0 av 1" in html
    with registry() as s:
        from pipeline.adapters.db.models import AccessReview

        ref = s.scalars(select(AccessReview.ref)).one()
    ingest_message(registry, raw(mail(f"SV: Gjennomgang [IMDi-gjennomgang {ref}]",
                                      sender="Gøril Strand <goril.strand@solbakken-drift.no>",
                                      body="Sigrid Hagen har sluttet. Resten stemmer.\n")),
                   source=None, settings=lsettings)
    html = _html(web, "/gjennomganger")
    # Sigrid Hagen is marked: the answer raised her removal, which waits for a decision.
    assert "1 av 1" in html and "Endringer" in html and "fjerning venter" in html
    assert "Sigrid Hagen har sluttet. Resten stemmer." in html
    with registry() as s:
        task = s.scalars(select(Task).where(Task.review_id.is_not(None))).one()
    assert f">{task.case_ref}</a>" in html
    case = _html(web, f"/oppgave/{task.id}")
    assert "Svar på tilgangsgjennomgang" in case and f"gjennomgang {ref}" in case


def test_a_removal_nobody_could_tell_is_assigned_on_the_case_page(web, registry, lsettings):
    ingest_message(registry, raw(mail("Slette bruker", sender="Gøril Strand <goril.strand@solbakken-drift.no>",
                                      body="Kari har sluttet, kan dere slette brukeren hennes?\n")),
                   source=None, settings=lsettings)
    with registry() as s:
        task = s.scalars(select(Task).where(Task.kind == "removal")).one()
    page = f"/oppgave/{task.id}"
    html = _html(web, page)
    assert "Ingen bruker er valgt" in html and "Kari har sluttet, kan dere slette brukeren hennes?" in html
    # The operator's administrators by name, centre and mobile; nobody chosen for the operator.
    assert re.search(r">Kari Hansen – [^<]+ – [^<]+ \(U10140\)<", html) and "(U10583)" in html
    assert '<option value="" selected disabled>Velg en bruker …</option>' in html
    html = _post(web, page, f"{page}/velg-bruker", user_id="U10140", version=task.version)
    assert "Saken gjelder nå den valgte brukeren." in html and "Fjern tilgang for Kari Hansen" in html
    assert "Kirkenær asylmottak" in html
    with registry() as s:
        assert s.get(Task, task.id).state == "review"


def test_the_grant_form_says_which_user_id_imdinett_uses(web, registry):
    with unit_of_work(registry) as s:
        task = open_grant(s, reading())
        tasks.approve(s, task.id, actor="ola")
    html = _html(web, f"/oppgave/{task.id}")
    assert "U etterfulgt av sifre, for eksempel U10612" in html and 'placeholder="U10612"' in html
    html = _post(web, f"/oppgave/{task.id}", f"/oppgave/{task.id}/opprettet", version=task.version)
    assert "Oppgi bruker-id-en brukeren fikk i IMDinett" in html
    html = _html(web, "/")
    assert task.case_ref in html
