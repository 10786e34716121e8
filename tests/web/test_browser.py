"""End-to-end in real headless Chromium (Debian's), driven by Playwright, against `pipeline serve`.

Screenshots of the queue and a task page are saved under test-artifacts/web/.
"""

from __future__ import annotations

import csv
import email
import email.policy
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import (
    Attachment,
    AuditEvent,
    RegistryCentre,
    RegistryOperator,
    RegistryUser,
    RegistryUserRole,
    Task,
)
from pipeline.adapters.db.session import unit_of_work
from tests.conftest import REPO
from tests.web import seed
from tests.web.server import chromium, serve

ARTIFACTS = REPO / "test-artifacts" / "web"

# scripts/test.sh installs Debian's chromium; a missing browser is a failure, not a skip.
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


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



def test_login_escapes_names_and_logs_out(page, settings, db, reference_dir):  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        seed.operator(s)
        load_registry(s, reference_dir)
        t = seed.task(s, 1, first="<script>alert(1)</script>", last="Skriptesen", state="review")
        task_id = t.id
    dialogs: list[str] = []
    violations: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    with serve(settings.data_dir, settings.db_url) as url:
        page.goto(f"{url}/oppgave/{task_id}")
        assert "/logg-inn" in page.url
        _log_in(page, url)
        assert page.locator("h1").inner_text() == "Kø"
        assert page.get_by_text("<script>alert(1)</script>", exact=False).count() >= 1
        page.click("text=Meldinger")
        assert page.locator("h1").inner_text() == "Meldinger"
        page.click("text=Register")
        page.fill("#q", "Dale")
        page.click("form.search button")
        assert page.locator("table.registry").get_by_text("Dale asylmottak", exact=True).count() == 1
        page.click("text=Logg ut")
        assert "/logg-inn" in page.url and "Du er logget ut." in page.content()
        page.goto(f"{url}/oppgave/{task_id}")
        assert "/logg-inn" in page.url
    assert dialogs == []  # no script ran
    assert violations == []  # and our own script broke no rule of the policy


def test_correct_a_centre_approve_and_find_the_confirmation(page, settings, db, reference_dir):  # type: ignore[no-untyped-def]
    from pipeline.adapters import outbox
    from pipeline.usecases import reply_sending

    with unit_of_work(db) as s:
        seed.operator(s)
        load_registry(s, reference_dir)
        t = seed.task(s, 3, first="Åse", last="Ødegård", mobile="+4791234599", state="needs_info",
                      centres=[("Dale mottak", None, None)],
                      findings=[{"code": "centre.unknown", "field": "centres", "message_no": "Vi fant ikke mottaket.",
                                 "details": {"written": "Dale mottak", "index": 0, "suggestions": [
                                     {"mottaksnummer": "1103", "name": "Dale asylmottak"},
                                     {"mottaksnummer": "1102", "name": "Dale asylmottak EM"}]}}])
        task_id = t.id
    with serve(settings.data_dir, settings.db_url) as url:
        _log_in(page, url)
        page.goto(f"{url}/?status=needs_info")
        page.click(f"a[href^='/oppgave/{task_id}'] >> nth=0")
        assert page.locator("summary:has-text('Godkjenn tross feil')").count() == 1
        # The suggestion beside the finding corrects the centre in one click, and says who runs it.
        choice = page.locator("form.choice", has_text="Bruk Dale asylmottak (1103)")
        assert "drives av" in choice.inner_text()
        choice.locator("button").click()
        assert "Ingen feil gjenstår" in page.locator(".flash").inner_text()
        assert "Til vurdering" in page.locator("h1").inner_text()  # no error blocks any more
        assert page.locator("table.centres").get_by_text("Dale asylmottak (1103)").count() == 1
        # Dale is run by another driftsoperatør (centre.other_operator): approval asks why.
        approve = page.locator("form.approve")
        approve.locator("summary").click()
        assert "mottaket drives av en annen driftsoperatør" in approve.inner_text()
        approve.locator("#override_reason").fill("Avklart med begge driftsoperatørene")
        approve.locator("button:has-text('Godkjenn med overstyring')").click()
        # The last case of the view: back to the view, which keeps its filter.
        page.wait_for_url(f"{url}/?status=needs_info")
        assert "Sak 2026-00003 er godkjent." in page.content()
        page.goto(f"{url}/oppgave/{task_id}")
        assert "Godkjent" in page.locator("h1").inner_text()
        page.fill("#user_id", "U99001")
        page.click("button:has-text('Merk som opprettet')")
        page.goto(f"{url}/oppgave/{task_id}")
        assert "Opprettet" in page.locator("h1").inner_text()
        # The confirmation, as it will be sent; the operator adds a line before it goes.
        reply = page.locator("article.reply", has_text="Bekreftelse")
        body = reply.locator("textarea")
        assert "er nå opprettet som bruker i IMDinett mottak" in body.input_value()
        body.fill(body.input_value() + "\n\nHilsen Kari i IMDi-støtte")
        reply.locator("button:has-text('Lagre')").click()
        assert "Svarutkastet er lagret" in page.locator(".flash").inner_text()
    assert reply_sending.send_due(db, outbox.FolderOutbox(settings.outbox_dir)) >= 1
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


