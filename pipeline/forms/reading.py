"""What reading a form yields: values as written, each with where it was found."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pipeline.core.domain import FIELD_PATHS

__all__ = ["FIELD_PATHS", "FieldValue", "FormReading", "PagePicture", "Provenance", "fold"]


_SPACE = re.compile(r"\s+")


def fold(text: str | None) -> str | None:
    """NFC-normalise and fold white space (tabs, NBSP, line breaks) to single spaces; '' -> None."""
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00ad", "").replace("\u200b", "").replace("\ufeff", "")
    text = _SPACE.sub(" ", text).strip()
    return text or None


@dataclass(frozen=True)
class Provenance:
    """Where a value was found.

    Numbers that people count (`page`, `line`) start at 1; indexes into the document's structure
    (`table`, `row`, `cell`, `paragraph`) start at 0. `bbox` is [x0, top, x1, bottom] in PDF points
    from the page's top-left corner.

    kind: "table_cell" (table, row, cell: 0-based indexes in document order), "paragraph",
    "content_control", "form_field" (legacy FORMTEXT), "acroform" (field name, page, bbox),
    "page_text" (page, bbox), "body" (line number in the mail body), "ocr" (page, bbox in PDF points of
    the page as OCR straightened it, page_size, Tesseract's confidence and min_confidence, found_as).
    """

    kind: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.detail}


@dataclass(frozen=True)
class FieldValue:
    value: str | None
    where: Provenance | None = None


@dataclass(frozen=True)
class PagePicture:
    """A page of the form as a picture (PNG), with the geometry that places the reading's boxes on it."""

    number: int  # counted from 1
    png: bytes
    width_px: int
    height_px: int
    width_pt: float  # the page's size in the coordinates of the reading's boxes (PDF points)
    height_pt: float
    x0_pt: float = 0.0  # where the picture's top-left corner lies in those coordinates
    top_pt: float = 0.0


@dataclass
class FormReading:
    """One filled form as read: values as written (white space folded), None where empty."""

    form: str
    filename: str | None
    format: str  # "docx" | "pdf" | "image" | "text"
    method: str  # how it was read: "docx", "acroform", "pdf_table", "pdf_text", "text", "ocr"
    fields: dict[str, FieldValue] = field(default_factory=dict)
    centres: list[FieldValue] = field(default_factory=list)
    # More about how it was read, for "source" (OCR: engine, languages, pages, what was straightened).
    source_extra: dict[str, Any] = field(default_factory=dict)
    # The pages as the reader saw them, when it made pictures on the way (OCR: turned and straightened),
    # for the case page; not part of the reading's JSON.
    pictures: list[PagePicture] = field(default_factory=list, repr=False, compare=False)

    def value(self, path: str) -> str | None:
        fv = self.fields.get(path)
        return fv.value if fv else None

    def centre_names(self) -> list[str]:
        return [c.value for c in self.centres if c.value]

    def to_json(self) -> dict[str, Any]:
        """The `pipeline parse --json` contract (DESIGN.md)."""
        provenance: dict[str, Any] = {
            path: fv.where.to_json() for path, fv in self.fields.items() if fv.where and fv.value is not None
        }
        provenance["centres"] = [c.where.to_json() if c.where else None for c in self.centres if c.value]
        out: dict[str, Any] = {
            "form": self.form,
            "source": {
                "filename": self.filename,
                "format": self.format,
                "method": self.method,
                "provenance": provenance,
                **self.source_extra,
            },
            "operator": {},
            "applicant": {},
            "centres": self.centre_names(),
        }
        for path in FIELD_PATHS:
            section, name = path.split(".")
            out[section][name] = self.value(path)
        return out


def stored_values(reading: dict[str, Any]) -> dict[str, Any]:
    """Field path -> value of a stored reading (`FormReading.to_json()`), the centres as a list."""
    values: dict[str, Any] = {}
    for path in FIELD_PATHS:
        section, name = path.split(".")
        values[path] = (reading.get(section) or {}).get(name)
    values["centres"] = list(reading.get("centres") or [])
    return values


def written_values(reading: dict[str, Any] | None, corrections: dict[str, Any] | None) -> dict[str, Any]:
    """Field path -> value in force: the reading as the sender wrote it, operators' corrections laid over."""
    values = stored_values(reading or {})
    values.update(corrections or {})
    return values
