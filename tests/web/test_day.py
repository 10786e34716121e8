"""An operator's day through the test client: the flow from case to case, the e-mail shown before a
decision sends it, status texts that agree with the findings, the export, saved views and the search."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, Reply, Task
from pipeline.adapters.db.session import unit_of_work
from tests.web import seed
from tests.web.conftest import csrf_token

WARNING = {"code": "centre.admin_limit", "field": "centres", "severity": "warning", "message_no": "Mange.",
           "details": {"written": "Askim asylmottak", "mottaksnummer": "0101", "name": "Askim asylmottak",
                       "count": 2}}
BLOCKING = {"code": "mobile.invalid", "field": "applicant.mobile", "message_no": "Ugyldig.",
            "details": {"value": "123"}}


def _token(client, path: str = "/") -> str:  # type: ignore[no-untyped-def]
    return csrf_token(client.get(path).get_data(as_text=True))


def _version(client, task_id: int) -> str:  # type: ignore[no-untyped-def]
    html = client.get(f"/oppgave/{task_id}").get_data(as_text=True)
    return re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]


def test_after_a_decision_the_next_case_of_the_same_view_opens(logged_in, db):
    now = datetime.now(UTC)
    with unit_of_work(db) as s:
        a = seed.task(s, 1, last="Hansen", created_at=now - timedelta(days=3)).id
        seed.task(s, 2, last="Berg", created_at=now - timedelta(days=2))  # not in the searched view
        c = seed.task(s, 3, last="Hansen", first="Per", created_at=now - timedelta(days=1)).id
    page = logged_in.get(f"/oppgave/{a}?status=review&q=hansen").get_data(as_text=True)
    # Next, previous and the queue keep the view.
    assert f'href="/oppgave/{c}?status=review&amp;q=hansen" rel="next"' in page
    assert 'href="/?status=review&amp;q=hansen" data-shortcut="queue">← Kø' in page
    assert f'action="/oppgave/{a}/godkjenn?status=review&amp;q=hansen"' in page
    resp = logged_in.post(f"/oppgave/{a}/godkjenn?status=review&q=hansen",
                          data={"csrf_token": csrf_token(page), "version": _version(logged_in, a)})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/oppgave/{c}?status=review&q=hansen"
    html = logged_in.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Sak 2026-00001 er godkjent." in html and "Sak 2026-00003" in html
    assert 'rel="prev"' not in html  # the approved case has left the view
    # The last case of the view: back to the view, saying so.
    resp = logged_in.post(f"/oppgave/{c}/godkjenn?status=review&q=hansen",
                          data={"csrf_token": csrf_token(html), "version": _version(logged_in, c)},
                          follow_redirects=True)
    assert "Det var siste sak i denne visningen." in resp.get_data(as_text=True)


def test_a_rejection_shows_the_senders_email_first_and_keeps_the_internal_note_apart(logged_in, db):
    with unit_of_work(db) as s:
        task_id = seed.task(s, 4, first="Åse", last="Ødegård").id
    token, version = _token(logged_in, f"/oppgave/{task_id}"), _version(logged_in, task_id)
    form = {"csrf_token": token, "version": version, "reason": "Personen jobber ikke lenger på mottaket.",
            "internal_note": "Ringte daglig leder 12.3."}
    html = logged_in.post(f"/oppgave/{task_id}/avvis/forhandsvis", data=form).get_data(as_text=True)
    assert "Slik blir e-posten avsenderen får. Ingenting er sendt ennå." in html
    assert "Begrunnelse: Personen jobber ikke lenger på mottaket." in html  # the template's text, rendered
    assert "kan dessverre ikke opprette brukeren" in html and "thomas.johannessen@fjordtun-mottak.no" in html
    preview_text = re.search(r'<pre class="mail" id="forhandsvisning">(.*?)</pre>', html, re.S).group(1)  # type: ignore[union-attr]
    assert "Ringte daglig leder" not in preview_text
    with db() as s:  # nothing stored
        assert s.get(Task, task_id).state == "review"
        assert list(s.scalars(select(Reply).where(Reply.task_id == task_id))) == []
    shown = re.search(r'name="shown" value="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]
    # Words changed on the preview page are previewed again, not sent.
    html = logged_in.post(f"/oppgave/{task_id}/avvis", data={**form, "shown": shown, "reason": "Annen grunn."}
                          ).get_data(as_text=True)
    assert "Du endret teksten" in html and "Begrunnelse: Annen grunn." in html
    with db() as s:
        assert s.get(Task, task_id).state == "review"
    resp = logged_in.post(f"/oppgave/{task_id}/avvis", data={**form, "shown": shown}, follow_redirects=True)
    assert "Sak 2026-00004 er avslått" in resp.get_data(as_text=True)
    with db() as s:
        reply = s.scalars(select(Reply).where(Reply.task_id == task_id, Reply.kind == "rejection")).one()
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "task.reject")).one()
    assert reply.state == "queued" and reply.body_text.strip() == preview_text.strip().replace("&#39;", "'")
    assert "Ringte daglig leder" not in reply.body_text and "Ringte daglig leder" not in (reply.body_html or "")
    assert event.details["internal_note"] == "Ringte daglig leder 12.3."
    # The note is on the case's history for colleagues.
    assert "Intern merknad: Ringte daglig leder 12.3." in logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)


def test_a_request_for_information_is_previewed_with_the_note_to_the_sender(logged_in, db):
    with unit_of_work(db) as s:
        task_id = seed.task(s, 5).id
    form = {"csrf_token": _token(logged_in, f"/oppgave/{task_id}"), "version": _version(logged_in, task_id),
            "note": "Hvilket mottak gjelder det?", "internal_note": "Sjekk med Fjordtun."}
    html = logged_in.post(f"/oppgave/{task_id}/be-om-opplysninger/forhandsvis", data=form).get_data(as_text=True)
    assert "Merknad fra saksbehandler: Hvilket mottak gjelder det?" in html
    assert "Send forespørselen" in html
    with db() as s:
        assert s.get(Task, task_id).state == "review"


def test_status_texts_agree_with_the_findings(logged_in, db):
    with unit_of_work(db) as s:
        warned = seed.task(s, 6, findings=[WARNING]).id
        clean = seed.task(s, 7).id
        blocked = seed.task(s, 8, state="needs_info", findings=[BLOCKING]).id
    html = logged_in.get(f"/oppgave/{warned}").get_data(as_text=True)
    assert "Alle krav er oppfylt" not in html and "Se merknaden: saken godkjennes bare med en begrunnelse" in html
    assert 'name="override_reason"' in html and "mottaket får flere enn to mottaksadministratorer" in html
    assert "Kontrollene fant ingen feil eller merknader." in logged_in.get(f"/oppgave/{clean}").get_data(as_text=True)
    # An override reason of only spaces: a clear answer, nothing approved.
    resp = logged_in.post(f"/oppgave/{blocked}/godkjenn", data={"csrf_token": _token(logged_in),
                                                               "version": _version(logged_in, blocked),
                                                               "override_reason": "   "})
    assert "Et felt med bare mellomrom er ikke en begrunnelse." in resp.get_data(as_text=True)
    with db() as s:
        assert s.get(Task, blocked).state == "needs_info"


def test_a_correction_that_is_still_invalid_is_not_reported_as_fine(logged_in, db):
    with unit_of_work(db) as s:
        task_id = seed.task(s, 9, state="needs_info", mobile="+4712345", findings=[BLOCKING]).id
    resp = logged_in.post(f"/oppgave/{task_id}/korriger", data={
        "csrf_token": _token(logged_in), "version": _version(logged_in, task_id), "applicant.mobile": "123"},
        follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "flash-warning" in html and "har fortsatt feil" in html and "flash-ok" not in html


def test_mark_done_asks_for_imdinett_user_id_and_keeps_what_was_typed(logged_in, db):
    with unit_of_work(db) as s:
        task_id = seed.task(s, 10, state="approved").id
    html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert "stor U og sifre" in html and "U10612" in html
    # The registry's rule decides (one rule for the CLI and the web): a new user needs an id, of
    # letters, digits and _ . - as IMDinett's export has them.
    for typed, said in (("", "Oppgi bruker-id-en brukeren fikk i IMDinett"), ("u 10234", "Ugyldig bruker-id")):
        resp = logged_in.post(f"/oppgave/{task_id}/opprettet", data={
            "csrf_token": _token(logged_in), "version": _version(logged_in, task_id), "user_id": typed})
        html = resp.get_data(as_text=True)
        assert said in html and f'name="user_id" value="{typed}"' in html
    with db() as s:
        assert s.get(Task, task_id).state == "approved"


def test_bulk_approval_takes_only_clean_cases_each_audited(logged_in, db):
    with unit_of_work(db) as s:
        ok = [seed.task(s, n, last=f"Ren{n}").id for n in (11, 12)]
        warned = seed.task(s, 14, last="Merknad", findings=[WARNING]).id
        bad = seed.task(s, 13, last="Feil", findings=[BLOCKING]).id
    html = logged_in.get("/?status=review").get_data(as_text=True)
    boxes = re.findall(r'name="sak" value="(\d+):\d+"', html)
    assert sorted(int(b) for b in boxes) == sorted(ok)  # a case with any finding cannot be ticked
    picked = re.findall(r'name="sak" value="(\d+:\d+)"', html) + [f"{bad}:1", f"{warned}:1"]
    resp = logged_in.post("/godkjenn-valgte?status=review", data={"csrf_token": csrf_token(html), "sak": picked},
                          follow_redirects=True)
    text = resp.get_data(as_text=True)
    assert "2 saker er godkjent" in text and "kan ikke godkjennes sammen med andre" in text
    with db() as s:
        assert [s.get(Task, i).state for i in (*ok, bad, warned)] == ["approved", "approved", "review", "review"]
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "task.approve")))
    assert len(events) == 2 and all(e.details.get("bulk") for e in events)


def test_export_csv_has_the_clis_columns(logged_in, db):
    from pipeline.queries.export import EXPORT_COLUMNS

    with unit_of_work(db) as s:
        seed.task(s, 14, first="Åse", last="Ødegård", state="approved")
        seed.task(s, 15, last="Venter", state="review")
    assert "CSV for skript" in logged_in.get("/?status=approved").get_data(as_text=True)
    assert "CSV for skript" not in logged_in.get("/?status=review").get_data(as_text=True)
    resp = logged_in.get("/eksport.csv?status=approved")
    assert resp.mimetype == "text/csv" and resp.headers["Content-Disposition"].startswith('attachment; filename="godkjente-')
    assert not resp.get_data().startswith(b"\xef\xbb\xbf")  # the scripts' contract: no BOM
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [(r["case_ref"], r["last_name"], r["action"], r["mottaksnummer"]) for r in rows] == [
        ("2026-00014", "Ødegård", "opprett", "0101")]


# A centre listed twice on the form (kept by an override), a mottaksnummer with a leading zero, a +47 mobile,
# and a name that a spreadsheet would take for a formula.
_TWICE = (("Dale asylmottak", "0501", "Dale asylmottak"), ("Eid mottak", "0509", "Eid mottak"),
          ("Dale", "0501", "Dale asylmottak"))


def test_the_export_opens_in_norwegian_excel(logged_in, db):
    """The .xlsx and the Excel CSV, read as Excel reads them: columns apart, æøå intact, numbers as text,
    Norwegian headers, each centre once."""
    import openpyxl

    with unit_of_work(db) as s:
        seed.task(s, 15, first="Kåre", last="Grønlie", mobile="+4791234515", state="approved", centres=_TWICE)
        seed.task(s, 16, first="=HYPERLINK(\"x\")", last="Ødegård", state="approved",
                  centres=(("Vik", "0606", "Vik mottak"),))
    html = logged_in.get("/?status=approved").get_data(as_text=True)
    assert "Last ned for Excel (.xlsx)" in html and "CSV for Excel" in html

    resp = logged_in.get("/eksport.xlsx?status=approved")
    assert resp.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(resp.get_data())).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][:3] == ["Saksnummer", "Handling", "Bruker-ID"] and "Mottaksnummer" in rows[0]
    by = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by["2026-00015"]["Mottaksnummer"] == "0501, 0509"  # no centre twice
    assert by["2026-00015"]["Mobil"] == "+4791234515" and by["2026-00015"]["Etternavn"] == "Grønlie"
    assert by["2026-00016"]["Mottaksnummer"] == "0606"
    cells = {c.value: c for r in sheet.iter_rows(min_row=2) for c in r if c.value}
    assert all(c.data_type == "s" and c.number_format == "@" for c in cells.values())  # text, never a formula
    assert cells["0606"].data_type == "s" and cells['=HYPERLINK("x")'].data_type == "s"

    raw = logged_in.get("/eksport.csv?status=approved&format=excel").get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads æøå as UTF-8
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0].split(";")[:3] == ["Saksnummer", "Handling", "Bruker-ID"]
    table = list(csv.reader(lines[1:-1], delimiter=";"))
    head = lines[0].split(";")
    first = dict(zip(head, table[0], strict=True))
    assert first["Etternavn"] == "Grønlie" and first["Mobil"] == '="+4791234515"'
    assert first["Mottaksnummer"] == '="0501, 0509"' and first["Mottak"] == "Dale asylmottak, Eid mottak"


def test_saved_views_and_the_polled_counts(logged_in, db):
    with unit_of_work(db) as s:
        seed.task(s, 16, last="Hansen")
    resp = logged_in.post("/ko/visninger", data={"csrf_token": _token(logged_in), "name": "Hansen til vurdering",
                                                 "status": "review", "q": "hansen"}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "Visningen «Hansen til vurdering» er lagret." in html
    assert 'href="/?status=review&amp;q=hansen">Hansen til vurdering</a>' in html
    pulse = logged_in.get("/ko/puls.json").get_json()
    assert pulse["counts"] == {"review": 1} and pulse["open"] == 1 and pulse["newest"] >= 1 and pulse["mine"] == 0


def test_search_anywhere_in_a_word_and_whatever_the_spelling(logged_in, db):
    with unit_of_work(db) as s:
        seed.task(s, 17, first="Åse", last="Ødegård", centres=[("Dale asylmottak", "1103", "Dale asylmottak")],
                  sender="post@vestvik-asyl.no")
        seed.task(s, 18, first="Per", last="Hansen", centres=[("Askim", "0101", "Askim asylmottak")])

    def hits(q: str) -> set[str]:
        html = logged_in.get("/", query_string={"q": q, "status": "alle"}).get_data(as_text=True)
        return {n for n in ("Ødegård", "Hansen") if f">{n}<" in html or f" {n}</a>" in html}

    assert hits("odegard") == hits("Ødegaard") == hits("ødegård") == hits("DEGÅR") == {"Ødegård"}
    assert hits("aase") == {"Ødegård"}
    assert hits("asylmottak") == {"Ødegård", "Hansen"}  # inside a word, in both
    assert hits("ansen") == {"Hansen"}
    assert hits("vestvik") == {"Ødegård"}  # the sender
    assert hits("skjema for per") == {"Hansen"}  # the subject's words
    assert hits("fjordtun") == {"Ødegård", "Hansen"}  # the driftsoperatør
    assert hits("1103") == {"Ødegård"}


def test_findings_speak_to_the_operator_and_codes_stay_under_technical_details(logged_in, db, reference_dir):
    from tests.web.test_browser import load_registry

    with unit_of_work(db) as s:
        load_registry(s, reference_dir)
        task_id = seed.task(s, 19, centres=[("Askim asylmottak", "0101", "Askim asylmottak")],
                            findings=[WARNING, {"code": "centre.unknown", "field": "centres",
                                                "message_no": "Vi fant ikke mottaket.", "details": {
                                                    "written": "Askim asylmottak", "index": 0, "suggestions": [
                                                        {"mottaksnummer": "1103", "name": "Dale asylmottak"}]}}]).id
    html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    # The administrators who fill the seats, by name; the company that runs the suggested centre.
    assert re.search(r"Askim asylmottak \(0101\) har allerede 2 mottaksadministratorer: [^<]*\(bruker U\d+\)", html)
    assert "drives av" in html
    visible = re.sub(r"<details class=\"tech.*?</details>", "", html, flags=re.S)
    assert "centre.admin_limit" not in visible and "centre.unknown" not in visible
    assert "centre.admin_limit" in html  # under "Tekniske detaljer"


def test_a_removal_case_shows_the_user_and_the_centres_whose_role_ends(logged_in, db):
    from pipeline.adapters.db.models import RegistryUser

    with unit_of_work(db) as s:
        s.add(RegistryUser(user_id="U10002", first_name="Sigrid", last_name="Grønlie", email="s@x.no",
                           mobile="+4748347292"))
        t = seed.task(s, 20, first="Sigrid", last="Grønlie", state="approved",
                      centres=[("Askim asylmottak", "0101", "Askim asylmottak")])
        t.kind, t.user_id = "removal", "U10002"
        task_id = t.id
    html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert "Fjern tilgang for Sigrid Grønlie" in html and "Rollen Mottaksadministrator fjernes ved" in html
    assert "Askim asylmottak" in html and "U10002" in html
    # The decision bar offers the removal's own step, without a user id to type.
    assert "Merk som fjernet i IMDinett" in html and 'name="user_id"' not in html.split('class="decision"')[1].split("</section>")[0]
    assert "Fjern tilgang" in logged_in.get("/?status=approved").get_data(as_text=True)