# --- an operator's day, on real mail, at a desk and on a phone ------------------------------------------

# Forms as driftsoperatører send them: clean ones, a warning, an ambiguous and an unknown centre, an
# invalid e-mail, a Word-made PDF and a fillable PDF (each with the places its values were read from).
DAY = ["docx-admin-limit", "docx-ambiguous-centre", "docx-unknown-centre", "pdf-word-basic", "pdf-fillable",
       "docx-invalid-email", "docx-label-variants", "docx-content-controls", "docx-split-runs", "docx-tabs-nbsp",
       "docx-formtext", "docx-text-box"]
LATE = "docx-tracked-changes"  # arrives while the queue is open
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _ingest(settings, names: list[str], inbox: Path) -> None:  # type: ignore[no-untyped-def]
    from pipeline.entrypoints.worker import Worker

    inbox.mkdir(exist_ok=True)
    for name in names:
        (inbox / f"{name}.eml").write_bytes((REPO / "inbox_fixtures" / f"{name}.eml").read_bytes())
    Worker(settings, source=f"dir:{inbox}").run(once=True)


def _no_sideways_scroll(page, width: int) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _blur(page) -> None:  # type: ignore[no-untyped-def]
    """Ready for a shortcut: the page (and so its deferred script) loaded, nothing focused."""
    page.wait_for_load_state("load")
    page.evaluate("document.activeElement && document.activeElement.blur()")


