"""A PDF's pages as PNG images (pure: bytes in, images out), for showing the original to an operator.

An attached PDF is never handed to the operator's browser to display: a PDF may carry JavaScript,
and a browser's viewer is a large attack surface. PDFium draws the pages here instead (its Python
build has no JavaScript engine), in the sandbox child like every other PDF parse
(`pipeline.forms.sandbox.run_limited`), and the page shows the images.

    render_pages(data, max_pages, width_px) -> [{"width": pt, "height": pt, "png": bytes}, ...]

width and height are the page's size in PDF points, the unit of the readers' bounding boxes
(pdfplumber's top-left origin), so a field's box can be drawn over the image.
"""

from __future__ import annotations

import io
from typing import Any

from pipeline.errors import CorruptFile, EncryptedFile

TARGET = "pipeline.forms.pdf_pages:render_pages"
PRELOAD = ("pypdfium2", "PIL.Image", "pipeline.forms.pdf_pages")


def render_pages(data: bytes, max_pages: int, width_px: int) -> list[dict[str, Any]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedFile("the PDF is password protected") from exc
        raise CorruptFile(f"PDFium could not open the file ({exc})") from exc
    try:
        # Filled AcroForm fields are drawn from their appearance streams (no scripts run).
        pdf.init_forms()
        out = []
        for index in range(min(len(pdf), max_pages)):
            page = pdf[index]
            width, height = page.get_size()
            scale = max(0.1, min(4.0, width_px / width)) if width else 1.0
            image = page.render(scale=scale, may_draw_forms=True).to_pil()
            buf = io.BytesIO()
            image.save(buf, format="PNG", optimize=False)
            out.append({"width": round(float(width), 2), "height": round(float(height), 2), "png": buf.getvalue()})
            page.close()
        return out
    finally:
        pdf.close()
