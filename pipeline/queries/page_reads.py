"""The pages of a case's form as pictures, and each value's box on them (read models).

    case_pages(session, task_id) -> CasePages | None     what the case page draws (None: nothing to draw)
    page_png(session, task_id, number) -> bytes | None   one picture, for /oppgave/<id>/side/<n>.png
    to_draw(session, task_id) -> Drawable | None         a form file whose pages are not drawn yet

The pictures are made once per attachment (pipeline.steps.pictures) and stored in page_image; the boxes
come from the reading's provenance (pipeline.forms.page_drawing.field_boxes), in the page's points, which
the template uses as the SVG's coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import Attachment, PageImage, Task
from pipeline.core.domain import CENTRES, field_label
from pipeline.forms.page_drawing import LOW_CONFIDENCE, field_boxes

# Readings whose file has pages to draw: PDFs (with a text layer or scanned) and scans or photos read by
# OCR. A Word file is shown as its text; a form pasted into the mail has no file.
DRAWN_FORMATS = frozenset({"pdf", "image"})


@dataclass(frozen=True)
class PageView:
    number: int
    width_px: int
    height_px: int
    width_pt: float
    height_pt: float
    x0_pt: float
    top_pt: float


@dataclass(frozen=True)
class BoxView:
    """One value's frame on a page, in the page's points; `field` is a field path or "centres"."""

    field: str
    index: int | None  # a centre's position in the reading's list
    page: int
    x: float
    y: float
    width: float
    height: float
    label: str
    confidence: float | None
    min_confidence: float | None
    low: bool  # OCR read one of its words with less confidence than LOW_CONFIDENCE

    @property
    def key(self) -> str:
        """The data-field value: the field path, or centres.<n> for the nth centre (from 0)."""
        return self.field if self.index is None else f"{self.field}.{self.index}"


@dataclass(frozen=True)
class CasePages:
    attachment_id: int
    method: str  # the reading's: "ocr" (pages as OCR straightened them) or a PDF reader's
    pages: tuple[PageView, ...]
    boxes: tuple[BoxView, ...]
    error: str | None = None  # the file could not be drawn: the error code
    low_confidence: float = LOW_CONFIDENCE

    def boxes_on(self, number: int) -> list[BoxView]:
        return [b for b in self.boxes if b.page == number]

    def low_fields(self) -> set[str]:
        """Keys of the values OCR was unsure of (field paths; centres.<n>)."""
        return {b.key for b in self.boxes if b.low}


@dataclass(frozen=True)
class Drawable:
    attachment_id: int
    filename: str | None
    method: str
    # A failure stored for the file (page 0): drawn again only when pipeline.core.second_try says so.
    failure_id: int | None = None
    failure: str | None = None
    failed_at: datetime | None = None


def _source(reading: dict[str, Any] | None, key: str) -> str:
    return str(((reading or {}).get("source") or {}).get(key) or "")


def to_draw(session: Session, task_id: int) -> Drawable | None:
    """The case's form file when it has pages to draw and no pictures are stored yet (a stored failure
    comes with it)."""
    row = session.execute(select(Task.attachment_pk, Task.reading).where(Task.id == task_id)).first()
    if row is None or not row.attachment_pk or _source(row.reading, "format") not in DRAWN_FORMATS:
        return None
    first = session.execute(select(PageImage.id, PageImage.page, PageImage.error, PageImage.created_at)
                            .where(PageImage.attachment_id == row.attachment_pk)
                            .order_by(PageImage.page).limit(1)).first()
    if first is not None and first.page != 0:
        return None
    att = session.execute(select(Attachment.filename, Attachment.data.is_not(None).label("kept"))
                          .where(Attachment.id == row.attachment_pk)).first()
    if att is None or not att.kept:
        return None  # purged by retention: nothing to draw from
    failure = (first.id, first.error, first.created_at) if first is not None else (None, None, None)
    return Drawable(row.attachment_pk, att.filename, _source(row.reading, "method"), *failure)


def attachment_data(session: Session, attachment_id: int) -> bytes | None:
    return session.scalar(select(Attachment.data).where(Attachment.id == attachment_id))


def case_pages(session: Session, task_id: int) -> CasePages | None:
    row = session.execute(select(Task.attachment_pk, Task.reading).where(Task.id == task_id)).first()
    if row is None or not row.attachment_pk:
        return None
    stored = session.execute(
        select(PageImage.page, PageImage.width_px, PageImage.height_px, PageImage.width_pt, PageImage.height_pt,
               PageImage.x0_pt, PageImage.top_pt, PageImage.error)
        .where(PageImage.attachment_id == row.attachment_pk).order_by(PageImage.page)).all()
    if not stored:
        return None
    method = _source(row.reading, "method")
    failed = next((r.error or "unreadable" for r in stored if r.page == 0), None)
    pages = tuple(PageView(r.page, r.width_px, r.height_px, r.width_pt, r.height_pt, r.x0_pt, r.top_pt)
                  for r in stored if r.page > 0)
    boxes = tuple(
        BoxView(b.field, b.index, b.page, b.x, b.y, b.width, b.height, _label(b.field, b.index), b.confidence,
                b.min_confidence, b.low)
        for b in field_boxes(row.reading or {}, pages))
    return CasePages(row.attachment_pk, method, pages, boxes, failed)


def _label(path: str, index: int | None) -> str:
    if path == CENTRES:
        return f"{field_label(CENTRES)} ({(index or 0) + 1})"
    return field_label(path)


def page_png(session: Session, task_id: int, number: int) -> bytes | None:
    """One stored picture of the case's current form file."""
    return session.scalar(
        select(PageImage.png).join(Task, Task.attachment_pk == PageImage.attachment_id)
        .where(Task.id == task_id, PageImage.page == number, PageImage.page > 0))