@pytest.mark.parametrize("device", sorted(WIDTHS))
def test_an_operators_day(browser, settings, db, reference_dir, tmp_path, device):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from pipeline.queries.export import EXPORT_COLUMNS

    size = WIDTHS[device]
    phone = device == "phone"
    with unit_of_work(db) as s:
        seed.operator(s)
        load_registry(s, reference_dir)
    inbox = tmp_path / "inbox"
    _ingest(settings, DAY, inbox)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=size, locale="nb-NO", accept_downloads=True,
                                  has_touch=phone, is_mobile=phone)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    def shot(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"day-{device}-{name}.png"), full_page=True)

    try:
        with serve(settings.data_dir, settings.db_url, extra_env={"PIPELINE_WEB_POLL_SECONDS": "1"}) as url:
            _log_in(page, url)
            rows = page.locator("table.queue tbody tr")
            assert rows.count() == len(DAY)
            _no_sideways_scroll(page, size["width"])
            shot("queue")

            # The header: a menu at phone width, the links themselves at a desk.
            if phone:
                assert page.locator("header nav").is_hidden()
                page.click("button.menu-button")
                assert page.locator("header nav a:has-text('Meldinger')").is_visible()
                assert page.locator("header button:has-text('Logg ut')").is_visible()
                shot("menu")
                page.click("button.menu-button")
            else:
                assert page.locator("header nav a:has-text('Meldinger')").is_visible()

            # Shortcuts: ? lists them, / searches, j/k walk the queue, Enter opens.
            page.keyboard.press("?")
            assert page.locator("dialog#hurtigtaster").is_visible()
            page.keyboard.press("Escape")
            assert page.locator("dialog#hurtigtaster").is_hidden()
            page.keyboard.press("/")
            assert page.evaluate("document.activeElement.id") == "q"
            _blur(page)
            page.keyboard.press("j")
            page.keyboard.press("j")
            page.keyboard.press("k")
            assert page.locator("table.queue tr.selected").count() == 1
            first = rows.nth(0).get_attribute("data-href")
            assert page.locator("table.queue tr.selected").get_attribute("data-href") == first
            page.keyboard.press("Enter")
            page.wait_for_url(url + first)
            page.go_back()

            # New mail while the queue is open: the counts change without a reload.
            page.goto(url + "/")
            assert page.locator("[data-count=open] b").inner_text() == str(len(DAY))
            _ingest(settings, [LATE], inbox)
            # (Waiting through locators: the page's policy forbids evaluating strings as script.)
            expect(page.locator("[data-count=open] b")).to_have_text(str(len(DAY) + 1), timeout=20000)
            assert page.locator("p.news").is_visible()

            # The needs-information view, case by case: fix a centre in one click, approve with 'a', and
            # the next case of the same view opens.
            page.goto(url + "/?status=needs_info")
            needing = page.locator("table.queue tbody tr").count()
            assert needing == 3
            page.locator("table.queue tbody tr").nth(0).locator("a").first.click()
            assert "status=needs_info" in page.url
            first_case = page.url
            _blur(page)
            page.keyboard.press("j")  # the next case of the view, and back
            page.wait_for_url(lambda u: u != first_case)
            assert "status=needs_info" in page.url
            page.keyboard.press("k")
            page.wait_for_url(first_case)
            shot("case-needs-info")
            choice = page.locator("form.choice button").first
            with page.expect_navigation():
                choice.click()
            assert page.locator(".flash").count() == 1
            if "Til vurdering" in page.locator("h1").inner_text():
                here = page.url
                _blur(page)
                page.keyboard.press("a")
                page.wait_for_url(lambda u: u != here)
                assert "status=needs_info" in page.url and "er godkjent" in page.locator(".flash").inner_text()
            # The sticky decision bar stays at the top when the case is scrolled on a desktop; on a phone
            # it stays where it is and leaves the small screen to the case (issue 17: it took a fifth).
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            bar = page.locator("section.decision").bounding_box()
            assert bar is not None and (bar["y"] + bar["height"] <= 0 if phone else abs(bar["y"]) <= 1)
            _no_sideways_scroll(page, size["width"])

            # The invalid e-mail: corrected by hand (the inputs are usable at phone width) ...
            page.goto(url + "/?status=needs_info&q=olsen")
            page.locator("table.queue tbody tr").nth(0).locator("a").first.click()
            field = page.locator("input[name='applicant.email']")
            box = field.bounding_box()
            assert box is not None and box["width"] >= 200 and box["x"] >= 0
            assert box["x"] + box["width"] <= size["width"]
            field.fill("ola.olsen@fjordtun-mottak.no")
            with page.expect_navigation():
                page.click("section.correct button[type=submit]")
            assert page.locator(".flash").count() == 1
            shot("case-corrected")

            # ... then rejected: 'r' goes to the reason ('i' to the request), the sender's e-mail is shown
            # before it is queued.
            _blur(page)
            page.keyboard.press("i")
            assert page.evaluate("document.activeElement.id") == "sporsmal-tekst"
            _blur(page)
            page.keyboard.press("r")
            assert page.evaluate("document.activeElement.id") == "avslag-tekst"
            page.keyboard.type("Personen skal ikke ha rollen ved dette mottaket.")
            page.fill("#avslag-intern", "Avtalt med leder på telefon.")
            with page.expect_navigation():
                page.click("form#avslag button[type=submit]")
            preview = page.locator("#forhandsvisning")
            assert "Begrunnelse: Personen skal ikke ha rollen ved dette mottaket." in preview.inner_text()
            assert "Avtalt med leder" not in preview.inner_text()
            shot("reject-preview")
            with page.expect_navigation():
                page.click("button:has-text('Avslå og send e-posten')")
            assert "er avslått" in page.locator(".flash").first.inner_text()

            # The PDF at page width, the field's box lit when its row is hovered or focused.
            with db() as s:
                pdf_case = s.scalar(select(Task.id).join(Attachment, Attachment.id == Task.attachment_pk)
                                    .where(Attachment.filename.like("%.pdf")).order_by(Task.id))
            with page.expect_response(lambda r: "/side/1.png" in r.url) as image:
                page.goto(f"{url}/oppgave/{pdf_case}")
            assert image.value.status == 200 and image.value.headers["content-type"] == "image/png"
            row = page.locator("tr#felt-applicant\\.first_name")
            box = page.locator(".pages rect[data-field='applicant.first_name']")
            assert box.count() == 1 and "lit" not in (box.get_attribute("class") or "")
            if phone:
                row.locator(".where a").focus()  # the row's one Tab stop (issue 17: one a field)
            else:
                row.hover()
            expect(box).to_have_class(re.compile(r"\blit\b"))
            assert "side 1" in row.inner_text()
            svg = page.locator(".pages svg").first.bounding_box()
            assert svg is not None and svg["width"] >= (size["width"] - 80 if phone else 500)
            _no_sideways_scroll(page, size["width"])
            shot("case-pdf-highlight")

            # A Word form as its tables.
            page.goto(url + "/?status=alle&q=mikkelsen")
            page.locator("table.queue tbody tr").nth(0).locator("a").first.click()
            assert page.locator(".docx table.docx-table").count() >= 1, page.locator("main").inner_text()[-2000:]
            assert "mottaksadministratorer:" in page.locator(".finding.warning").first.inner_text()
            # Take the case.
            with page.expect_navigation():
                page.click("section.decision button:has-text('Ta saken')")
            assert "Du har saken." in page.locator("section.decision").inner_text()
            shot("case-docx")

            # Bulk approval of the clean cases in review.
            page.goto(url + "/?status=review")
            clean = page.locator("input[data-clean]").count()
            assert clean >= 3
            page.check("input[data-select-all]")
            assert page.locator("input[data-clean]:checked").count() == clean
            with page.expect_navigation():
                page.click("form#godkjenn-valgte button[type=submit]")
            assert f"{clean} saker er godkjent" in page.locator(".flash").first.inner_text()
            shot("bulk-approved")

            # The approved list, exported for IMDinett with the CLI's columns.
            page.goto(url + "/?status=approved")
            approved = page.locator("table.queue tbody tr").count()
            with page.expect_download() as download:
                page.click("a:has-text('CSV for skript')")
            text = Path(download.value.path()).read_text(encoding="utf-8")
            exported = list(csv.DictReader(text.splitlines()))
            assert tuple(exported[0]) == EXPORT_COLUMNS and len(exported) == approved
            _no_sideways_scroll(page, size["width"])
            shot("approved")
    finally:
        context.close()
    assert violations == []


