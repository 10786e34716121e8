"""End-to-end in real headless Chromium (Debian's), driven by Playwright, against `pipeline serve`.

Screenshots of the queue and a task page are saved under test-artifacts/web/.
"""

from __future__ import annotations

import csv
import email
import email.policy
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.db.models import AuditEvent, RegistryCentre, RegistryOperator, RegistryUser, RegistryUserRole
from pipeline.db.session import unit_of_work
from tests.conftest import REPO
from tests.web import seed
from tests.web.server import serve

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "web"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]

# scripts/test.sh installs Debian's chromium; a missing browser is a failure, not a skip.
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="nb-NO")
    pg = context.new_page()
    yield pg
    context.close()


def _name_key(name: str) -> str:
    try:
        from pipeline.registry import normalise_centre_name
    except ImportError:
        return " ".join(name.casefold().split())
    return normalise_centre_name(name)


def load_registry(session, shared: Path) -> None:  # type: ignore[no-untyped-def]
    """The shared fictional registry, as rows (the import command belongs to another part)."""
    reg = shared / "registry"
    with open(reg / "operators.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            session.add(RegistryOperator(**r))
    session.flush()
    with open(reg / "centres.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            session.add(RegistryCentre(**{**r, "active": r["active"] == "true", "name_key": _name_key(r["name"])}))
    session.flush()
    with open(reg / "users.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            role, centres = r.pop("role"), r.pop("centres")
            session.add(RegistryUser(**r))
            session.flush()
            for number in centres.split(";"):
                session.add(RegistryUserRole(user_id=r["user_id"], role=role, mottaksnummer=number))
    session.flush()


def _log_in(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url + "/")
    assert "/logg-inn" in page.url  # no login: sent to the login page
    page.fill("#username", "kari.saksbehandler")
    page.fill("#password", seed.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")


def test_login_queue_task_page_and_screenshots(page, settings, db, shared_dir):  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        seed.operator(s)
        load_registry(s, shared_dir)
        seed.task(s, 1, first="<script>alert(1)</script>", last="Skriptesen", state="review")
        t = seed.task(s, 2, first="Åse", last="Ødegård", state="needs_info", centres=[("Dale mottak", None, None)],
                      findings=[{"code": "centre.unknown", "field": "centres", "message_no": "Vi fant ikke mottaket.",
                                 "details": {"written": "Dale mottak",
                                             "suggestions": [{"mottaksnummer": "1204", "name": "Dale asylmottak"}]}}],
                      reply=("Vi trenger flere opplysninger", "Hei!\n\nVi fant ikke mottaket «Dale mottak»."),
                      attachment=("skjema.pdf", (shared_dir / "forms/mottaksadministrator-blank.pdf").read_bytes()))
        task_id = t.id
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with serve(settings.data_dir, settings.db_url) as url:
        page.goto(f"{url}/oppgave/{task_id}")
        assert "/logg-inn" in page.url
        _log_in(page, url)
        assert page.locator("h1").inner_text() == "Kø"
        assert page.get_by_text("<script>alert(1)</script>", exact=False).count() >= 1
        page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)
        with page.expect_response(lambda r: r.url.endswith("/side/1.png")) as picture:
            page.click(f"a[href='/oppgave/{task_id}'] >> nth=0")
            page.wait_for_url(f"{url}/oppgave/{task_id}")
        # The PDF's pages come as pictures drawn on the server: the browser never gets the PDF.
        assert picture.value.status == 200 and picture.value.headers["content-type"] == "image/png"
        assert "Sak 2026-00002" in page.locator("h1").inner_text()
        assert page.locator("iframe").count() == 0 and page.locator(".pages svg image").count() == 2
        assert page.get_by_text("Dale asylmottak").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "task.png"), full_page=True)
        # Back to the queue, search by name.
        page.goto(f"{url}/?q=ødegård")
        assert page.locator("table.queue tbody tr").count() == 1
        page.click("text=Meldinger")
        assert page.locator("h1").inner_text() == "Meldinger"
        page.screenshot(path=str(ARTIFACTS / "messages.png"), full_page=True)
        page.click("text=Register")
        page.fill("#q", "Dale")
        page.click("form.search button")
        assert page.locator("table.registry").get_by_text("Dale asylmottak", exact=True).count() == 1
        page.screenshot(path=str(ARTIFACTS / "registry.png"), full_page=True)
        page.click("text=Logg ut")
        assert "/logg-inn" in page.url and "Du er logget ut." in page.content()
        page.goto(f"{url}/oppgave/{task_id}")
        assert "/logg-inn" in page.url
    assert dialogs == []  # no script ran
    assert (ARTIFACTS / "queue.png").stat().st_size > 1000


def test_correct_a_centre_approve_and_find_the_confirmation(page, settings, db, shared_dir):  # type: ignore[no-untyped-def]
    from pipeline import outbox
    from pipeline.service import replies

    with unit_of_work(db) as s:
        seed.operator(s)
        load_registry(s, shared_dir)
        t = seed.task(s, 3, first="Åse", last="Ødegård", mobile="+4791234599", state="needs_info",
                      centres=[("Dale mottak", None, None)],
                      findings=[{"code": "centre.unknown", "field": "centres", "message_no": "Vi fant ikke mottaket.",
                                 "details": {"written": "Dale mottak", "index": 0, "suggestions": [
                                     {"mottaksnummer": "1103", "name": "Dale asylmottak"},
                                     {"mottaksnummer": "1102", "name": "Dale asylmottak EM"}]}}])
        task_id = t.id
    with serve(settings.data_dir, settings.db_url) as url:
        _log_in(page, url)
        page.goto(f"{url}/?tilstand=needs_info")
        page.click(f"a[href='/oppgave/{task_id}'] >> nth=0")
        assert page.locator("button:has-text('Godkjenn med overstyring')").count() == 1
        # The suggestion beside the finding corrects the centre in one click.
        page.click("form.choice button:has-text('Bruk Dale asylmottak (1103)')")
        assert "Rettelsene er lagret" in page.locator(".flash").inner_text()
        assert "Til vurdering" in page.locator("h1").inner_text()  # nothing blocks any more
        assert page.locator("table.centres").get_by_text("Dale asylmottak (1103)").count() == 1
        page.click("form.action button.primary:has-text('Godkjenn')")
        assert "godkjent" in page.locator(".flash").inner_text()
        assert "Godkjent" in page.locator("h1").inner_text()
        page.fill("#user_id", "U99001")
        page.click("button:has-text('Merk som opprettet')")
        assert "Opprettet" in page.locator("h1").inner_text()
        # The confirmation, as it will be sent; the operator adds a line before it goes.
        reply = page.locator("article.reply", has_text="er nå opprettet som bruker i IMDinett mottak")
        assert reply.count() == 1
        reply.locator("summary").click()
        body = reply.locator("textarea")
        body.fill(body.input_value() + "\n\nHilsen Kari i IMDi-støtte")
        reply.locator("button:has-text('Lagre endringer i svaret')").click()
        assert "Svarutkastet er lagret" in page.locator(".flash").inner_text()
        page.screenshot(path=str(ARTIFACTS / "task-provisioned.png"), full_page=True)
    assert replies.send_due(db, outbox.FolderOutbox(settings.outbox_dir)) >= 1
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
             for p in sorted(settings.outbox_dir.glob("*.eml"))]
    texts = [(m, m.get_body(preferencelist=("plain",)).get_content()) for m in mails]
    confirmation = [(m, t) for m, t in texts if "er nå opprettet som bruker i IMDinett mottak" in t]
    assert len(confirmation) == 1
    mail, text = confirmation[0]
    assert "[IMDi-skjema 2026-00003]" in str(mail["Subject"])
    assert "U99001" in text and "Dale asylmottak" in text and "Hilsen Kari i IMDi-støtte" in text
    assert str(mail["To"]) == "thomas.johannessen@fjordtun-mottak.no"
    with db() as s:
        mine = {e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.actor == "kari.saksbehandler"))}
    assert {"login.success", "task.correct", "task.approve", "task.provision", "reply.edited"} <= mine


