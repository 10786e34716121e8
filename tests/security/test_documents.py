"""Documents shown safely: a PDF that carries JavaScript never reaches the operator's browser as a PDF
(its pages come as pictures, the file itself only as a sandboxed download), and a Word form is read
for the case page once, not on every view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select, update

from pipeline.adapters.db.models import Attachment, Rendering, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.forms import word_view
from pipeline.usecases.ingest import ingest_message
from tests.mail.builders import DOCX_TYPE
from tests.security import hostile

# Every value a GET route of the app may take, for walking all of them on one case.
ROUTE_VALUES = ("task_id", "number", "message_id")


def _every_get(app: Flask, values: dict[str, int]) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        unknown = set(rule.arguments) - set(values)
        assert not unknown, f"{rule.rule}: a route with {unknown}: give this test a value for it"
        urls.append(rule.build({k: values[k] for k in rule.arguments})[1])  # type: ignore[index]
    return urls


def test_a_pdf_with_javascript_is_never_served_inline(app, logged_in, db, settings, registry):
    msg = ingest_message(db, hostile.scripted_pdf_mail(), source=None, settings=settings)
    with db() as s:
        task = s.scalars(select(Task)).one()
        data = s.scalar(select(Attachment.data).where(Attachment.id == task.attachment_pk))
    assert data is not None and b"/OpenAction" in data and b"/JavaScript" in data  # the hostile file itself
    page = logged_in.get(f"/oppgave/{task.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Even" in html
    # The pages are pictures drawn on the server; nothing on the page can show a PDF.
    assert f"/oppgave/{task.id}/side/1.png" in html
    for tag in ("<iframe", "<object", "<embed", "<frame"):
        assert tag not in html.lower()
    csp = page.headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "frame-src 'none'" in csp
    served_pdf = []
    for url in _every_get(app, {"task_id": task.id, "number": 1, "message_id": msg.id}):
        resp = logged_in.get(url)
        body = resp.get_data()
        if resp.mimetype == "application/pdf" or body.lstrip()[:5] == b"%PDF-":
            served_pdf.append(url)
            # Only as a download, and even opened in place it is sandboxed: no script, no plugin.
            assert resp.headers["Content-Disposition"].startswith("attachment;"), url
            assert "sandbox" in resp.headers["Content-Security-Policy"], url
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert served_pdf == [f"/oppgave/{task.id}/dokument"]
    picture = logged_in.get(f"/oppgave/{task.id}/side/1.png")
    assert picture.mimetype == "image/png" and picture.get_data()[:8] == b"\x89PNG\r\n\x1a\n"


def _word_case(db, settings) -> int:  # type: ignore[no-untyped-def]
    raw = hostile.message(from_header=f"Kari Berg <{hostile.CASE_SENDER}>", subject="Skjema med vedlegg",
                          auth=hostile.auth_results("fjellbu.no"), message_id="<big@fjellbu.no>",
                          attachments=(("Skjema - Jonas.docx", hostile.big_word_form(), DOCX_TYPE),))
    msg = ingest_message(db, raw, source=None, settings=settings)
    assert msg.outcome == "queued", msg.outcome
    with db() as s:
        return s.scalars(select(Task.id)).one()


def test_a_word_form_is_read_for_the_case_page_once_not_on_every_view(logged_in, db, settings, registry):
    task_id = _word_case(db, settings)
    first = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert "Jonas" in first and "Fjellbu Mottak AS" in first
    # A 16 MB document.xml: the page shows the form and the beginning, not sixteen megabytes.
    assert word_view.WORD_CUT in first and len(first) < 1_000_000
    with db() as s:
        stored = s.scalars(select(Rendering)).one()
        assert stored.renderer == word_view.WORD_BLOCKS and stored.content.get("cut") is True
        # The file's bytes are replaced behind the page's back: a page read from the file would change.
        s.execute(update(Attachment).where(Attachment.id == stored.attachment_id).values(data=b"PK\x03\x04 broken"))
        s.commit()
    for _ in range(3):
        again = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
        assert "Jonas" in again and "kunne ikke vises" not in again
    with db() as s:
        assert len(s.scalars(select(Rendering)).all()) == 1


def test_a_word_form_that_cannot_be_read_costs_one_attempt(logged_in, db, settings, registry):
    task_id = _word_case(db, settings)
    with unit_of_work(db) as s:
        attachment_id = s.scalar(select(Task.attachment_pk).where(Task.id == task_id))
        s.execute(update(Attachment).where(Attachment.id == attachment_id).values(data=b"PK\x03\x04 broken"))
    assert "kunne ikke vises" in logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    with db() as s:
        assert s.scalars(select(Rendering.content)).one()["error"]
    assert "kunne ikke vises" in logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)


def test_retention_purges_the_rendering_with_the_file(logged_in, db, settings, registry):
    from pipeline.usecases import retention

    task_id = _word_case(db, settings)
    assert word_view.WORD_CUT in logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    with unit_of_work(db) as s:
        s.execute(update(Task).values(state="provisioned"))
    retention.purge(db, older_than=timedelta(days=180), now=datetime.now(UTC) + timedelta(days=200))
    with db() as s:
        assert s.scalars(select(Rendering)).all() == []
        assert s.scalar(select(Attachment.data).where(Attachment.id == s.scalar(select(Task.attachment_pk)))) is None
    assert word_view.WORD_CUT not in logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    with db() as s:
        assert s.scalars(select(Rendering)).all() == []  # nothing to render from, nothing made again


def test_a_word_form_cut_short_for_time_is_read_again_later(app, logged_in, db, settings, registry):
    from dataclasses import replace

    from pipeline.core.clock import now_utc
    from pipeline.core.second_try import RETRY_AFTER

    task_id = _word_case(db, settings)
    shown = app.config["PIPELINE_SETTINGS"]
    app.config["PIPELINE_SETTINGS"] = replace(shown, limits=replace(shown.limits, parse_seconds=0.0))
    busy = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    app.config["PIPELINE_SETTINGS"] = shown
    assert "kunne ikke vises her nå" in busy and "prøver igjen om litt" in busy and word_view.WORD_CUT not in busy
    with db() as s:
        assert s.scalars(select(Rendering.content)).one()["error"] == "limit.exceeded"
    # At once: still the stored failure, no second try.
    assert "prøver igjen om litt" in logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    with unit_of_work(db) as s:
        s.execute(update(Rendering).values(created_at=now_utc() - RETRY_AFTER - timedelta(minutes=1)))
    later = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert word_view.WORD_CUT in later and "kunne ikke vises" not in later
    with db() as s:
        assert s.scalars(select(Rendering.content)).one().get("cut") is True
