"""Read the mottaksadministrator form out of a PDF (format "pdf").

The parse itself (pdf_parse.parse_pdf) runs in a sandboxed child process: pdfminer's worst cases
take seconds per page, gigabytes of memory or blow the stack, and a child can be killed. The
child gets the bytes and returns plain data; errors come back as pipeline.errors. A PDF without a
text layer (a scan) is read again by OCR (pipeline.forms.ocr), which raises ScannedFile in turn
when nobody could read it.
"""

from __future__ import annotations

import time

from pipeline.errors import ScannedFile
from pipeline.forms.reading import FormReading
from pipeline.forms.sandbox import reading_from_data, run_limited
from pipeline.settings import Limits

PARSE_TARGET = "pipeline.forms.pdf_parse:parse_pdf"
# Imported by the child when it starts, so that the first file does not pay for it under the clock.
PRELOAD = ("pdfplumber", "pipeline.forms.pdf_parse")


def read_pdf(data: bytes, filename: str | None = None, limits: Limits | None = None, *,
             seconds: float | None = None, domains: tuple[str, ...] = ()) -> FormReading:
    limits = limits or Limits()
    started = time.monotonic()
    try:
        result = run_limited(PARSE_TARGET, data, filename, limits.max_pdf_pages, limits=limits, preload=PRELOAD,
                             seconds=seconds)
    except ScannedFile:
        # No text layer: a scan. Its pages are read by OCR (in a child of its own), in what time is left.
        from pipeline.forms.ocr import read_scanned_pdf

        left = None if seconds is None else max(0.0, seconds - (time.monotonic() - started))
        return read_scanned_pdf(data, filename, limits, seconds=left, domains=domains)
    reading: FormReading = reading_from_data(result)
    return reading


def read_pdf_in_process(data: bytes, filename: str | None = None, limits: Limits | None = None) -> FormReading:
    """The same parse without the child process (for debugging and profiling only: no limits but pages)."""
    from pipeline.forms.pdf_parse import parse_pdf

    reading: FormReading = reading_from_data(parse_pdf(data, filename, (limits or Limits()).max_pdf_pages))
    return reading
