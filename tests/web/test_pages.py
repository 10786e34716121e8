"""The queue, task, messages and registry pages, through Flask's test client."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from sqlalchemy import select

from pipeline.adapters.db.models import (
    Attachment,
    Message,
    RegistryCentre,
    RegistryOperator,
    RegistryUser,
    RegistryUserRole,
)
from pipeline.adapters.db.session import unit_of_work
from tests.web import seed

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx(paragraphs: list[str], table: list[list[str]]) -> bytes:
    def p(text: str) -> str:
        return f"<w:p><w:r><w:t xml:space='preserve'>{escape(text)}</w:t></w:r></w:p>"

    rows = "".join("<w:tr>" + "".join(f"<w:tc>{p(c)}</w:tc>" for c in r) + "</w:tr>" for r in table)
    xml = (f"<?xml version='1.0' encoding='UTF-8'?><w:document xmlns:w='{W}'><w:body>"
           + "".join(p(t) for t in paragraphs) + f"<w:tbl>{rows}</w:tbl></w:body></w:document>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", xml)
    return buf.getvalue()


def test_an_applicant_named_like_a_script_shows_as_text(logged_in, db):
    with unit_of_work(db) as s:
        t = seed.task(s, 1, first="<script>alert(1)</script>", last="<img src=x onerror=alert(2)>",
                      email="x@fjordtun-mottak.no")
        task_id = t.id
    for path in ("/", f"/oppgave/{task_id}", "/meldinger"):
        html = logged_in.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html, path
        assert "<img src=x" not in html, path
    html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_queue_counts_filters_and_sorts_oldest_first(logged_in, db):
    now = datetime.now(UTC)
    with unit_of_work(db) as s:
        seed.task(s, 1, first="Åse", last="Ødegård", state="needs_info", created_at=now - timedelta(days=3))
        seed.task(s, 2, first="Per", last="Hansen", state="review", created_at=now - timedelta(days=5))
        seed.task(s, 3, first="Liv", last="Berg", state="provisioned", created_at=now - timedelta(days=9))
    html = logged_in.get("/").get_data(as_text=True)
    assert "Åpne <b>2</b>" in html and "Mangler opplysninger <b>1</b>" in html
    assert html.index("Hansen") < html.index("Ødegård")  # oldest first
    assert "Berg" not in html  # provisioned is not open
    html = logged_in.get("/?sortering=nyeste").get_data(as_text=True)
    assert html.index("Ødegård") < html.index("Hansen")
    html = logged_in.get("/?tilstand=provisioned").get_data(as_text=True)
    assert "Berg" in html and "Hansen" not in html
    assert "Berg" in logged_in.get("/?tilstand=alle").get_data(as_text=True)


def test_queue_search_by_name_email_mobile_centre_and_case(logged_in, db):
    with unit_of_work(db) as s:
        seed.task(s, 1, first="Åse", last="Ødegård", mobile="+4791234567", email="ase.odegard@vestvik-asyl.no",
                  centres=[("Dale mottak", None, None)])
        seed.task(s, 2, first="Per", last="Hansen", mobile="+4748000002",
                  centres=[("Askim", "0101", "Askim asylmottak")])

    def hits(q: str) -> set[str]:
        html = logged_in.get("/", query_string={"q": q}).get_data(as_text=True)
        return {n for n in ("Ødegård", "Hansen") if n in html}

    assert hits("ødegård") == {"Ødegård"}
    assert hits("Åse") == {"Ødegård"}
    assert hits("hans") == {"Hansen"}
    assert hits("ase.odegard@") == {"Ødegård"}
    assert hits("912 34 567") == {"Ødegård"}
    assert hits("+47480") == {"Hansen"}
    assert hits("0101") == {"Hansen"}
    assert hits("askim asyl") == {"Hansen"}
    assert hits("dale") == {"Ødegård"}
    assert hits("2026-00002") == {"Hansen"}
    assert hits("per hansen") == {"Hansen"}
    # Several words: each must match some field, in any order (name and centre mixed).
    assert hits("hansen per") == {"Hansen"}
    assert hits("åse dale") == {"Ødegård"}
    assert hits("per ødegård") == set()
    assert hits("zzz") == set()
    # Odd input is no error: the last possible character, the one before the surrogates, SQL wildcards.
    for odd in ("a\U0010ffff", "a\ud7ff", "%", "_", "' OR 1=1 --", "ø" * 300, "a\x00b"):
        for path in ("/", "/meldinger", "/register"):
            assert logged_in.get(path, query_string={"q": odd}).status_code == 200


def test_queue_many_word_search_falls_back_to_subqueries_for_many_hits(logged_in, db, monkeypatch):
    from pipeline.queries import queue as queue_query

    with unit_of_work(db) as s:
        seed.task(s, 1, first="Per", last="Hansen", mobile="+4748000001", centres=[("Askim", "0101", "Askim asylmottak")])
        seed.task(s, 2, first="Per", last="Berg", mobile="+4748000002", centres=[("Dale mottak", None, None)])
    # A few hits: a list of ids; more: the database reads a trigram's postings; a common word: the
    # database checks the text in queue order. The answer is the same.
    for few, in_list, postings in ((200, 2000, 20000), (0, 0, 20000), (0, 0, 0)):
        monkeypatch.setattr(queue_query, "_COUNTS", {})
        monkeypatch.setattr(queue_query, "_FEW", few)
        monkeypatch.setattr(queue_query, "_IN_LIST_MAX", in_list)
        monkeypatch.setattr(queue_query, "_POSTINGS_MAX", postings)
        html = logged_in.get("/", query_string={"q": "per hansen"}).get_data(as_text=True)
        assert "Hansen" in html and "Berg" not in html
        html = logged_in.get("/", query_string={"q": "askim asylmottak"}).get_data(as_text=True)
        assert "Hansen" in html and "Berg" not in html


def test_queue_paginates(logged_in, db):
    with unit_of_work(db) as s:
        for n in range(1, 121):
            seed.task(s, n, first="Test", last=f"Person{n:03d}")
    page1 = logged_in.get("/").get_data(as_text=True)
    assert "Side 1 av 3" in page1 and "Person001" in page1 and "Person051" not in page1
    page3 = logged_in.get("/?side=3").get_data(as_text=True)
    assert "Person120" in page3 and "Person001" not in page3
    # Past the end: an empty page, not an error; nonsense is page 1.
    assert logged_in.get("/?side=99").status_code == 200
    assert "Person001" in logged_in.get("/?side=abc").get_data(as_text=True)


def test_task_page_shows_fields_findings_suggestions_and_history(logged_in, db):
    with unit_of_work(db) as s:
        seed.task(s, 99, first="Kari", last="Holder", mobile="+4791234567", state="review")
        s.add(RegistryUser(user_id="U77777", first_name="Knut", last_name="Eier", email="knut@example.no",
                           mobile="+4791234567"))
        t = seed.task(s, 1, first="Åse", last="Ødegård", mobile="+4791234567", state="needs_info",
                      centres=[("Dale mottak", None, None)],
                      findings=[{"code": "centre.unknown", "field": "centres", "message_no": "Vi fant ikke mottaket.",
                                 "details": {"written": "Dale mottak",
                                             "suggestions": [{"mottaksnummer": "1204", "name": "Dale asylmottak"}]}},
                                {"code": "mobile.duplicate", "field": "applicant.mobile",
                                 "message_no": "Mobilnummeret er allerede i bruk.",
                                 "details": {"holder": {"user_id": "U77777", "name": "Knut Eier"}}}],
                      reply=("Vi trenger flere opplysninger", "Hei!\n\nVi fant ikke mottaket «Dale mottak»."))
        task_id = t.id
        from pipeline.adapters.db import audit
        audit.record(s, "system", "task.opened", "task", task_id, {"state": "needs_info"})
    html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert "Sak 2026-00001" in html and "Mangler opplysninger" in html
    assert "Dale asylmottak" in html and "1204" in html  # the suggestion
    assert "U77777" in html and "Knut" in html  # who holds the mobile
    assert "2026-00099" in html  # the other pending task with this mobile
    assert "tabellcelle: tabell 1, rad 8, celle 2" in html or "tabellcelle" in html
    assert "Godkjenn med overstyring" in html and "Avslå" in html and "Be om opplysninger" in html
    assert "Vi fant ikke mottaket «Dale mottak»." in html  # the draft, editable
    # history: an action the table does not know is an event, never its code
    assert "task.opened" not in html and "Hendelse" in html and "Status: Mangler opplysninger" in html


def test_no_pdf_reaches_the_browser_and_docx_shows_as_its_tables(logged_in, db):
    pdf = b"%PDF-1.4\n%fake but enough for the header sniff\n"
    docx = _docx(["Skjema om mottaksadministrativ bruker i IMDinett mottak", "<b>ikke html</b>"],
                 [["Fornavn", "Åse"], ["Etternavn", "Ødegård"]])
    with unit_of_work(db) as s:
        t1 = seed.task(s, 1, attachment=("skjema.pdf", pdf))
        # Where the reader found the first name: page 1 of the PDF, with its box.
        t1.reading = {**t1.reading, "source": {**t1.reading["source"], "provenance": {
            "applicant.first_name": {"kind": "table_cell", "page": 1, "table": 0, "row": 3, "cell": 1,
                                     "bbox": [200.0, 300.5, 400.0, 320.0]}}}}
        t2 = seed.task(s, 2, attachment=("skjema \"rart\".docx", docx))
        ids = t1.id, t2.id
    html = logged_in.get(f"/oppgave/{ids[0]}").get_data(as_text=True)
    # No frame, no object, no inline PDF: a broken PDF is said to be so, and can be downloaded.
    assert "<iframe" not in html and "dokument.pdf" not in html
    assert "Sidene kunne ikke vises her (skadet fil)" in html
    assert logged_in.get(f"/oppgave/{ids[0]}/dokument.pdf").status_code == 404
    resp = logged_in.get(f"/oppgave/{ids[0]}/dokument")
    assert resp.headers["Content-Disposition"].startswith("attachment;") and resp.data == pdf
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    html = logged_in.get(f"/oppgave/{ids[1]}").get_data(as_text=True)
    # The Word form as its table, cell by cell, not as flat text.
    assert "<td id=\"docx-t0-r0-c1\" data-key=\"docx-t0-r0-c1\" class=\"\">Åse</td>" in html
    assert "Fornavn | Åse" not in html and "&lt;b&gt;ikke html&lt;/b&gt;" in html
    assert "<svg" not in html
    resp = logged_in.get(f"/oppgave/{ids[1]}/dokument")
    assert resp.headers["Content-Disposition"] == 'attachment; filename="skjema _rart_.docx"'
    assert resp.data == docx


def test_messages_page_shows_outcomes_and_attachment_codes(logged_in, db):
    with unit_of_work(db) as s:
        m = Message(sha256="a" * 64, sender="ukjent@example.no", subject="Fraværsmelding", raw=b"x", size=1,
                    outcome="auto_reply")
        m2 = Message(sha256="b" * 64, sender="liv@nordlysomsorg.no", subject="Skjema", raw=b"x", size=1,
                     outcome="unreadable")
        s.add_all([m, m2])
        s.flush()
        s.add(Attachment(message_pk=m2.id, filename="skjema.pdf", size=3, data=b"abc", code="unreadable.encrypted",
                         error_message="password protected"))
    html = logged_in.get("/meldinger").get_data(as_text=True)
    assert "Automatisk svar" in html and "Passordbeskyttet" in html and "Kjør på nytt" in html
    # What it means in Norwegian; the reader's English text only as the technical detail.
    assert "Be om skjemaet uten passord." in html and "Teknisk: password protected" in html
    html = logged_in.get("/meldinger?utfall=auto_reply").get_data(as_text=True)
    assert "Fraværsmelding" in html and "nordlysomsorg" not in html
    assert "nordlysomsorg" in logged_in.get("/meldinger?q=liv@").get_data(as_text=True)


def test_registry_page_lists_centres_admins_and_pending_tasks(logged_in, db):
    with unit_of_work(db) as s:
        s.add(RegistryOperator(operator_id="DRO1007", name="Fjordtun Mottaksdrift AS", orgnr="843526462",
                               email_domain="fjordtun-mottak.no"))
        s.flush()
        s.add(RegistryCentre(mottaksnummer="0101", name="Askim asylmottak", name_key="askim asylmottak",
                             kind="ordinaer", operator_id="DRO1007", active=True))
        s.add(RegistryCentre(mottaksnummer="0103", name="Rakkestad asylmottak", name_key="rakkestad asylmottak",
                             kind="ordinaer", operator_id="DRO1007", active=False))
        s.add(RegistryUser(user_id="U10002", first_name="Sigrid", last_name="Grønlie", email="s@x.no",
                           mobile="+4748347292"))
        s.flush()
        s.add(RegistryUserRole(user_id="U10002", role="Mottaksadministrator", mottaksnummer="0101"))
        seed.task(s, 5, first="Per", last="Hansen")
    html = logged_in.get("/register").get_data(as_text=True)
    assert "Askim asylmottak" in html and "Grønlie" in html and "2026-00005" in html
    assert "Fjordtun Mottaksdrift AS" in html and "kari.saksbehandler" in html
    html = logged_in.get("/register?aktiv=nei").get_data(as_text=True)
    assert "Rakkestad" in html and "Askim asylmottak</td>" not in html
    assert "Rakkestad" not in logged_in.get("/register?q=askim").get_data(as_text=True)
    with db() as s:
        assert s.scalar(select(RegistryCentre.name).where(RegistryCentre.mottaksnummer == "0101"))


def _retry(client, message_id: int) -> str:  # type: ignore[no-untyped-def]
    from tests.web.conftest import csrf_token

    token = csrf_token(client.get("/meldinger").get_data(as_text=True))
    resp = client.post(f"/meldinger/{message_id}/kjor-paa-nytt", data={"csrf_token": token},
                       follow_redirects=True)
    return resp.get_data(as_text=True)


def test_run_again_refuses_a_message_that_made_a_task(logged_in, db):
    with unit_of_work(db) as s:
        t = seed.task(s, 1)
        message_id = t.message_pk
    html = _retry(logged_in, message_id)
    assert "kan ikke kjøres på nytt" in html


def test_run_again_queues_the_mail_for_the_worker_and_logs_who_asked(logged_in, db, settings):
    """Nothing is read in the web process (a hostile mail would cost it memory and time): the message
    goes back to the worker, which reads it in its next cycle."""
    raw = ("From: Liv Bakken <liv.bakken@nordlysomsorg.no>\r\nTo: post@imdi.no\r\nSubject: Spørsmål\r\n"
           "Message-ID: <q1@nordlysomsorg.no>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0100\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nHei, når kommer svaret?\r\n").encode()
    import hashlib

    with unit_of_work(db) as s:
        m = Message(sha256=hashlib.sha256(raw).hexdigest(), sender="liv.bakken@nordlysomsorg.no",
                    subject="Spørsmål", raw=raw, size=len(raw), outcome="failed", error="boom", attempts=3)
        s.add(m)
        s.flush()
        message_id = m.id
    html = _retry(logged_in, message_id)
    assert "Meldingen er lagt i kø" in html
    with db() as s:
        from pipeline.adapters.db.models import AuditEvent

        queued = s.get(Message, message_id)
        assert (queued.outcome, queued.attempts, queued.error) == (None, 0, None)
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "message.retry_queued")))
    assert [e.actor for e in events] == ["kari.saksbehandler"]
    from pipeline.usecases.ingest import retry_pending

    assert [r.message.outcome for r in retry_pending(db, settings=settings)] == ["no_form"]


def test_the_blank_form_docx_shows_as_text_and_a_broken_one_does_not_break_the_page(logged_in, db, reference_dir):
    blank = (reference_dir / "forms" / "mottaksadministrator-blank.docx").read_bytes()
    with unit_of_work(db) as s:
        good = seed.task(s, 1, attachment=("skjema.docx", blank)).id
        bad = seed.task(s, 2, attachment=("skjema.docx", b"PK\x03\x04" + b"\x00" * 200)).id
    html = logged_in.get(f"/oppgave/{good}").get_data(as_text=True)
    assert 'class="docx"' in html and "Mobiltelefonnummer" in html and '<table class="docx-table' in html
    html = logged_in.get(f"/oppgave/{bad}").get_data(as_text=True)
    assert "Dokumentet kunne ikke vises her" in html


def test_queue_shows_errors_and_warnings_per_task(logged_in, db):
    with unit_of_work(db) as s:
        seed.task(s, 1, last="Feilsen", findings=[
            {"code": "mobile.duplicate", "field": "applicant.mobile", "message_no": "I bruk."},
            {"code": "centre.admin_limit", "field": "centres", "severity": "warning", "message_no": "Mange."},
            {"code": "form.duplicate", "field": None, "severity": "warning", "message_no": "Sendt før."}])
    html = logged_in.get("/").get_data(as_text=True)
    assert "1 feil" in html and "2 merknader" in html


def test_a_pdfs_pages_are_pictures_with_each_values_box_tied_to_its_row(logged_in, db, reference_dir):
    pdf = (reference_dir / "forms" / "mottaksadministrator-blank.pdf").read_bytes()
    with unit_of_work(db) as s:
        t = seed.task(s, 1, attachment=("skjema.pdf", pdf))
        # Where the reader found the first name: page 1 of the PDF, with its box.
        t.reading = {**t.reading, "source": {**t.reading["source"], "provenance": {
            "applicant.first_name": {"kind": "table_cell", "page": 1, "table": 0, "row": 3, "cell": 1,
                                     "bbox": [200.0, 300.5, 400.0, 320.0]}}}}
        task_id = t.id
    html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert f'href="/oppgave/{task_id}/side/1.png"' in html
    # The reader's box (200, 300.5)-(400, 320), framed with a little margin.
    assert re.search(r'<rect class="box" data-field="applicant.first_name"\s+x="198.5" y="299.0"', html)
    assert 'id="felt-applicant.first_name"\n        data-field="applicant.first_name"' in html  # its row
    assert "side 1" in html and "side 2" not in html  # page numbers as people count them
    resp = logged_in.get(f"/oppgave/{task_id}/side/1.png")
    assert resp.status_code == 200 and resp.mimetype == "image/png" and resp.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_second_app_takes_the_compiled_pages_and_a_changed_page_is_compiled_anew(app, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """pipeline/entrypoints/web/template_code.py: one compile of a page per process, however many apps."""
    from dataclasses import replace

    from jinja2 import Environment, FileSystemLoader

    from pipeline.entrypoints.web import create_app
    from pipeline.entrypoints.web.template_code import TEMPLATE_CODE

    compiled: list[str | None] = []
    real = Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[no-untyped-def]
        compiled.append(name)
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(Environment, "compile", counting)
    with app.app_context():
        app.jinja_env.get_template("login.html")
    second = create_app(replace(app.config["PIPELINE_SETTINGS"]), session_factory=None)
    with second.app_context():
        second.jinja_env.get_template("login.html")
    assert compiled.count("login.html") <= 1  # at most the first app's (none when an earlier test compiled it)
    # The same name with other source: compiled anew, not the kept code.
    (tmp_path / "login.html").write_text("annen side", encoding="utf-8")
    other = Environment(loader=FileSystemLoader(tmp_path), bytecode_cache=TEMPLATE_CODE)
    assert other.get_template("login.html").render() == "annen side"
