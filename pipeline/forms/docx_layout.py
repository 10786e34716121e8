"""Walk a Word body (lxml) into paragraphs and tables in document order, with each cell's text.

python-docx's `.text` drops tracked insertions, content controls, smart tags and rows wrapped in
content controls (PITFALLS.md), so the text is collected from the XML here:

- `w:t`, `w:tab` (a tab), `w:br`/`w:cr` (a line break); paragraphs end with a line break;
- tracked changes: `w:ins`/`w:moveTo` count, `w:del`/`w:delText`/`w:moveFrom` do not; a row whose
  `w:trPr` holds `w:del` is a deleted row and is left out;
- content controls (`w:sdt`) at run, paragraph, cell and row level are unwrapped; one that shows its
  placeholder (`w:showingPlcHdr`) or whose text is a known placeholder counts as empty;
- `mc:AlternateContent`: the `mc:Choice` is read and the `mc:Fallback` (the same text again) skipped;
- legacy form fields (FORMTEXT): the result between the `separate` and `end` field characters is
  ordinary runs; the field code (`w:instrText`) is skipped;
- a nested table is not part of its cell's text: it is yielded as a table of its own, after its
  parent, and the parent's cell is marked `layout` (a cell that lays out other tables).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from pipeline.errors import LimitExceeded

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"

T, TAB, BR, CR, P, TBL, TR, TC = (W + n for n in ("t", "tab", "br", "cr", "p", "tbl", "tr", "tc"))
SDT, SDT_PR, SDT_CONTENT = W + "sdt", W + "sdtPr", W + "sdtContent"
FLD_CHAR, FF_DATA = W + "fldChar", W + "ffData"
NO_BREAK_HYPHEN = W + "noBreakHyphen"
_TAG, _ALIAS, _SHOWING_PLC = W + "tag", W + "alias", W + "showingPlcHdr"
_VAL, _FLD_TYPE = W + "val", W + "fldCharType"
_TC_PR, _TR_PR, _VMERGE, _DEL = W + "tcPr", W + "trPr", W + "vMerge", W + "del"

# Never descended into: properties, deleted text, field codes, the fallback copy of alternate
# content, and nested tables (read as tables of their own).
_SKIP = frozenset(
    W + n
    for n in (
        "rPr", "pPr", "tcPr", "trPr", "tblPr", "tblGrid", "tblPrEx", "sectPr", "sdtEndPr", "del",
        "moveFrom", "delText", "delInstrText", "instrText", "tbl", "commentReference", "footnoteReference",
        "endnoteReference", "proofErr", "bookmarkStart", "bookmarkEnd", "lastRenderedPageBreak",
    )
) | {MC + "Fallback"}
# Wrappers around rows or cells that are unwrapped (their content counts).
_WRAPPERS = frozenset({W + "customXml", W + "ins", W + "moveTo", W + "smartTag"})

Placeholder = Callable[[str], bool]


@dataclass
class Hints:
    """What a piece of text came from: content controls and legacy form fields that held text."""

    controls: list[dict[str, str]] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    nested_table: bool = False  # a table inside (not part of the text: read as a table of its own)
    continued: bool = False  # the cell's tcPr says vMerge continue


@dataclass
class Cell:
    index: int
    text: str
    hints: Hints
    continued: bool = False  # vMerge continuation: the value sits in the cell above
    layout: bool = False  # holds a nested table: a layout cell, or a value written as a table
    full_text: str = ""  # a layout cell's text with its nested tables' text (one line per cell)


@dataclass
class Row:
    index: int
    cells: list[Cell]


@dataclass
class Table:
    index: int
    rows: list[Row]
    parent: tuple[int, int, int] | None = None  # (table, row, cell) of the cell holding this table


@dataclass
class Para:
    index: int
    text: str
    hints: Hints


def first_child(el: etree._Element, tag: str) -> etree._Element | None:
    """The first child with this tag (a plain loop: faster than `find`, whose path parsing costs)."""
    for c in el:
        if c.tag == tag:
            return c
    return None


def _control(sdt: etree._Element) -> tuple[dict[str, str], bool]:
    """(tag/alias of a content control, whether it still shows its placeholder)."""
    pr = first_child(sdt, SDT_PR)
    info: dict[str, str] = {}
    if pr is None:
        return info, False
    showing = False
    for el in pr:
        tag = el.tag
        if tag in (_TAG, _ALIAS):
            value = el.get(_VAL)
            if value:
                info["tag" if tag == _TAG else "alias"] = value
        elif tag == _SHOWING_PLC:
            showing = True
    return info, showing


class TextCollector:
    """Collects the visible text of a paragraph or cell (see the module docstring)."""

    def __init__(self, is_placeholder: Placeholder, include_tables: bool = False) -> None:
        self.is_placeholder = is_placeholder
        self.include_tables = include_tables

    def text(self, el: etree._Element) -> tuple[str, Hints]:
        out: list[str] = []
        hints = Hints()
        self._collect(el, out, hints)
        return "".join(out), hints

    def _collect(self, el: etree._Element, out: list[str], hints: Hints) -> None:
        for child in el:
            tag = child.tag
            if tag == T:
                if child.text:
                    out.append(child.text)
            elif tag == TBL:
                hints.nested_table = True
                if self.include_tables:
                    self._collect(child, out, hints)
            elif tag == _TC_PR:
                # Read here rather than in a second look at the cell: vMerge continue means the
                # cell only extends the one above it.
                for prop in child:
                    if prop.tag == _VMERGE:
                        hints.continued = prop.get(_VAL, "continue") == "continue"
            elif tag in _SKIP or not isinstance(tag, str):
                continue  # (comments, processing instructions and entities have non-string tags)
            elif tag == TAB:
                out.append("\t")
            elif tag in (BR, CR):
                out.append("\n")
            elif tag == P:
                if out:
                    out.append("\n")
                self._collect(child, out, hints)
            elif tag == SDT:
                self._sdt(child, out, hints)
            elif tag == FLD_CHAR:
                ff = child.find(FF_DATA)
                if ff is not None and child.get(_FLD_TYPE) == "begin" and ff.find(W + "textInput") is not None:
                    name = ff.find(W + "name")
                    hints.fields.append(name.get(_VAL, "") if name is not None else "")
            elif tag == NO_BREAK_HYPHEN:
                out.append("-")
            else:  # runs, hyperlinks, insertions, smart tags, fields, mc:Choice, drawings, text boxes
                self._collect(child, out, hints)

    def _sdt(self, sdt: etree._Element, out: list[str], hints: Hints) -> None:
        info, showing_placeholder = _control(sdt)
        content = first_child(sdt, SDT_CONTENT)
        if content is None or showing_placeholder:
            return
        sub: list[str] = []
        self._collect(content, sub, hints)
        text = "".join(sub)
        if self.is_placeholder(text):
            return
        if text.strip():
            hints.controls.append(info)
        out.extend(sub)


class BodyWalker:
    """Yields `Para` and `Table` in document order; nested tables after the table that holds them."""

    def __init__(self, is_placeholder: Placeholder, max_blocks: int = 20000) -> None:
        self.collector = TextCollector(is_placeholder)
        self.deep_collector = TextCollector(is_placeholder, include_tables=True)
        self.tables = 0
        self.paras = 0
        self.rows = 0
        self.max_blocks = max_blocks

    def _count(self) -> None:
        # Bounds the time a hostile body (many small paragraphs or rows, within the size limits) costs.
        if self.paras + self.rows > self.max_blocks:
            raise LimitExceeded(f"the Word body has more than {self.max_blocks} paragraphs and table rows")

    def walk(self, container: etree._Element, parent: tuple[int, int, int] | None = None) -> Iterator[Para | Table]:
        for child in container:
            tag = child.tag
            if tag == P:
                text, hints = self.collector.text(child)
                self.paras += 1
                self._count()
                yield Para(self.paras - 1, text, hints)
            elif tag == TBL:
                yield from self._table(child, parent)
            elif tag == SDT:
                content = first_child(child, SDT_CONTENT)
                if content is not None and not _control(child)[1]:
                    yield from self.walk(content, parent)
            elif tag in _WRAPPERS or tag == MC + "AlternateContent" or tag == MC + "Choice":
                yield from self.walk(child, parent)

    def _table(self, tbl: etree._Element, parent: tuple[int, int, int] | None) -> Iterator[Para | Table]:
        table = Table(self.tables, [], parent)
        self.tables += 1
        layout_cells: list[tuple[etree._Element, tuple[int, int, int]]] = []
        for tr in _rows(tbl):
            self.rows += 1
            self._count()
            cells = []
            for i, (tc, control, placeholder) in enumerate(_cells(tr)):
                full = ""
                text, hints = self.collector.text(tc)
                nested, continued = hints.nested_table, hints.continued
                if placeholder:
                    text, hints = "", Hints()
                elif control and text.strip():
                    hints.controls.insert(0, control)
                if nested and not placeholder:
                    full = self.deep_collector.text(tc)[0]
                if nested:
                    layout_cells.append((tc, (table.index, len(table.rows), i)))
                cells.append(Cell(i, text, hints, continued=continued, layout=nested, full_text=full))
            table.rows.append(Row(len(table.rows), cells))
        yield table
        for tc, where in layout_cells:
            yield from self.walk(tc, where)


def _rows(tbl: etree._Element) -> Iterator[etree._Element]:
    """The table's rows, unwrapping content controls (repeating sections), leaving out deleted rows."""
    for child in tbl:
        tag = child.tag
        if tag == TR:
            pr = first_child(child, _TR_PR)
            if pr is None or first_child(pr, _DEL) is None:
                yield child
        elif tag == SDT:
            content = first_child(child, SDT_CONTENT)
            if content is not None:
                yield from _rows(content)
        elif tag in _WRAPPERS:
            yield from _rows(child)


def _cells(tr: etree._Element, control: dict[str, str] | None = None,
           placeholder: bool = False) -> Iterator[tuple[etree._Element, dict[str, str] | None, bool]]:
    """(cell, the content control around it if any, whether that control shows its placeholder)."""
    for child in tr:
        tag = child.tag
        if tag == TC:
            yield child, control, placeholder
        elif tag == SDT:
            content = first_child(child, SDT_CONTENT)
            if content is not None:
                info, showing = _control(child)
                yield from _cells(content, info, showing)
        elif tag in _WRAPPERS:
            yield from _cells(child, control, placeholder)
