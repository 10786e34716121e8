"""A PDF or scanned case's page pictures, drawn on first view in the sandbox and kept (the storing step:
pipeline.steps.pictures)."""

from __future__ import annotations

import logging

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.models import PageImage
from pipeline.adapters.db.session import unit_of_work
from pipeline.core import second_try
from pipeline.errors import FormError
from pipeline.forms.page_drawing import render_pages
from pipeline.forms.reading import PagePicture
from pipeline.queries import page_reads as page_reads
from pipeline.settings import Settings
from pipeline.steps.pictures import store_pictures

log = logging.getLogger(__name__)


def ensure_drawn(session_factory: sessionmaker[Session], task_id: int, settings: Settings) -> None:
    """Draw and store the pages of the case's form file unless they are stored (or known not drawable).

    Drawing happens outside any transaction (it takes the sandbox's time); two requests drawing the
    same file at once both draw, and the second one's insert gives way to the first's.
    """
    with session_factory() as session:
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
        with unit_of_work(session_factory) as session:
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
