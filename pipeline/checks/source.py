"""How the form was read: values read by OCR from a scan or photo wait for a person (form.ocr)."""

from __future__ import annotations

from pipeline.checks.findings import Finding
from pipeline.checks.texts import finding
from pipeline.forms.reading import FormReading


def check_source(reading: FormReading, *, reading_confirmed: bool = False) -> list[Finding]:
    """form.ocr for a reading made by OCR that no operator has confirmed against the page yet.

    OCR gets nine fields in ten right on the scans it reads at all, and the tenth looks just as sure:
    so every such reading waits in review for a person (it does not go to needs_info, and the sender
    is asked nothing), and approval is refused until an operator has confirmed it.
    """
    if reading.method != "ocr" or reading_confirmed:
        return []
    return [finding("form.ocr", None, filename=reading.filename or "uten navn")]