def test_an_operator_confirms_a_scanned_form_in_the_browser(page, settings, db, shared_dir, tmp_path):  # type: ignore[no-untyped-def]
    """A scan taken in by the worker (OCR), seen with its page and the values framed, one value
    corrected, the reading confirmed, the case approved: all in Chromium."""
    import shutil

    from pipeline.registry import import_registry
    from pipeline.worker import Worker
    from tests.conftest import FIXTURES

    reg = shared_dir / "registry"
    with unit_of_work(db) as s:
        seed.operator(s)
        import_registry(s, reg / "operators.csv", reg / "centres.csv", reg / "users.csv")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "scan-jpeg-150dpi-tilted.eml", inbox)
    Worker(settings, source=f"dir:{inbox}").run(once=True)
    with db() as s:
        from pipeline.db.models import Task

        (task,) = s.scalars(select(Task)).all()
        task_id = task.id
        assert task.state == "review" and "form.ocr" in {f.code for f in task.findings}
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with serve(settings.data_dir, settings.db_url) as url:
        _log_in(page, url)
        with page.expect_response(lambda r: r.url.endswith(f"/oppgave/{task_id}/side/1.png")) as picture:
            page.goto(f"{url}/oppgave/{task_id}")
        assert picture.value.status == 200 and picture.value.headers["content-type"] == "image/png"
        # The page as OCR saw it, each value framed where it was read, the unsure ones marked.
        figure = page.locator("figure.page").first.bounding_box()
        mobile = page.locator('rect.box[data-field="applicant.mobile"]')
        assert mobile.count() == 1
        box = mobile.bounding_box()
        assert figure and box and box["width"] > 20 and box["height"] > 5
        assert figure["x"] < box["x"] < figure["x"] + figure["width"] / 2  # in the value column, left half
        assert figure["y"] + figure["height"] * 0.3 < box["y"] < figure["y"] + figure["height"] * 0.6
        assert page.locator("rect.box.low").count() >= 1 and page.locator(".badge.low").count() >= 1
        assert page.locator('rect.box[data-field="centres"]').count() == 2
        assert page.locator("button:has-text('Godkjenn')").is_disabled()
        page.screenshot(path=str(ARTIFACTS / "task-ocr.png"), full_page=True)
        # A value corrected against the page, then the reading confirmed, then approved.
        page.fill("[id='c-applicant.position']", "Mottaksleder (konstituert)")
        page.click("button:has-text('Lagre rettelser og kontroller på nytt')")
        assert "Rettelsene er lagret" in page.locator(".flash").inner_text()
        assert page.locator("button:has-text('Godkjenn')").is_disabled()  # still to be confirmed
        page.click("form.confirm-reading button:has-text('Bekreft opplesningen')")
        assert "Opplesningen er bekreftet" in page.locator(".flash").inner_text()
        assert page.get_by_text("Opplesningen bekreftet av kari.saksbehandler").count() == 1
        page.click("form.action button.primary:has-text('Godkjenn')")
        assert "godkjent" in page.locator(".flash").inner_text()
        assert "Godkjent" in page.locator("h1").inner_text()
    assert dialogs == []
    with db() as s:
        mine = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.actor == "kari.saksbehandler")
                                            .order_by(AuditEvent.id)) if e.action.startswith("task.")]
        assert mine == ["task.correct", "task.rechecked", "task.confirm_reading", "task.approve"]
        assert s.get(Task, task_id).position == "Mottaksleder (konstituert)"


