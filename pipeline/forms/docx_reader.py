"""Read a filled Word form (.docx) into a FormReading.

Only the main document part is parsed (lxml, via `safezip`), not the whole package: python-docx
would read every part, media included, and its `.text` misses much of what people type (see
`docx_layout`). The labels, section headings, placeholders and centre separators all come from the
declared form definition; this module only knows how a Word form is laid out:

- label/value tables: a label cell followed by its value cell, or the value typed after the label in
  the label cell ("Fornavn: Kari"); rows of several label/value pairs work too;
- sections: the same label ("E-postadresse") stands in the operator and the applicant section, so
  each label is read in the current section, which headings (paragraphs or single-cell rows) and
  labels that belong to one section only ("Fornavn") set;
- the centre table: one centre per row (or several in one cell), the name in the value cell or, when
  that is empty, in the number cell; blank rows are skipped; deleted rows never reach us.
"""

from __future__ import annotations

import re

from pipeline.errors import NotAForm
from pipeline.forms.definition import FieldDef, FormDefinition, definitions
from pipeline.forms.docx_layout import BodyWalker, Cell, Hints, Para, Table, W
from pipeline.forms.reading import FIELD_PATHS, FieldValue, FormReading, Provenance, fold
from pipeline.forms.safezip import open_docx
from pipeline.settings import Limits

_ROW_NUMBER = re.compile(r"^\s*(?:nr\.?\s*)?\d{1,3}\s*[.):]?(?=\s|$)\s*", re.IGNORECASE)
_HEADING_MAX = 200  # headings are short lines; long paragraphs of guidance are not compared
_NUMBER_ONLY = re.compile(r"^\s*\d{1,3}\s*[.):]?\s*$")


def read_docx(data: bytes, filename: str | None = None, limits: Limits | None = None) -> FormReading:
    limits = limits or Limits()
    root = open_docx(data, limits)
    body = root.find(W + "body")
    if body is None:
        raise NotAForm("the Word document has no body")
    all_defs = definitions()
    walker = BodyWalker(lambda text: any(d.is_placeholder(text) for d in all_defs), limits.max_docx_blocks)
    blocks = list(walker.walk(body))
    definition = _which_form(blocks, all_defs)
    reading = FormReading(form=definition.name, filename=filename, format="docx", method="docx")
    _FormInterpreter(definition, reading).run(blocks)
    return reading


def _which_form(blocks: list[Para | Table], defs: tuple[FormDefinition, ...]) -> FormDefinition:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Para):
            parts.append(block.text)
        else:
            parts.extend(c.text for r in block.rows for c in r.cells if not c.layout)
    text = "\n".join(parts)
    for d in defs:
        if d.is_this_form(text):
            return d
    raise NotAForm("the Word document is not a form we know (no form title or labels found)")


def _provenance(kind_detail: dict[str, int], hints: Hints) -> Provenance:
    if hints.controls:
        return Provenance("content_control", {**kind_detail, **hints.controls[0]})
    if hints.fields:
        return Provenance("form_field", {**kind_detail, "name": hints.fields[0]})
    kind = "paragraph" if "paragraph" in kind_detail else "table_cell"
    return Provenance(kind, dict(kind_detail))


