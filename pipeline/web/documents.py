"""The original document beside the fields: a Word form as its paragraphs and tables, the places
values were read from (to highlight them), and a safe file name.

docx_blocks reuses the form reader's safe package opening (size, member and ratio limits; an XML
parser that resolves no entities and fetches nothing) and its body walker (text of content
controls, tracked insertions and fields; not deleted text, not the duplicate of mc:Fallback).

word_form(task_id) is what the case page shows: the blocks rendered once per attachment, in the
sandbox child (a 16 MB document.xml takes the parser most of a second and hundreds of megabytes, which
must not land in the web process, nor on every view), and kept (pipeline.service.renderings).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flask import current_app

from pipeline.errors import FormError
from pipeline.forms.definition import definitions
from pipeline.forms.docx_layout import BodyWalker, Para, W
from pipeline.forms.safezip import open_docx
from pipeline.forms.sandbox import run_limited
from pipeline.service import renderings
from pipeline.settings import Limits
from pipeline.web.request_session import factory

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


def render_word(data: bytes, limits: Limits) -> dict[str, Any]:
    try:
        return run_limited("pipeline.web.documents:word_blocks_data", data, asdict(limits), limits=limits)  # type: ignore[no-any-return]
    except FormError as exc:  # killed (time, memory) or crashed
        return {"error": exc.code, "message": exc.message}


def word_form(task_id: int) -> list[DocBlock] | None:
    """The case's Word form as its blocks (None: no file, or purged); DocumentTextError when the file
    could not be read (found out once, and remembered)."""
    limits = current_app.config["PIPELINE_SETTINGS"].limits
    content = renderings.rendered(factory(), task_id, WORD_BLOCKS, lambda data: render_word(data, limits))
    if content is None:
        return None
    if "blocks" not in content:
        raise DocumentTextError(str(content.get("message") or content.get("error")))
    return [_block(b) for b in content["blocks"]]


def safe_filename(name: str | None, default: str) -> str:
    """A filename fit for a Content-Disposition header: ASCII-safe, no quotes or path parts."""
    name = (name or default).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip() or default
    return cleaned[:120]
