"""Strategy (b): ruled tables, as Word and LibreOffice export the form (method "pdf_table").

Headings stand outside the tables; a table belongs to the section of the last heading above it,
so the two "E-postadresse" rows land in the right section. The centre table may run over a page
break: its second half is another table under no new heading, still in the centre section.
"""

from __future__ import annotations

from pipeline.forms.definition import FormDefinition
from pipeline.forms.pdf_layout import (
    NUMBER,
    Cell,
    Collector,
    Line,
    PageData,
    Table,
    heading_kind,
    match_label,
)
from pipeline.forms.reading import Provenance


def read_tables(definition: FormDefinition, pages: list[PageData], collector: Collector) -> int:
    """Read every table row it understands into `collector`; returns how many labels it recognised."""
    section: str | None = None
    recognised = 0
    for page in pages:
        events: list[tuple[float, int, Line | Table]] = []
        for line in page.lines():
            if not any(_inside(line, t) for t in page.tables):
                events.append((line.top, 0, line))
        for table in page.tables:
            events.append((table.bbox[1], 1, table))
        events.sort(key=lambda e: (e[0], e[1]))
        for _, _, item in events:
            if isinstance(item, Line):
                kind = heading_kind(definition, item.text)
                if kind is not None:
                    section = None if kind == "end" else kind
                continue
            section, n = _read_table(definition, item, section, collector)
            recognised += n
    return recognised


def _inside(line: Line, table: Table) -> bool:
    x0, top, x1, bottom = table.bbox
    mid = (line.top + line.bottom) / 2
    return top - 1 <= mid <= bottom + 1 and line.x0 >= x0 - 1 and line.x1 <= x1 + 1


def _where(table: Table, r: int, c: int, cell: Cell) -> Provenance:
    return Provenance("table_cell", {"page": table.page, "table": table.index, "row": r, "cell": c,
                                     "bbox": [round(v, 1) for v in cell.bbox]})


def _read_table(definition: FormDefinition, table: Table, section: str | None,
                collector: Collector) -> tuple[str | None, int]:
    recognised = 0
    for r, row in enumerate(table.rows):
        cells = [(c, cell) for c, cell in enumerate(row) if cell is not None]
        if not cells:
            continue
        texts = [cell.text() for _, cell in cells]
        joined = " ".join(t for t in texts if t.strip())
        kind = heading_kind(definition, joined) if joined else None
        if kind is not None and not (section == "centres" and NUMBER.match(joined)):
            section = None if kind == "end" else kind
            continue
        if section == "centres":
            recognised += _centre_row(table, r, cells, texts, collector)
            continue
        first_c, first = cells[0]
        label_words = [w for line in first.lines for w in line.words]
        hit = match_label(definition, section, label_words)
        if hit is None:
            continue
        fdef, n = hit
        recognised += 1
        # The value typed after the label in the label cell ("Fornavn: Kari"), else the next cells.
        inline = _after_label(first, n).strip(" :\t")
        rest = [(c, cell, t) for (c, cell), t in zip(cells[1:], texts[1:], strict=True) if t.strip()]
        if rest:
            c, cell, text = rest[0]
            collector.set(fdef.path, "\n".join(t for _, _, t in rest), _where(table, r, c, cell))
        elif inline:
            collector.set(fdef.path, inline, _where(table, r, first_c, first))
        else:
            collector.set(fdef.path, None, _where(table, r, first_c, first))
    return section, recognised


def _after_label(cell: Cell, n: int) -> str:
    """The cell's text after its first `n` words (keeping how the rest wrapped)."""
    lines = []
    for line in cell.lines:
        words = line.words[n:] if n > 0 else line.words
        n = max(0, n - len(line.words))
        if words:
            lines.append(Line(line.page, words))
    return Cell(cell.bbox, lines).text()


def _centre_row(table: Table, r: int, cells: list[tuple[int, Cell]], texts: list[str],
                collector: Collector) -> int:
    """One row of the centre table: the number column, then the name (or the name in the number column)."""
    first_c, first = cells[0]
    m = NUMBER.match(texts[0])
    numbered = m is not None
    in_number_col = texts[0][m.end():] if m else texts[0]
    values = [(c, cell, t) for (c, cell), t in zip(cells[1:], texts[1:], strict=True) if t.strip()]
    if len(cells) == 1 and not numbered and not in_number_col.strip():
        return 0
    if in_number_col.strip():
        collector.add_centres(in_number_col, _where(table, r, first_c, first))
    for c, cell, text in values:
        collector.add_centres(text, _where(table, r, c, cell))
    return 1 if numbered or values or in_number_col.strip() else 0