def test_an_operator_confirms_a_scanned_form_in_the_browser(page, settings, db, reference_dir, tmp_path):  # type: ignore[no-untyped-def]
    """A scan taken in by the worker (OCR), seen with its page and the values framed, one value
    corrected, the reading confirmed, the case approved: all in Chromium."""
    import shutil

    from pipeline.adapters.registry_store import import_registry
    from pipeline.entrypoints.worker import Worker
    from tests.conftest import FIXTURES

    reg = reference_dir / "registry"
    with unit_of_work(db) as s:
        seed.operator(s)
        import_registry(s, reg / "operators.csv", reg / "centres.csv", reg / "users.csv")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "scan-jpeg-150dpi-tilted.eml", inbox)
    Worker(settings, source=f"dir:{inbox}").run(once=True)
    with db() as s:
        from pipeline.adapters.db.models import Task

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
        assert page.get_by_text("Opplesningen bekreftet av Kari Saksbehandler").count() == 1
        with page.expect_navigation():
            page.click("form.approve button.primary:has-text('Godkjenn')")
        # The last case of the view: back to the queue, saying so.
        assert "er godkjent" in page.locator(".flash").first.inner_text()
        page.goto(f"{url}/oppgave/{task_id}")
        assert "Godkjent" in page.locator("h1").inner_text()
    assert dialogs == []
    with db() as s:
        mine = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.actor == "kari.saksbehandler")
                                            .order_by(AuditEvent.id)) if e.action.startswith("task.")]
        assert mine == ["task.correct", "task.rechecked", "task.confirm_reading", "task.approve"]
        assert s.get(Task, task_id).position == "Mottaksleder (konstituert)"


def test_remove_a_users_access_and_start_a_review(page, settings, db, reference_dir):  # type: ignore[no-untyped-def]
    """The lifecycle in the browser: find a user, "Fjern tilgang", decide the removal case, see the user removed;
    start an access review and find it on the reviews page."""
    with unit_of_work(db) as s:
        seed.operator(s)
        load_registry(s, reference_dir)
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
        case_url = page.url
        # Sigrid is Flisa's only administrator: `a` opens the same reason question as the button, and
        # approves nothing by itself.
        _blur(page)
        page.keyboard.press("a")
        reason = page.locator("#override_reason")
        assert reason.is_visible() and page.evaluate("document.activeElement.id") == "override_reason"
        assert page.url == case_url and "Til vurdering" in page.locator("h1").inner_text()
        assert "mottaket blir uten mottaksadministrator" in page.locator("form.approve").inner_text()
        page.keyboard.type("Ny administrator er meldt inn")
        with page.expect_navigation():
            page.click("form.approve button:has-text('Godkjenn med overstyring')")
        page.goto(case_url)
        with page.expect_navigation():
            page.click("button:has-text('Merk som fjernet')")
        page.goto(case_url)
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
