"""The form's pages as pictures for the case page, and where each value sits on them.

    render_pages(data, filename, method, limits) -> [PagePicture]   PNG per page, in the sandbox child
    field_boxes(reading_json, pages) -> [Box]                       provenance boxes on those pictures

A PDF is rendered page by page by PDFium (pypdfium2) inside the killable sandbox child, under the
parser's limits: the browser is never handed the PDF itself, so JavaScript or a hostile font in an
attachment never reaches the operator's browser or its PDF viewer. A scan or photo read by OCR is shown
as OCR saw it (turned, straightened, unwarped: `pipeline.forms.ocr.page_images`), because the OCR
provenance's boxes are in the coordinates of that straightened page, not of the file as it came.

Coordinates: every reader's provenance gives `page` (counted from 1, as people count) and `bbox`
[x0, top, x1, bottom] in PDF points from the page's top-left corner. A picture records its page's size
in points and where its top-left corner lies in those coordinates (a PDF whose CropBox is smaller
than its MediaBox), so a box is drawn by subtracting the origin: no pixel arithmetic in templates.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from pipeline import errors
from pipeline.forms.reading import PagePicture
from pipeline.settings import Limits

# Pictures are drawn at this resolution: an A4 page is 992 x 1403 pixels, in which 10-pt type is
# 17 pixels tall (readable beside the fields; the browser's zoom goes further). The PNG of a grey
# scan costs 100-300 kB a page at this size.
PAGE_DPI = 120
# The form has two pages and its values are on the first; a cover letter or an appendix may add a
# few. More pages are not drawn (the original can still be downloaded).
MAX_PAGES = 6
# A value whose least sure word Tesseract read with less confidence than this is marked on the case
# page. On the nine readable scan and photo fixtures it marks 22 of 102 values: 17 of the 18 e-mail
# addresses (their "@" is misread, then repaired) and 5 numbers and names on the noisiest pages; most
# values read at 90-97. At 90 it would mark 32, and catch the one misread value (a dropped ring on
# "Årdal", least sure word 88.8) only among them. It tells the operator where to look first; the
# operator confirms the whole reading anyway.
LOW_CONFIDENCE = 85.0


class PageGeometry(Protocol):
    """What placing a box needs of a page picture (a PagePicture, or a stored page's view)."""

    @property
    def number(self) -> int: ...
    @property
    def width_pt(self) -> float: ...
    @property
    def height_pt(self) -> float: ...
    @property
    def x0_pt(self) -> float: ...
    @property
    def top_pt(self) -> float: ...


@dataclass(frozen=True)
class Box:
    """One value's place on a page picture, in the page's points (the picture's SVG viewBox units)."""

    field: str  # a field path ("applicant.mobile") or "centres"
    index: int | None  # the centre's position in the reading's list; None for a field
    page: int
    x: float
    y: float
    width: float
    height: float
    confidence: float | None  # OCR: Tesseract's mean confidence over the value's words (0-100)
    min_confidence: float | None  # OCR: its least sure word
    unsure: bool = False  # OCR: the reader repaired the value (an address rebuilt, digits for letters)

    @property
    def low(self) -> bool:
        return self.unsure or (self.min_confidence is not None and self.min_confidence < LOW_CONFIDENCE)


# -- rendering (parent side) ------------------------------------------------------------------------
def render_pages(data: bytes, filename: str | None, method: str, limits: Limits | None = None,
                 dpi: int = PAGE_DPI) -> list[PagePicture]:
    """The pages of a form file as PNG pictures; FormError subclasses when it cannot be drawn.

    `method` is the reading's: "ocr" draws the pages as OCR straightened them (a scan or photo);
    any other on a PDF draws the PDF's pages. A Word file has no pages to draw (UnsupportedFormat).
    """
    from pipeline.forms import ocr
    from pipeline.forms.sandbox import run_limited

    limits = limits or Limits()
    if method == "ocr":
        shown = replace(limits, max_ocr_pages=min(limits.max_ocr_pages, MAX_PAGES))
        pngs = ocr.page_images(data, filename, shown, dpi=dpi)
        return [_ocr_picture(n, png, dpi) for n, png in enumerate(pngs, 1)]
    if data[:1024].find(b"%PDF-") < 0:
        raise errors.UnsupportedFormat("only PDF pages and scans read by OCR are drawn")
    # The OCR child already holds pypdfium2: the same child draws PDF pages (one process, not two).
    # Its time budget is OCR's: drawing costs far less, and a hostile file is killed all the same.
    drawn = run_limited("pipeline.forms.page_drawing:draw_pdf", data, min(limits.max_pdf_pages, MAX_PAGES), dpi,
                        limits.max_image_pixels, limits=replace(limits, parse_seconds=limits.ocr_seconds),
                        preload=ocr.PRELOAD)
    return [PagePicture(**page) for page in drawn]


def _ocr_picture(number: int, png: bytes, dpi: int) -> PagePicture:
    width, height = png_size(png)
    return PagePicture(number, png, width, height, round(width * 72 / dpi, 2), round(height * 72 / dpi, 2))


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise errors.CorruptFile("not a PNG picture")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


# -- rendering (in the sandbox child) -----------------------------------------------------------------
def draw_pdf(data: bytes, max_pages: int, dpi: int, max_pixels: int) -> list[dict[str, Any]]:
    """A PDF's first pages as grey PNGs with their geometry (plain data across the pipe)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise errors.EncryptedFile(f"the PDF is password-protected ({exc})") from None
        raise errors.CorruptFile(f"the PDF could not be opened for drawing ({exc})") from None
    try:
        # Filled-in AcroForm fields are drawn from their appearance streams only with the form
        # environment on (PDFium is built without JavaScript: nothing in the file runs).
        pdf.init_forms()
        out = []
        for i in range(min(len(pdf), max_pages)):
            page = pdf[i]
            try:
                out.append(_draw_page(page, i + 1, dpi, max_pixels))
            finally:
                page.close()
        return out
    finally:
        pdf.close()


def _draw_page(page: Any, number: int, dpi: int, max_pixels: int) -> dict[str, Any]:
    width_pt, height_pt = (float(v) for v in page.get_size())
    scale = dpi / 72
    if width_pt * height_pt * scale * scale > max_pixels:
        scale = (max_pixels / max(1.0, width_pt * height_pt)) ** 0.5  # a huge page: fewer dots
    image = page.render(scale=scale, grayscale=True, may_draw_forms=True).to_pil().convert("L")
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    x0 = top = 0.0
    if int(page.get_rotation()) % 360 == 0:
        # The readers measure from the MediaBox's top-left; PDFium draws the CropBox.
        m_left, _, _, m_top = page.get_mediabox()
        c_left, _, _, c_top = page.get_cropbox()
        x0, top = round(float(c_left - m_left), 2), round(float(m_top - c_top), 2)
    return {"number": number, "png": buf.getvalue(), "width_px": image.width, "height_px": image.height,
            "width_pt": round(width_pt, 2), "height_pt": round(height_pt, 2), "x0_pt": x0, "top_pt": top}


# -- boxes --------------------------------------------------------------------------------------------
def field_boxes(reading: Mapping[str, Any], pages: Iterable[PageGeometry]) -> list[Box]:
    """The boxes of a stored reading's values (`FormReading.to_json()`), placed on the page pictures.
    Values without a page and box (a Word file, a form in the mail body, an AcroForm field without
    a widget) have none."""
    geometry = {int(p.number): p for p in pages}
    provenance = (reading.get("source") or {}).get("provenance") or {}
    out: list[Box] = []
    for path, where in provenance.items():
        if path == "centres":
            for index, item in enumerate(where or []):
                box = _box("centres", index, item, geometry)
                if box is not None:
                    out.append(box)
        else:
            box = _box(path, None, where, geometry)
            if box is not None:
                out.append(box)
    return out


def _box(path: str, index: int | None, where: Any, geometry: Mapping[int, PageGeometry]) -> Box | None:
    if not isinstance(where, Mapping):
        return None
    page, bbox = where.get("page"), _numbers(where.get("bbox"), 4)
    if not isinstance(page, int) or page not in geometry or bbox is None:
        return None
    picture = geometry[page]
    x0, top, x1, bottom = bbox
    size = _numbers(where.get("page_size"), 2)
    if size is not None and size[0] > 0 and size[1] > 0:
        # OCR: the box is in the straightened page's points; that page is the picture (up to rounding).
        kx, ky = picture.width_pt / size[0], picture.height_pt / size[1]
        x0, x1, top, bottom = x0 * kx, x1 * kx, top * ky, bottom * ky
    x0, x1 = x0 - picture.x0_pt, x1 - picture.x0_pt
    top, bottom = top - picture.top_pt, bottom - picture.top_pt
    if x1 <= 0 or bottom <= 0 or x0 >= picture.width_pt or top >= picture.height_pt:
        return None  # outside the drawn area
    pad = 1.5  # points around the words, so the frame does not cover them
    x0, top = max(0.0, x0 - pad), max(0.0, top - pad)
    x1, bottom = min(picture.width_pt, x1 + pad), min(picture.height_pt, bottom + pad)
    return Box(path, index, page, round(x0, 1), round(top, 1), round(x1 - x0, 1), round(bottom - top, 1),
               _number(where.get("confidence")), _number(where.get("min_confidence")), where.get("unsure") is True)


def _numbers(value: Any, n: int) -> list[float] | None:
    """A list of n numbers from stored JSON, else None."""
    if isinstance(value, list | tuple) and len(value) == n and all(isinstance(v, int | float) for v in value):
        return [float(v) for v in value]
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None
