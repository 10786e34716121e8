"""Pictures of a case's form pages, made once per attachment and kept (the case page's page images).

    store_pictures(session, attachment_id, pictures)   the OCR reader's pictures, stored at ingest
    ensure_drawn(db, task_id, settings) -> None         the use case (pipeline.usecases.page_pictures): draw
                                                        the form file's pages if they are not stored yet

Why a table (page_image) and not files in the data folder: several web instances and workers share one
PostgreSQL but not a folder, so a page is drawn once for all of them; the pictures are the attachment's
content (personal data) and go with it, purged by retention in the same transaction that drops the
file; and backups, the read models and the tests see one store. A page costs 100-300 kB.

OCR readings come with their pictures (made while the page was straightened: no second pass, which
costs 2-5 s a page); PDFs are drawn on the first view of the case (well under a second), in the
sandbox child. A file that cannot be drawn is recorded as such (page 0 with the error code), so a
hostile file costs the sandbox's time once, not on every view; a try cut short for time or memory is
made again later (pipeline.core.second_try).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from pipeline.adapters.db.models import PageImage
from pipeline.forms.reading import PagePicture

log = logging.getLogger(__name__)


def store_pictures(session: Session, attachment_id: int, pictures: Sequence[PagePicture]) -> None:
    for p in pictures:
        session.add(PageImage(attachment_id=attachment_id, page=p.number, png=p.png, width_px=p.width_px,
                              height_px=p.height_px, width_pt=p.width_pt, height_pt=p.height_pt, x0_pt=p.x0_pt,
                              top_pt=p.top_pt))