class _FormInterpreter:
    """Turns the walked blocks into field values and centres, section by section."""

    def __init__(self, definition: FormDefinition, reading: FormReading) -> None:
        self.d = definition
        self.reading = reading
        self.section: str | None = None
        self.fields: dict[str, FieldValue] = {}
        self.from_paragraphs: dict[str, FieldValue] = {}
        self.centre_tables = 0
        # Layout cells read as values (a value written as a small table), and the tables inside
        # them, which must not be read a second time.
        self.consumed: set[tuple[int, int, int]] = set()
        self.skipped: set[int] = set()
        self._matches: dict[str, list[tuple[str, FieldDef, str]]] = {}

    def run(self, blocks: list[Para | Table]) -> None:
        for block in blocks:
            if isinstance(block, Para):
                self._paragraph(block)
            else:
                self._table(block)
        for path in FIELD_PATHS:
            # Values in the form's tables win over the same label written in a loose paragraph.
            fv = self.fields.get(path) or self.from_paragraphs.get(path)
            self.reading.fields[path] = fv or FieldValue(None)

    # -- helpers -------------------------------------------------------------------------------

    def _value(self, text: str) -> str | None:
        value = fold(text)
        return None if value is None or self.d.is_placeholder(value) else value

    def _label_matches(self, text: str) -> list[tuple[str, FieldDef, str]]:
        found = self._matches.get(text)  # the same cell text is looked at more than once
        if found is None:
            found = self._matches[text] = self.d.label_matches(text)
        return found

    def _match(self, text: str) -> tuple[str, FieldDef, str] | None:
        """The label at the start of `text`, resolved to one section."""
        matches = self._label_matches(text)
        if len(matches) <= 1:
            return matches[0] if matches else None
        for m in matches:  # a label of several sections: the current section decides
            if m[0] == self.section:
                return m
        for m in matches:  # no section yet: the first section still missing this field
            if m[1].path not in self.fields:
                return m
        return matches[0]

    def _is_strict_label(self, text: str) -> bool:
        """A cell that is a label beyond doubt: it matches and has a colon (labels on the form do)."""
        return ":" in text and bool(self._label_matches(text))

    def _heading(self, text: str) -> bool:
        """Handle a heading or end marker; True when `text` was one."""
        if len(text) > _HEADING_MAX:
            return False
        key = self.d.section_for_heading(text)
        if key is not None:
            self.section = key
            return True
        if self.section == "centres":
            t = fold(text) or ""
            if any(t.casefold().startswith(m) for m in self.d.centres.end_markers):
                self.section = None
                return True
        return False

    def _set(self, store: dict[str, FieldValue], path: str, value: str | None, where: Provenance) -> None:
        if value is not None and store.get(path) is None:
            store[path] = FieldValue(value, where)

    def _add_centres(self, text: str, where: Provenance) -> None:
        for name in self.d.split_centres(text):
            value = self._value(name)
            if value is not None:
                self.reading.centres.append(FieldValue(value, where))

    # -- paragraphs ----------------------------------------------------------------------------

    def _paragraph(self, para: Para) -> None:
        if not para.text.strip():
            return
        match = self._match(para.text)
        if match is not None and match[2]:
            key, f, rest = match
            self.section = key
            where = _provenance({"paragraph": para.index}, para.hints)
            self._set(self.from_paragraphs, f.path, self._value(rest), where)
            return
        if self._heading(para.text):
            return
        if self.section == "centres" and self.centre_tables == 0:
            # Centres written as a list under the heading instead of in the table.
            where = _provenance({"paragraph": para.index}, para.hints)
            self._add_centres(_ROW_NUMBER.sub("", para.text), where)

    # -- tables --------------------------------------------------------------------------------

    def _table(self, table: Table) -> None:
        if table.parent is not None and (table.parent in self.consumed or table.parent[0] in self.skipped):
            self.skipped.add(table.index)
            return
        if self.section != "centres" and self._looks_like_centre_table(table):
            self.section = "centres"
        was_centres = self.section == "centres"
        for row in table.rows:
            cells = row.cells
            texts = ["" if c.continued or c.layout else c.text for c in cells]
            filled = [t for t in texts if t.strip()]
            if not filled and not any(c.layout for c in cells):
                continue
            if len(filled) == 1 and (self.section == "centres" or self._match(filled[0]) is None) \
                    and self._heading(filled[0]):
                continue
            detail = {"table": table.index, "row": row.index}
            if self.section == "centres":
                self._centre_row(cells, texts, detail)
            else:
                self._label_row(cells, texts, detail)
        if was_centres or self.section == "centres":
            self.centre_tables += 1
            if self.section == "centres":
                self.section = None

    def _looks_like_centre_table(self, table: Table) -> bool:
        """A table of numbered rows without labels: the centre table whose heading was removed."""
        numbered = 0
        for row in table.rows:
            cells = row.cells
            if not cells:
                continue
            if self._label_matches(cells[0].text):
                return False
            numbered += bool(_NUMBER_ONLY.match(cells[0].text))
        return numbered >= 2 and numbered * 2 >= len(table.rows)

    def _label_row(self, cells: list[Cell], texts: list[str], detail: dict[str, int]) -> None:
        i = 0
        while i < len(cells):
            match = self._match(texts[i])
            if match is None:
                i += 1
                continue
            key, f, rest = match
            self.section = key
            label_cell = cells[i]
            # The cell after a label is its value cell: always in a two-cell row (a value may look
            # like a label: "Leder"), otherwise unless it is itself a label with a colon.
            if i + 1 < len(cells) and (len(cells) == 2 or not self._is_strict_label(texts[i + 1])):
                nxt = cells[i + 1]
                value = self._value(nxt.full_text if nxt.layout else texts[i + 1])
                if value is not None and self.fields.get(f.path) is None:
                    self._set(self.fields, f.path, value, _provenance({**detail, "cell": nxt.index}, nxt.hints))
                    if nxt.layout:
                        self.consumed.add((detail["table"], detail["row"], nxt.index))
                i += 2
            else:
                i += 1
            # The value typed after the label in the label cell, when the value cell is empty.
            if rest and self.fields.get(f.path) is None:
                value = self._value(rest)
                where = _provenance({**detail, "cell": label_cell.index}, label_cell.hints)
                self._set(self.fields, f.path, value, where)

    def _centre_row(self, cells: list[Cell], texts: list[str], detail: dict[str, int]) -> None:
        named = [(c, c.full_text if c.layout else t) for c, t in zip(cells[1:], texts[1:], strict=True)]
        named = [(c, t) for c, t in named if self._value(t)]
        if named:
            for cell, text in named:
                self._add_centres(text, _provenance({**detail, "cell": cell.index}, cell.hints))
                if cell.layout:
                    self.consumed.add((detail["table"], detail["row"], cell.index))
            return
        # The number cell holds the name (typed over the number, or the row's cells merged).
        first = _ROW_NUMBER.sub("", texts[0])
        if fold(first):
            self._add_centres(first, _provenance({**detail, "cell": cells[0].index}, cells[0].hints))
