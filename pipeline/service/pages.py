"""Pictures of a case's form pages, made once per attachment and kept (the case page's page images).

    store_pictures(session, attachment_id, pictures)   the OCR reader's pictures, stored at ingest
    ensure_drawn(db, task_id, settings) -> None         draw the form file's pages if they are not stored yet

Why a table (page_image) and not files in the data folder: several web instances and workers share one
PostgreSQL but not a folder, so a page is drawn once for all of them; the pictures are the attachment's
content (personal data) and go with it, purged by retention in the same transaction that drops the
file; and backups, the read models and the tests see one store. A page costs 100-300 kB.

OCR readings come with their pictures (made while the page was straightened: no second pass, which
costs 2-5 s a page); PDFs are drawn on the first view of the case (well under a second), in the
sandbox child. A file that cannot be drawn is recorded as such (page 0 with the error code), so a
hostile file costs the sandbox's time once, not on every view; a try cut short for time or memory is
made again later (pipeline.service.second_try).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.models import PageImage
from pipeline.adapters.db.session import unit_of_work
from pipeline.errors import FormError
from pipeline.forms.model import PagePicture
from pipeline.forms.pages import render_pages
from pipeline.queries import pages as page_reads
from pipeline.service import second_try
from pipeline.settings import Settings

log = logging.getLogger(__name__)


def store_pictures(session: Session, attachment_id: int, pictures: Sequence[PagePicture]) -> None:
    for p in pictures:
        session.add(PageImage(attachment_id=attachment_id, page=p.number, png=p.png, width_px=p.width_px,
                              height_px=p.height_px, width_pt=p.width_pt, height_pt=p.height_pt, x0_pt=p.x0_pt,
                              top_pt=p.top_pt))


def ensure_drawn(db: sessionmaker[Session], task_id: int, settings: Settings | None = None) -> None:
    """Draw and store the pages of the case's form file unless they are stored (or known not drawable).

    Drawing happens outside any transaction (it takes the sandbox's time); two requests drawing the
    same file at once both draw, and the second one's insert gives way to the first's.
    """
    settings = settings or Settings()
    with db() as session:
        todo = page_reads.to_draw(session, task_id)
        if todo is not None and todo.failure_id is not None and not second_try.due(todo.failure, todo.failed_at):
            todo = None
        data = page_reads.attachment_data(session, todo.attachment_id) if todo else None
    if todo is None or data is None:
        return
    error: str | None = None
    pictures: list[PagePicture] = []
    try:
        pictures = render_pages(data, todo.filename, todo.method, settings.limits)
    except FormError as exc:
        log.warning("pages of attachment %s could not be drawn: %s (%s)", todo.attachment_id, exc.code,
                    exc.message)
        error = exc.code
    if not pictures and error is None:
        error = "no_pages"
    try:
        with unit_of_work(db) as session:
            if todo.failure_id is not None:
                gone = getattr(session.execute(delete(PageImage).where(PageImage.id == todo.failure_id)), "rowcount", 0)
                if not gone:
                    return  # another request drew them again first
            if error is not None:
                session.add(PageImage(attachment_id=todo.attachment_id, page=0, png=None, width_px=0, height_px=0,
                                      width_pt=0.0, height_pt=0.0, x0_pt=0.0, top_pt=0.0, error=error[:64]))
            store_pictures(session, todo.attachment_id, pictures)
    except IntegrityError:
        pass  # another request stored them first: the same pictures
