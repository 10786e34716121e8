"""The case page's page pictures: drawn once per attachment, served behind the login, each value framed."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from pipeline.adapters.db.models import PageImage
from pipeline.adapters.db.session import unit_of_work
from tests.web import seed

PNG = b"\x89PNG\r\n\x1a\n"


def _count(db) -> int:  # type: ignore[no-untyped-def]
    with db() as s:
        return s.scalar(select(func.count(PageImage.id))) or 0


def test_a_pdf_is_drawn_once_and_its_fields_framed_on_the_page(logged_in, db):
    with unit_of_work(db) as s:
        task_id = seed.read_task(s, 1, "pdf-word-basic").id
    assert _count(db) == 0  # a PDF is drawn on the first view, not at ingest
    html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert _count(db) == 2  # both pages
    assert f'<image href="/oppgave/{task_id}/side/1.png"' in html
    assert f'<image href="/oppgave/{task_id}/side/2.png"' in html
    # A frame per value on page 1, in the page's points (A4: 595 x 842), the mobile's where the form has it.
    mobile = re.search(r'<rect class="box" data-field="applicant.mobile"\s+x="([\d.]+)" y="([\d.]+)"', html)
    assert mobile is not None
    x, y = float(mobile.group(1)), float(mobile.group(2))
    assert 200 < x < 260 and 370 < y < 400
    assert html.count('<rect class="box" data-field="centres"') == 2 and 'data-index="1"' in html
    assert 'viewBox="0 0 595.3 841.89"' in html
    # "side 1" for a value on page 1 (the reading counts pages from 1).
    assert "side 1, tabell 1, rad" in html and "side 2, tabell" not in html
    resp = logged_in.get(f"/oppgave/{task_id}/side/1.png")
    assert resp.status_code == 200 and resp.mimetype == "image/png" and resp.data.startswith(PNG)
    assert resp.headers["Cache-Control"] == "no-store"
    assert logged_in.get(f"/oppgave/{task_id}/side/7.png").status_code == 404
    # Seen again: nothing drawn again.
    with db() as s:
        before = sorted(s.execute(select(PageImage.id, PageImage.created_at)).all())
    logged_in.get(f"/oppgave/{task_id}")
    logged_in.get(f"/oppgave/{task_id}/side/2.png")
    with db() as s:
        assert sorted(s.execute(select(PageImage.id, PageImage.created_at)).all()) == before


def test_the_picture_is_drawn_when_asked_for_before_the_case_page(logged_in, db):
    with unit_of_work(db) as s:
        task_id = seed.read_task(s, 1, "pdf-fillable").id
    resp = logged_in.get(f"/oppgave/{task_id}/side/1.png")
    assert resp.status_code == 200 and resp.data.startswith(PNG)
    html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert 'data-field="applicant.email"' in html and "PDF-skjemafelt: side 1" in html


def test_a_file_that_cannot_be_drawn_is_tried_once(logged_in, db):
    with unit_of_work(db) as s:
        task_id = seed.task(s, 1, attachment=("skjema.pdf", b"%PDF-1.4\n%not really\n")).id
    for _ in range(2):
        html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
        assert "Sidene kunne ikke vises her (skadet fil)" in html
    with db() as s:
        assert s.execute(select(PageImage.page, PageImage.error)).all() == [(0, "unreadable.corrupt")]
    assert logged_in.get(f"/oppgave/{task_id}/side/1.png").status_code == 404


def test_a_word_form_has_no_pictures(logged_in, db):
    with unit_of_work(db) as s:
        task_id = seed.read_task(s, 1, "docx-plain").id
    html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert "<svg" not in html and _count(db) == 0
    assert logged_in.get(f"/oppgave/{task_id}/side/1.png").status_code == 404


OCR_FINDING = [{"code": "form.ocr", "message_no": "Skjemaet kom som et skannet bilde.",
                "message_en": "read by OCR"}]


def test_an_ocr_case_shows_the_page_as_read_marks_unsure_values_and_is_confirmed_before_approval(logged_in, db):
    from tests.web.conftest import csrf_token

    with unit_of_work(db) as s:
        task_id = seed.read_task(s, 1, "scan-jpeg-150dpi-tilted", findings=OCR_FINDING).id
    assert _count(db) == 1  # the picture came with the reading: nothing to draw on the view
    html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert _count(db) == 1
    assert "slik maskinlesingen (OCR) så dem" in html
    # The e-mail addresses' "@" is misread and repaired: their words were read with little confidence.
    assert re.search(r'<rect class="box low" data-field="applicant.email"', html)
    assert re.search(r'<rect class="box" data-field="applicant.first_name"', html)
    assert html.count("usikker lesing</span>") >= 2
    assert "maskinlest (OCR): side 1, tabell 1, rad" in html
    assert "Bekreft opplesningen" in html and "Saken kan godkjennes når opplesningen er bekreftet." in html
    assert 'action="/oppgave/1/godkjenn"' not in html
    token = csrf_token(html)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
    resp = logged_in.post(f"/oppgave/{task_id}/bekreft-opplesningen",
                          data={"csrf_token": token, "version": version}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "Opplesningen er bekreftet." in html and "Opplesningen bekreftet av Kari Saksbehandler" in html
    assert "Bekreft opplesningen</button>" not in html and f'action="/oppgave/{task_id}/godkjenn"' in html
    resp = logged_in.post(f"/oppgave/{task_id}/godkjenn", data={"csrf_token": token}, follow_redirects=True)
    assert "Sak 2026-00001 er godkjent." in resp.get_data(as_text=True)


def _aged(db, model) -> None:  # type: ignore[no-untyped-def]
    """The stored failures made RETRY_AFTER and a minute ago."""
    from datetime import timedelta

    from sqlalchemy import update

    from pipeline.core.clock import now_utc
    from pipeline.core.second_try import RETRY_AFTER

    with unit_of_work(db) as s:
        s.execute(update(model).values(created_at=now_utc() - RETRY_AFTER - timedelta(minutes=1)))


def test_a_draw_cut_short_for_time_is_tried_again_later_not_on_every_view(app, logged_in, db):
    from dataclasses import replace

    with unit_of_work(db) as s:
        task_id = seed.read_task(s, 1, "pdf-word-basic").id
    settings = app.config["PIPELINE_SETTINGS"]
    # A busy machine: the child gets no time at all, and is killed.
    app.config["PIPELINE_SETTINGS"] = replace(settings, limits=replace(settings.limits, ocr_seconds=0.0))
    html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert "Sidene kunne ikke vises her (for stor eller kompleks); siden prøver igjen om litt" in html
    app.config["PIPELINE_SETTINGS"] = settings
    with db() as s:
        failed = s.execute(select(PageImage.id, PageImage.page, PageImage.error)).all()
    assert [(page, error) for _, page, error in failed] == [(0, "limit.exceeded")]
    # Seen again at once: the failure stands (a hostile file costs one try per RETRY_AFTER).
    assert "prøver igjen om litt" in logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    with db() as s:
        assert s.execute(select(PageImage.id, PageImage.page, PageImage.error)).all() == failed
    # Later: drawn, and the failure is gone.
    _aged(db, PageImage)
    html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert f'<image href="/oppgave/{task_id}/side/1.png"' in html and "kunne ikke vises" not in html
    with db() as s:
        assert s.execute(select(PageImage.page, PageImage.error).order_by(PageImage.page)).all() == [
            (1, None), (2, None)]


def test_a_corrupt_file_is_not_tried_again_however_old_its_failure(logged_in, db):
    with unit_of_work(db) as s:
        task_id = seed.task(s, 1, attachment=("skjema.pdf", b"%PDF-1.4\n%not really\n")).id
    logged_in.get(f"/oppgave/{task_id}")
    _aged(db, PageImage)
    with db() as s:
        before = s.execute(select(PageImage.id, PageImage.created_at)).all()
    html = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert "Sidene kunne ikke vises her (skadet fil)" in html and "prøver igjen" not in html
    with db() as s:
        assert s.execute(select(PageImage.id, PageImage.created_at)).all() == before
