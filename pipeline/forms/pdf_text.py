"""Strategy (c): flattened or borderless PDFs, read from word positions (method "pdf_text").

A value is the words to the right of its label on the same line, plus the lines below that start
at the value's column, up to the next label or heading. Labels are matched within the section of
the last heading above them, so the two "E-postadresse" lines land in the right section.
"""

from __future__ import annotations

from pipeline.forms.definition import FormDefinition
from pipeline.forms.pdf_layout import (
    NUMBER,
    Cell,
    Collector,
    Line,
    PageData,
    Word,
    bbox_of,
    heading_kind,
    match_label,
)
from pipeline.forms.reading import Provenance

CONTINUATION_GAP = 1.8  # a continued line starts within this many line heights below the previous one


def _where(page: int, words: list[Word]) -> Provenance:
    return Provenance("page_text", {"page": page, "bbox": bbox_of(words)})


def read_text(definition: FormDefinition, pages: list[PageData], collector: Collector) -> int:
    """Read label/value lines into `collector`; returns how many labels it recognised."""
    lines = [line for page in pages for line in page.lines()]
    right_edge = max((line.x1 for line in lines), default=0.0)
    section: str | None = None
    recognised = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        kind = heading_kind(definition, line.text)
        hit = match_label(definition, section, line.words) if section != "centres" else None
        if kind is not None and hit is None:
            section = None if kind == "end" else kind
            i = _skip_heading(lines, i)
            continue
        if section == "centres":
            i = _centre(definition, lines, i, right_edge, collector)
            recognised += 1
            continue
        if hit is None:
            i += 1
            continue
        fdef, n = hit
        recognised += 1
        value_words = [w for w in line.words[n:] if w.x0 >= line.words[n - 1].x1]
        column = value_words[0].x0 if value_words else line.words[n - 1].x1 + 2
        chunks = [Line(line.page, value_words)] if value_words else []
        i += 1
        while i < len(lines) and _continues(definition, section, lines[i - 1], lines[i], column):
            chunks.append(lines[i])
            i += 1
        words = [w for c in chunks for w in c.words]
        if words:
            cell = Cell((column, 0, right_edge, 0), chunks)
            collector.set(fdef.path, cell.text(), _where(chunks[0].page, words))
        else:
            collector.set(fdef.path, None, _where(line.page, line.words[:n]))
    return recognised


def _skip_heading(lines: list[Line], i: int) -> int:
    """Past a heading and the lines it wrapped onto (this form's headings end with a colon)."""
    j = i
    while j < len(lines) and j - i < 3 and not lines[j].text.rstrip().endswith(":"):
        j += 1
    if j < len(lines) and j - i < 3 and all(_close(lines[k], lines[k + 1]) for k in range(i, j)):
        return j + 1
    return i + 1


def _close(prev: Line, line: Line) -> bool:
    height = max(prev.bottom - prev.top, 1.0)
    return line.page == prev.page and line.top - prev.bottom <= CONTINUATION_GAP * height \
        and not line.words[0].text.rstrip(".):").isdigit()


def _continues(definition: FormDefinition, section: str | None, prev: Line, line: Line, column: float) -> bool:
    if line.page != prev.page or line.x0 < column - 3:
        return False
    height = max(prev.bottom - prev.top, 1.0)
    if line.top - prev.bottom > CONTINUATION_GAP * height:
        return False
    return heading_kind(definition, line.text) is None and match_label(definition, section, line.words) is None


def _centre(definition: FormDefinition, lines: list[Line], i: int, right_edge: float,
            collector: Collector) -> int:
    """One row of the centre list: '1 Dale asylmottak', a bare number, or a name in the number column."""
    line = lines[i]
    words = list(line.words)
    if NUMBER.fullmatch(words[0].text + " ") or words[0].text.rstrip(".):").isdigit():
        words = words[1:]
    if not words:
        return i + 1
    column = words[0].x0
    chunks = [Line(line.page, words)]
    i += 1
    while i < len(lines):
        nxt = lines[i]
        if (nxt.page != line.page or nxt.x0 < column - 3 or nxt.words[0].text.rstrip(".):").isdigit()
                or nxt.top - chunks[-1].bottom > CONTINUATION_GAP * max(nxt.bottom - nxt.top, 1.0)
                or heading_kind(definition, nxt.text) is not None):
            break
        chunks.append(nxt)
        i += 1
    cell = Cell((column, 0, right_edge, 0), chunks)
    collector.add_centres(cell.text(), _where(line.page, [w for c in chunks for w in c.words]))
    return i
