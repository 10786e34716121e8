"""The original document beside the fields: a Word form as its paragraphs and tables, the places
values were read from (to highlight them), and a safe file name.

docx_blocks reuses the form reader's safe package opening (size, member and ratio limits; an XML
parser that resolves no entities and fetches nothing) and its body walker (text of content
controls, tracked insertions and fields; not deleted text, not the duplicate of mc:Fallback).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.errors import FormError
from pipeline.forms.definition import definitions
from pipeline.forms.docx_layout import BodyWalker, Para, W
from pipeline.forms.safezip import open_docx
from pipeline.settings import Limits

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class DocumentTextError(Exception):
    pass


@dataclass(frozen=True)
class DocCell:
    key: str  # the reading's provenance of a value in this cell, as box_key gives it
    text: str
    continued: bool  # the lower part of a vertically merged cell


@dataclass(frozen=True)
class DocBlock:
    """A paragraph (rows empty) or a table of the Word body, in document order."""

    key: str
    text: str = ""
    rows: tuple[tuple[DocCell, ...], ...] = ()
    nested: bool = False  # a table inside a cell of the table before it

    @property
    def is_table(self) -> bool:
        return bool(self.rows)


def docx_blocks(data: bytes, limits: Limits | None = None) -> list[DocBlock]:
    """The Word form as its paragraphs and tables (each cell keyed by the position the reader records)."""
    limits = limits or Limits()
    try:
        root = open_docx(data, limits)
        body = root.find(W + "body")
        defs = definitions()
        # Placeholder text ("Klikk eller trykk her ...") shows as empty, as the reader sees it.
        walker = BodyWalker(lambda text: any(d.is_placeholder(text) for d in defs), limits.max_docx_blocks)
        walked = list(walker.walk(body if body is not None else root))
    except FormError as exc:
        raise DocumentTextError(exc.message) from exc
    blocks: list[DocBlock] = []
    for block in walked:
        if isinstance(block, Para):
            text = block.text.rstrip()
            # Runs of empty paragraphs, which forms are full of, collapse into one.
            if text.strip() or (blocks and (blocks[-1].is_table or blocks[-1].text.strip())):
                blocks.append(DocBlock(f"docx-p{block.index}", text))
            continue
        rows = tuple(tuple(DocCell(f"docx-t{block.index}-r{row.index}-c{cell.index}", cell.text.strip(),
                                   cell.continued) for cell in row.cells)
                     for row in block.rows if row.cells)
        if rows:
            blocks.append(DocBlock(f"docx-t{block.index}", rows=rows, nested=block.parent is not None))
    return blocks


def box_key(where: Any) -> str | None:
    """The key that ties a value's provenance to its place in the document shown beside it: a Word
    cell or paragraph, or a box on a PDF page."""
    if not isinstance(where, dict):
        return None
    if isinstance(where.get("page"), int) and isinstance(where.get("bbox"), list | tuple) and len(where["bbox"]) == 4:
        return "pdf-p{}-{}".format(where["page"], "-".join(str(int(float(v))) for v in where["bbox"]))
    if all(isinstance(where.get(k), int) for k in ("table", "row", "cell")) and "page" not in where:
        return f"docx-t{where['table']}-r{where['row']}-c{where['cell']}"
    if isinstance(where.get("paragraph"), int):
        return f"docx-p{where['paragraph']}"
    return None


def safe_filename(name: str | None, default: str) -> str:
    """A filename fit for a Content-Disposition header: ASCII-safe, no quotes or path parts."""
    name = (name or default).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip() or default
    return cleaned[:120]
