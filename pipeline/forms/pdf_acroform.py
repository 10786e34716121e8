"""Strategy (a): fillable PDFs, values from the AcroForm fields (method "acroform").

Values are not in the page text: walk catalog /AcroForm /Fields (recursing into /Kids), decode /V
(PDFDocEncoding or UTF-16) and map each field to the form by its name (the definition's `acroform`
names), else by where its widget sits (the printed label to its left on the same line, in the
section of the heading above), else by its tooltip (/TU).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pipeline.forms.definition import FormDefinition
from pipeline.forms.pdf_layout import NUMBER, Collector, PageData, SectionMap, Word, match_label
from pipeline.forms.reading import Provenance

MAX_FIELDS = 2000
MAX_DEPTH = 20


@dataclass
class Widget:
    page: int | None
    rect: tuple[float, float, float, float]  # PDF space: x0, y0, x1, y1 from the bottom left


@dataclass
class FormField:
    name: str  # fully qualified: parent.child
    partial: str
    tooltip: str | None
    value: str | None
    widgets: list[Widget] = field(default_factory=list)


def collect_fields(doc: Any, page_ids: dict[int, int], annot_pages: dict[int, int] | None = None) -> list[FormField]:
    """Every terminal field of the AcroForm (bounded in count and depth; cycles are skipped).

    `page_ids` maps page object ids to page numbers (for a widget's /P); `annot_pages` maps
    annotation object ids to page numbers (from each page's /Annots), for widgets without /P.
    """
    annot_pages = annot_pages or {}
    from pdfminer.pdftypes import resolve1

    acro = resolve1(doc.catalog.get("AcroForm"))
    if not isinstance(acro, dict):
        return []
    roots = resolve1(acro.get("Fields"))
    if not isinstance(roots, list):
        return []
    out: list[FormField] = []
    seen: set[int] = set()
    stack: list[tuple[Any, str, int, dict[str, Any]]] = [(r, "", 0, {}) for r in reversed(roots)]
    while stack and len(out) < MAX_FIELDS:
        ref, prefix, depth, inherited = stack.pop()
        objid = getattr(ref, "objid", None)
        if objid is not None:
            if objid in seen:
                continue
            seen.add(objid)
        obj = resolve1(ref)
        if not isinstance(obj, dict) or depth > MAX_DEPTH:
            continue
        partial = _text(obj.get("T")) or ""
        name = f"{prefix}.{partial}" if prefix and partial else (partial or prefix)
        here = dict(inherited)
        for key in ("V", "TU", "FT"):
            if key in obj:
                here[key] = obj[key]
        kids = resolve1(obj.get("Kids"))
        named_kids = [k for k in kids if isinstance(resolve1(k), dict) and "T" in resolve1(k)] \
            if isinstance(kids, list) else []
        if named_kids:
            stack.extend((k, name, depth + 1, here) for k in reversed(named_kids))
            continue
        widgets = [_widget(resolve1(k), page_ids, annot_pages.get(getattr(k, "objid", -1)))
                   for k in kids] if isinstance(kids, list) else []
        if not widgets:
            widgets = [_widget(obj, page_ids, annot_pages.get(objid if objid is not None else -1))]
        out.append(FormField(name=name, partial=partial or name, tooltip=_text(here.get("TU")),
                             value=_value(here.get("V")), widgets=[w for w in widgets if w is not None]))
    return out


def _text(raw: Any) -> str | None:
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import PSLiteral
    from pdfminer.utils import decode_text

    raw = resolve1(raw)
    if isinstance(raw, bytes):
        return decode_text(raw)
    if isinstance(raw, str):
        return raw
    if isinstance(raw, PSLiteral):
        return str(raw.name)
    return None


def _value(raw: Any) -> str | None:
    from pdfminer.pdftypes import PDFStream, resolve1

    raw = resolve1(raw)
    if isinstance(raw, PDFStream):  # a rich-text value: take its bytes as text
        try:
            return raw.get_data()[:10000].decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - a broken stream is an empty value
            return None
    if isinstance(raw, list):
        parts = [_text(v) for v in raw[:50]]
        return "\n".join(p for p in parts if p)
    value = _text(raw)
    if value in ("Off",):  # an unchecked box
        return None
    # Multi-line text fields separate lines with CR (PDF viewers) or CRLF: one centre per line.
    return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


def _widget(obj: Any, page_ids: dict[int, int], annot_page: int | None) -> Widget | None:
    from pdfminer.pdftypes import resolve1

    if not isinstance(obj, dict):
        return None
    rect = resolve1(obj.get("Rect"))
    if not isinstance(rect, list) or len(rect) != 4:
        return None
    try:
        x0, y0, x1, y1 = (float(resolve1(v)) for v in rect)
    except (TypeError, ValueError):
        return None
    page_ref = obj.get("P")
    page = page_ids.get(getattr(page_ref, "objid", -1)) or annot_page
    return Widget(page, (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))


def _by_name(definition: FormDefinition, name: str) -> tuple[str, int] | None:
    """('applicant.email', 0) or ('centres', 3) when the field's name says what it is."""
    key = name.strip().casefold()
    for f in definition.all_fields():
        if key in (a.casefold() for a in f.acroform):
            return f.path, 0
    for prefix in definition.centres.acroform_prefix:
        rest = key[len(prefix):] if key.startswith(prefix.casefold()) else None
        if rest is not None and re.fullmatch(r"\d{1,3}", rest.strip()):
            return "centres", int(rest)
    return None


def _label_left(page: PageData, top: float, bottom: float, x0: float) -> list[Word]:
    """The printed words on the widget's line, left of the widget, nearest group first."""
    mid = (top + bottom) / 2
    same_line = [w for w in page.words if w.top - 2 <= mid <= w.bottom + 2 and w.x1 <= x0 + 2]
    same_line.sort(key=lambda w: w.x0)
    # Keep the group closest to the widget (a gap of more than 60 pt starts a new group).
    group: list[Word] = []
    for w in same_line:
        if group and w.x0 - group[-1].x1 > 60:
            group = []
        group.append(w)
    return group


def read_acroform(definition: FormDefinition, doc: Any, pages: list[PageData], page_ids: dict[int, int],
                  collector: Collector, annot_pages: dict[int, int] | None = None) -> int:
    """Map the fields into `collector`; returns how many fields it could place on the form."""
    fields = collect_fields(doc, page_ids, annot_pages)
    if not fields:
        return 0
    sections = SectionMap(definition, pages)
    by_number = {p.number: p for p in pages}
    placed = 0
    centres: list[tuple[tuple[float, ...], str | None, Provenance]] = []
    for f in fields:
        w = f.widgets[0] if f.widgets else None
        page = by_number.get(w.page) if w and w.page else None
        where: dict[str, Any] = {"field": f.name}
        top = bottom = 0.0
        if w is not None and page is not None:
            top, bottom = page.mediabox_top - w.rect[3], page.mediabox_top - w.rect[1]
            where.update(page=page.number, bbox=[round(w.rect[0], 1), round(top, 1), round(w.rect[2], 1),
                                                 round(bottom, 1)])
        prov = Provenance("acroform", where)
        target = _by_name(definition, f.partial) or _by_name(definition, f.name)
        if target is None and page is not None and w is not None:
            target = _by_position(definition, sections, page, top, bottom, w.rect[0])
        if target is None and f.tooltip:
            section = sections.at(page.number, top) if page is not None else None
            hit = match_label(definition, section, [Word(t, 0, 0, 0, 0) for t in f.tooltip.split()])
            target = (hit[0].path, 0) if hit else None
        if target is None:
            continue
        placed += 1
        path, number = target
        if path == "centres":
            order = (number, page.number if page else 0, top)
            centres.append((order, f.value, prov))
        else:
            collector.set(path, f.value, prov)
    for _, value, prov in sorted(centres, key=lambda c: c[0]):
        collector.add_centres(value, prov)
    return placed


def _by_position(definition: FormDefinition, sections: SectionMap, page: PageData, top: float,
                 bottom: float, x0: float) -> tuple[str, int] | None:
    section = sections.at(page.number, top)
    label = _label_left(page, top, bottom, x0)
    if section == "centres":
        m = NUMBER.fullmatch(" ".join(w.text for w in label) + " ") if label else None
        return ("centres", int(m.group(1)) if m else 0) if m or not label else None
    if not label:
        return None
    hit = match_label(definition, section, label)
    return (hit[0].path, 0) if hit else None
