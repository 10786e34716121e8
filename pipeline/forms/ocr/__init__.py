"""Read scanned and photographed forms by OCR (Tesseract), in the killable sandbox child.

Binding: tesserocr (Tesseract's C++ API through Cython), measured against pytesseract and the
`tesseract` CLI on the same 300-dpi page of this form, OMP_THREAD_LIMIT=1, on the 2-core machine:
tesserocr 1.0-1.2 s (API kept between pages: 1.0 s), pytesseract 1.4 s, CLI alone 1.5 s; the CLI
with OpenMP left at 4 threads 4.8 s. tesserocr wins on more than speed: it runs inside the sandbox
child, so the child's memory limit covers Tesseract and killing the child on a timeout stops the
OCR too (pytesseract and ocrmypdf start a tesseract process of their own per page, which the
child's kill leaves running); it gives word and symbol boxes and confidences from one iterator
(no TSV to parse) and orientation detection from the same API; its wheel bundles libtesseract
(no OpenMP, so no thread storm) and needs only the traineddata files from Debian. ocrmypdf is
made for adding a text layer to whole PDFs (Ghostscript, pikepdf, a process per page) and would
then need the PDF reader again: more moving parts for the same Tesseract call.

Whole reader (bench/ocr, 12 fixture pages, best of 2 rounds on the shared 2-core machine): 4.22 s
a page against 2.88 s for `tesseract -l nor` alone on the same pages as sent (1.47x; it was 2.5x
before pages were read at their own resolution, orientation came from the page's lines and the
page pass used "nor" alone with a Latin second pass over the address and name cells); 133 of 133
fields right, where the CLI's text dump holds 76.

Public functions (parent side, cheap to import):
    read_image(data, filename, limits, domains=()) -> FormReading      JPEG, PNG, TIFF, HEIC; format "image"
    read_scanned_pdf(data, filename, limits, domains=()) -> FormReading an image-only PDF; format "pdf"
(`domains`: e-mail domains the driftsoperatør is known by, which addresses are rebuilt towards.)
    page_images(data, filename, limits, dpi=100) -> [PNG]   the pages as OCR straightened them
Each reading has method "ocr"; its provenance gives per field the page, the box in PDF points of
that straightened page (with its page_size) and Tesseract's confidence. A scan nobody can read
raises ScannedFile (unreadable.scanned); a slow one LimitExceeded (limit.exceeded).
"""

from __future__ import annotations

from typing import Any

from pipeline.forms.reading import FormReading
from pipeline.forms.sandbox import reading_from_data, run_limited
from pipeline.settings import Limits

# Imported by the child when it starts (about 0.5 s); the sandbox starts it with one thread for
# Tesseract's and numpy's pools (pipeline.forms.sandbox).
PRELOAD = ("pipeline.forms.ocr.engine", "numpy", "PIL.Image", "tesserocr", "pipeline.forms.ocr.run")
IMAGE_FORMATS = ("jpeg", "png", "tiff", "heic")


def _options(limits: Limits, domains: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"domains": list(domains), "ocr_dpi": limits.ocr_dpi, "max_ocr_pages": limits.max_ocr_pages,
            "max_image_pixels": limits.max_image_pixels, "max_pages": limits.max_pdf_pages,
            "ocr_languages": limits.ocr_languages, "ocr_models": limits.ocr_models}


def _run(target: str, data: bytes, filename: str | None, limits: Limits, *extra: Any,
         seconds: float | None = None, domains: tuple[str, ...] = ()) -> Any:
    # OCR gets its own time budget (a page costs seconds, where a text PDF costs milliseconds);
    # the memory limit is the parser's. `seconds`: what the mail being read has left of its budget.
    from dataclasses import replace

    ocr_limits = replace(limits, parse_seconds=limits.ocr_seconds)
    return run_limited(f"pipeline.forms.ocr.run:{target}", data, filename, _options(limits, domains), *extra,
                       limits=ocr_limits, preload=PRELOAD, seconds=seconds)


def read_image(data: bytes, filename: str | None = None, limits: Limits | None = None, *,
               seconds: float | None = None, domains: tuple[str, ...] = ()) -> FormReading:
    reading: FormReading = reading_from_data(_run("ocr_image", data, filename, limits or Limits(), seconds=seconds,
                                                  domains=domains))
    return reading


def read_scanned_pdf(data: bytes, filename: str | None = None, limits: Limits | None = None, *,
                     seconds: float | None = None, domains: tuple[str, ...] = ()) -> FormReading:
    reading: FormReading = reading_from_data(_run("ocr_pdf", data, filename, limits or Limits(), seconds=seconds,
                                                  domains=domains))
    return reading


def page_images(data: bytes, filename: str | None = None, limits: Limits | None = None, dpi: int = 100) -> list[bytes]:
    return list(_run("page_images", data, filename, limits or Limits(), dpi))


def image_kind(head: bytes) -> str | None:
    """'jpeg', 'png', 'tiff' or 'heic' from a file's first bytes, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1",
                                                  b"msf1"):
        return "heic"
    return None