def test_remove_a_users_access_and_start_a_review(page, settings, db, shared_dir):  # type: ignore[no-untyped-def]
    """The lifecycle in the browser: find a user, "Fjern tilgang", decide the removal case, see the user removed;
    start an access review and find it on the reviews page."""
    with unit_of_work(db) as s:
        seed.operator(s)
        load_registry(s, shared_dir)
    with serve(settings.data_dir, settings.db_url) as url:
        _log_in(page, url)
        page.click("text=Register")
        page.fill("#bruker", "Sigrid Hagen")
        page.click("form.search button:has-text('Vis brukere')")
        row = page.locator("tr#bruker-U10132")
        assert "Import fra IMDinett" in row.inner_text() and "Flisa asylmottak (0402)" in row.inner_text()
        row.locator("summary:has-text('Fjern tilgang')").click()
        row.locator("textarea[name=reason]").fill("Sluttet 30. november")
        page.screenshot(path=str(ARTIFACTS / "registry-user.png"), full_page=True)
        row.locator("button:has-text('Fjern tilgang')").click()
        assert "ligger til vurdering" in page.locator(".flash").inner_text()
        assert "Fjern tilgang for Sigrid Hagen" in page.locator("h1").inner_text()
        assert page.locator("section.removal").get_by_text("Flisa asylmottak").count() >= 1
        page.click("form.action button.primary:has-text('Godkjenn')")
        page.click("button:has-text('Merk som fjernet')")
        assert "Fjernet" in page.locator("h1").inner_text()
        page.screenshot(path=str(ARTIFACTS / "removal-task.png"), full_page=True)
        page.goto(f"{url}/register?bruker=U10132")
        assert "Fjernet" in page.locator("tr#bruker-U10132").inner_text()
        page.click("text=Gjennomganger")
        page.select_option("#r-operators", ["DRO1048"])
        page.click("button:has-text('Send gjennomgang')")
        assert "lagt i utboksen" in page.locator(".flash").inner_text()
        listing = page.locator("table.reviews tbody tr").first.inner_text()
        assert "Fjellbu Mottak AS" in listing and "Jon Dahl" in listing and "Sendt, venter på svar" in listing
        page.screenshot(path=str(ARTIFACTS / "reviews.png"), full_page=True)
    with db() as s:
        assert s.get(RegistryUser, "U10132").status == "removed"
        mine = {e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.actor == "kari.saksbehandler"))}
    assert {"task.open", "task.approve", "task.provision", "review.campaign_started"} <= mine
