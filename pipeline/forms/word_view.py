"""A Word form as the case page shows it beside the fields: its paragraphs and tables, in document
order, each cell keyed by the position the form reader records for a value read from it.

    docx_blocks(data, limits) -> [DocBlock]        the blocks (DocumentTextError: not readable)
    word_blocks_data(data, limits) -> dict         the same as plain data, cut at WORD_MAX_CHARS; what
                                                   the sandbox child runs (pipeline.entrypoints.web.documents)
    blocks_from_data(data) -> [DocBlock]           back from plain data

Pure: it reuses the form reader's safe package opening (size, member and ratio limits; an XML parser
that resolves no entities and fetches nothing) and its body walker (text of content controls, tracked
insertions and fields; not deleted text, not the duplicate of mc:Fallback). It imports nothing of the
web or the database, so the sandbox child that runs it starts in a tenth of the time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pipeline.errors import FormError
from pipeline.forms.definition import definitions
from pipeline.forms.docx_layout import BodyWalker, Para, W
from pipeline.forms.safezip import open_docx
from pipeline.settings import Limits


class DocumentTextError(Exception):
    """The Word form could not be shown; `later`: for want of time or memory, tried again later."""

    def __init__(self, message: str, later: bool = False) -> None:
        super().__init__(message)
        self.later = later


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


# The stored rendering's name: a change to what word_blocks_data returns needs a new one.
WORD_BLOCKS = "docx-blocks/1"
# The case page shows the form, which is short; a long document (a 16 MB appendix) is cut here, so that
# neither the page nor the stored rendering carries all of it. The download has the rest.
WORD_MAX_CHARS = 200_000
WORD_CUT = "[Dokumentet er lengre enn det som vises her. Last ned filen for å lese resten.]"


def _size(block: DocBlock) -> int:
    return len(block.text) + sum(len(c.text) + 1 for row in block.rows for c in row) + 1


def word_blocks_data(data: bytes, limits: dict[str, Any]) -> dict[str, Any]:
    """docx_blocks as the sandbox child runs it: plain data in and out."""
    try:
        blocks = docx_blocks(data, Limits(**limits))
    except DocumentTextError as exc:
        return {"error": "unreadable", "message": str(exc)}
    shown: list[dict[str, Any]] = []
    size = 0
    for block in blocks:
        size += _size(block)
        if size > WORD_MAX_CHARS:
            return {"blocks": [*shown, asdict(DocBlock("docx-cut", WORD_CUT))], "cut": True}
        shown.append(asdict(block))
    return {"blocks": shown}


def _block(data: dict[str, Any]) -> DocBlock:
    rows = tuple(tuple(DocCell(str(c["key"]), str(c["text"]), bool(c["continued"])) for c in row)
                 for row in data.get("rows") or ())
    return DocBlock(str(data["key"]), str(data.get("text") or ""), rows, bool(data.get("nested")))


def blocks_from_data(content: dict[str, Any]) -> list[DocBlock]:
    return [_block(b) for b in content["blocks"]]
