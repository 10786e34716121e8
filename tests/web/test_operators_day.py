"""The operators' day, round two: one seeded database (every inbox fixture through the worker once, a
forged answer, the day's decisions), one `pipeline serve` and one Chromium for the whole file; many pages.

- every word an operator reads is Norwegian (every case page of the fixtures, walked);
- nothing waits unseen (held reply, proposal, reminded request, unverified review answer);
- phone first at 390×844, desktop at 1280×800: screenshots under test-artifacts/web/day2/;
- axe-core (axe-playwright-python, offline) on the queue, a Word, a PDF and an OCR case, a removal, a
  proposal, the registry, the reviews and the login page at both widths: no serious or critical violation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import Reply, Task
from pipeline.entrypoints.web import create_app
from pipeline.settings import Settings
from tests.conftest import REPO, Templates
from tests.web import seed
from tests.web.conftest import WEB, csrf_token, login
from tests.web.server import chromium, serve
from tests.web.visible import visible_text
from tests.web.world import World, build

ARTIFACTS = REPO / "test-artifacts" / "web" / "day2"
DEVICES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory, migrated_template: str) -> Iterator[tuple[Settings, Any, World]]:
    from pipeline.adapters.db.session import open_database

    tmp = tmp_path_factory.mktemp("day2")
    with Templates.copy(migrated_template, tmp / "day.sqlite3") as url:
        (tmp / "data").mkdir()
        settings = Settings(data_dir=tmp / "data", database_url=url, authserv_id="mx.imdi.no")
        db = open_database(settings, migrate=False)
        world = build(settings, db)
        yield settings, db, world
        db.kw["bind"].dispose()


@pytest.fixture(scope="module")
def client(day):  # type: ignore[no-untyped-def]
    settings, db, _ = day
    from dataclasses import replace

    c = create_app(replace(settings, web=WEB), session_factory=db).test_client()
    assert login(c).status_code == 302
    return c


# --- every word Norwegian ---------------------------------------------------------------------------------

# Code words and English phrases the case pages showed (issue 17), and what such text looks like.
FORBIDDEN = (
    "operator_known", "sender_verified", "first_name", "last_name", "op_email", "accept_change", "proposal:",
    "why:", "values:", "applicant.", "operator.organisation", "no registry user", "only a first or last name",
    "neither a confirmation", "removal task", "the sender is not verified", "not the case's sender",
    "SPF pass", "DKIM fail", "DKIM pass", "DMARC fail", "DMARC pass", "Av: root", "Etter:", "{'", "['", "None",
    "True", "False", "task.", "reply.", "registry.", "Til vurdering → Til vurdering",
    "Mangler opplysninger → Mangler opplysninger",
)
_FILE_NAME = re.compile(r"\S+\.(pdf|docx|png|jpe?g|tiff?|heic|zip|eml)\b", re.IGNORECASE)
_SELF = re.compile(r"Status: ([^;→]+) → \1(;|$)")


def _words_wrong(text: str) -> list[str]:
    text = _FILE_NAME.sub("", text)  # a sender's file name is theirs
    found = [w for w in FORBIDDEN if w in text]
    found += [m.group(0) for m in _SELF.finditer(text)]
    return found


def test_every_case_page_speaks_norwegian(day, client):  # type: ignore[no-untyped-def]
    _, _, world = day
    assert len(world.all_ids) >= 60
    wrong: dict[str, list[str]] = {}
    for task_id in world.all_ids:
        html = client.get(f"/oppgave/{task_id}").get_data(as_text=True)
        ref = re.search(r"<h1>Sak (\S+):", html)
        bad = _words_wrong(visible_text(html))
        if bad:
            wrong[ref.group(1) if ref else str(task_id)] = bad
    for path in ("/?status=alle", "/register", "/gjennomganger", "/meldinger"):
        bad = _words_wrong(visible_text(client.get(path).get_data(as_text=True)))
        if bad:
            wrong[path] = bad
    assert wrong == {}


def test_the_history_names_people_and_says_what_happened(day, client):  # type: ignore[no-untyped-def]
    _, _, world = day
    text = visible_text(client.get(f"/oppgave/{world.refs['word']}").get_data(as_text=True))
    assert "Kommandolinjen (root)" in text  # the command line's $USER is not taken for an operator
    assert "Stilling" in text
    text = visible_text(client.get(f"/oppgave/{world.refs['removal']}").get_data(as_text=True))
    assert "Kari Saksbehandler" in text and "fjerningssak" in text and "Mottaksadministrator ved 0504" in text
    text = visible_text(client.get(f"/oppgave/{world.refs['removal_nobody']}").get_data(as_text=True))
    assert "Uklart" in text and "ingen bruker i registeret" in text or "bare fornavn eller etternavn" in text


# --- nothing waits unseen --------------------------------------------------------------------------------


def test_what_waits_shows_in_the_row_the_bar_and_a_filter(day, client):  # type: ignore[no-untyped-def]
    _, _, world = day
    queue = client.get("/?status=alle").get_data(as_text=True)
    for key, name, ref in (("holdt", "Svar holdt tilbake", "held"), ("forslag", "Forslag venter", "proposal"),
                           ("purret", "Purret, ikke besvart", "reminded"),
                           ("ubekreftet", "Ubekreftet svar på gjennomgang", "untrusted")):
        count = re.search(rf'data-count="venter-{key}">{name} <b>(\d+)</b>', queue)
        assert count and int(count.group(1)) >= 1, key
        filtered = client.get(f"/?status=alle&venter={key}").get_data(as_text=True)
        assert f'id="sak-{world.refs[ref]}"' in filtered, key
        bar = client.get(f"/oppgave/{world.refs[ref]}").get_data(as_text=True)
        decision = bar[bar.index('class="decision"'):bar.index("</section>", bar.index('class="decision"'))]
        assert name in decision, key
    # Only those: a case with nothing waiting is not in the filter.
    assert f'id="sak-{world.refs["word"]}"' not in client.get("/?status=alle&venter=holdt").get_data(as_text=True)
    # The proposal says why it is one: DMARC failed for the case sender's domain.
    page = visible_text(client.get(f"/oppgave/{world.refs['proposal']}").get_data(as_text=True))
    assert "DMARC feilet for avsenderens domene fjellbu.no" in page
    pulse = client.get("/ko/puls.json").get_json()
    assert pulse["waiting"]["venter-holdt"] >= 1 and pulse["waiting"]["venter-forslag"] >= 1


def test_a_removal_naming_nobody_says_so_and_preselects_nobody(day, client):  # type: ignore[no-untyped-def]
    _, _, world = day
    html = client.get(f"/oppgave/{world.refs['removal_nobody']}").get_data(as_text=True)
    assert "Bruker ikke valgt" in html and "Ingen funn" not in html
    picker = html[html.index('id="assign_user"'):html.index("</select>", html.index('id="assign_user"'))]
    assert '<option value="" selected disabled>' in picker
    assert picker.count("selected") == 1  # nobody preselected
    assert re.search(r"<option value=\"U\d+\">[^<]+ – [^<]+ – (\+47\d+|ingen mobil) \(U\d+\)</option>", picker)


def test_reviews_mark_whose_removal_is_pending_or_done(day, client):  # type: ignore[no-untyped-def]
    from pipeline.queries.reviews import removal_states

    _, db, world = day
    with db() as s:
        removal = s.get(Task, world.refs["removal"])
        states = removal_states(s, {removal.user_id, "U99999"})
    assert states[removal.user_id].state == "provisioned" and "U99999" not in states
    html = client.get("/gjennomganger?kampanje=" + str(_campaign(db))).get_data(as_text=True)
    listing = visible_text(html[html.index('id="gjennomgang-2026-G900"'):])
    assert "fjernet" in listing.split("Jon Dahl")[1].split("\n")[1]
    assert "fjerning venter" in listing.split("Bente Sørensen")[1].split("\n")[1]
    assert "fjern" not in listing.split("Siri Stayer")[1].split("\n")[1]


def _campaign(db) -> int:  # type: ignore[no-untyped-def]
    from pipeline.adapters.db.models import AccessReview

    with db() as s:
        return s.scalars(select(AccessReview.campaign_id).where(AccessReview.ref == "2026-G900")).one()


def test_a_case_number_in_any_form_finds_the_case_and_says_where(day, client):  # type: ignore[no-untyped-def]
    _, db, world = day
    with db() as s:
        ref = s.get(Task, world.refs["word"]).case_ref  # 2026-00NN
    year, number = ref.split("-")
    task_id = world.refs["word"]
    for typed in (str(int(number)), number, ref, f"{int(number):04d}"):
        html = client.get(f"/?status=alle&q={typed}").get_data(as_text=True)
        row = re.search(rf'id="sak-{task_id}".*?</tr>', html, re.DOTALL)
        assert row, typed
        assert "Treff i saksnummer" in row.group(0), typed


def test_releasing_a_held_reply_from_the_queue_row(day, client):  # type: ignore[no-untyped-def]
    _, db, world = day
    held = world.refs["held"]
    queue = client.get("/?status=alle&venter=holdt").get_data(as_text=True)
    form = re.search(rf'<form method="post" action="(/oppgave/{held}/svar/\d+/send[^"]*)".*?name="version" value="(\d+)"',
                     queue, re.DOTALL)
    assert form, "no Send in the row"
    resp = client.post(form.group(1), data={"csrf_token": csrf_token(queue), "version": form.group(2)})
    assert resp.status_code == 302
    with db() as s:
        assert [r.state for r in s.scalars(select(Reply).where(Reply.task_id == held))].count("draft") == 0
    assert f'id="sak-{held}"' not in client.get("/?status=alle&venter=holdt").get_data(as_text=True)


# --- in Chromium, at both widths -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(day) -> Iterator[str]:  # type: ignore[no-untyped-def]
    settings, _, _ = day
    with serve(settings.data_dir, settings.db_url) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def sessions(browser, server) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """A logged-in page per device, shared by the browser tests (logging in once each)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = {}
    contexts = []
    for device, size in DEVICES.items():
        context = browser.new_context(viewport=size, locale="nb-NO", accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.goto(server + "/logg-inn")
        page.fill("#username", "kari.saksbehandler")
        page.fill("#password", seed.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(server + "/")
        pages[device] = page
    yield pages
    for context in contexts:
        context.close()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def _serious(page) -> list[str]:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {len(v['nodes'])}× {v['nodes'][0]['target']}"
            for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


@pytest.mark.parametrize("device", list(DEVICES))
def test_axe_finds_no_serious_violation(day, server, sessions, browser, device):  # type: ignore[no-untyped-def]
    _, _, world = day
    page = sessions[device]
    pages = {"ko": "/?status=alle", "word": f"/oppgave/{world.refs['word']}", "pdf": f"/oppgave/{world.refs['pdf']}",
             "ocr": f"/oppgave/{world.refs['ocr']}", "fjerning": f"/oppgave/{world.refs['removal_nobody']}",
             "forslag": f"/oppgave/{world.refs['proposal']}", "register": "/register",
             "gjennomganger": "/gjennomganger"}
    found: dict[str, list[str]] = {}
    for name, path in pages.items():
        page.goto(server + path)
        _shot(page, f"{device}-{name}")
        bad = _serious(page)
        if bad:
            found[name] = bad
    # The login page, in a context of its own (no session).
    context = browser.new_context(viewport=DEVICES[device], locale="nb-NO")
    login_page = context.new_page()
    login_page.goto(server + "/logg-inn")
    _shot(login_page, f"{device}-logg-inn")
    bad = _serious(login_page)
    context.close()
    if bad:
        found["logg-inn"] = bad
    assert found == {}


def test_phone_first(day, server, sessions):  # type: ignore[no-untyped-def]
    _, _, world = day
    page = sessions["phone"]
    page.goto(server + "/?status=alle")
    first = page.locator("table.queue tbody tr").first.bounding_box()
    assert first is not None and first["y"] + 120 < 844, first  # a case (its number and name) on the first screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "phone-ko-forste-skjerm")
    # Hint text 14 px or more.
    sizes = page.evaluate("""() => Array.from(document.querySelectorAll('.hint, .meta, .small, .where, .badge'))
        .filter(e => e.offsetParent !== null).map(e => parseFloat(getComputedStyle(e).fontSize))""")
    assert sizes and min(sizes) >= 14, min(sizes)
    # A PDF case: the page picture near the top, a frame lit; the bar covers little of the screen.
    page.goto(server + f"/oppgave/{world.refs['pdf']}")
    picture = page.locator(".pages").bounding_box()
    assert picture is not None and picture["y"] < 844 * 0.8, picture
    page.mouse.wheel(0, 1500)
    covered = page.evaluate("""() => { const r = document.querySelector('section.decision').getBoundingClientRect();
        return Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0)); }""")
    assert covered <= 844 * 0.15, covered
    # Tap to zoom.
    page.locator(".pages figure.page svg").first.click(position={"x": 5, "y": 5})
    assert "zoomed" in (page.locator(".pages figure.page").first.get_attribute("class") or "")
    _shot(page, "phone-pdf-zoomet")
    # Scrolling tables are marked and take the keyboard.
    page.goto(server + "/register")
    regions = page.locator("div.scroll[role=region][tabindex='0']")
    assert regions.count() >= 1 and "sveip" in (regions.first.get_attribute("aria-label") or "")
    _shot(page, "phone-register")


@pytest.mark.parametrize("device", list(DEVICES))
def test_provenance_links_light_the_box_and_fields_take_one_tab_stop(day, server, sessions, device):  # type: ignore[no-untyped-def]
    _, _, world = day
    page = sessions[device]
    page.goto(server + f"/oppgave/{world.refs['pdf']}")
    # A field whose value has a frame on the page (not every value has one).
    field = page.evaluate("""() => Array.from(document.querySelectorAll('table.fields tr[data-field]'))
        .map(r => r.getAttribute('data-field'))
        .find(f => document.querySelector(`table.fields tr[data-field='${f}'] .where a`) &&
                   document.querySelector(`.pages rect.box[data-field='${f}']`))""")
    assert field, "no field with both a provenance link and a frame"
    page.locator(f"table.fields tr[data-field='{field}'] .where a").click()
    lit = page.locator(f".pages rect.box.lit[data-field='{field}']")
    assert lit.count() == 1
    box = lit.bounding_box()
    assert box is not None and 0 <= box["y"] <= DEVICES[device]["height"]
    _shot(page, f"{device}-pdf-lenke-lyser")
    # One Tab stop per field row (its link, or the row itself when it has none).
    stops = page.evaluate("""() => Array.from(document.querySelectorAll('table.fields tr[data-field]')).map(r =>
        (r.tabIndex >= 0 && r.hasAttribute('tabindex') ? 1 : 0) + r.querySelectorAll('a[href], [tabindex="0"]').length)""")
    assert stops and max(stops) <= 1, stops
    # The frames on the page picture are reached by Tab and named.
    frame = page.locator(".pages rect.box").first
    frame.focus()
    assert page.evaluate("() => document.activeElement.tagName.toLowerCase()") == "rect"
    assert (frame.get_attribute("aria-label") or "").startswith("Ramme: ")


def test_the_email_column_is_readable_at_1280(day, server, sessions):  # type: ignore[no-untyped-def]
    page = sessions["desktop"]
    page.goto(server + "/?status=alle")
    widths = page.evaluate("""() => Array.from(document.querySelectorAll('table.queue td.email'))
        .map(td => td.getBoundingClientRect().width)""")
    assert widths and min(widths) >= 180, min(widths)
    columns = page.evaluate("""() => Array.from(document.querySelectorAll('table.queue thead th'))
        .map(th => th.textContent + ':' + Math.round(th.getBoundingClientRect().width))""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, columns  # and the page still fits
    page.goto(server + "/?status=alle&q=0024")
    assert page.locator("table.queue .matched").first.inner_text().startswith("Treff i")
    _shot(page, "desktop-sok-0024")


@pytest.mark.parametrize("device", list(DEVICES))
def test_what_waits_in_the_browser(day, server, sessions, device):  # type: ignore[no-untyped-def]
    _, _, world = day
    page = sessions[device]
    page.goto(server + "/?status=alle&venter=forslag")
    assert "Forslag venter" in page.locator(f"#sak-{world.refs['proposal']} .badge.waits").all_inner_texts()
    _shot(page, f"{device}-ko-forslag")
    page.goto(server + f"/oppgave/{world.refs['proposal']}")
    bar = page.locator("section.decision")
    assert "Forslag venter" in bar.inner_text()
    bar.get_by_role("link", name="Se forslaget").click()
    assert page.locator("#forslag").bounding_box()["y"] < DEVICES[device]["height"]  # type: ignore[index]
    _shot(page, f"{device}-forslag")
