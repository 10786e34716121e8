"""The original document: a PDF served for inline display, a .docx's text pulled out for reading.

docx_text reuses the form reader's safe package opening (size, member and ratio limits; an XML
parser that resolves no entities and fetches nothing) and its body walker (text of content
controls, tracked insertions and fields; not deleted text, not the duplicate of mc:Fallback).
"""

from __future__ import annotations

from pipeline.errors import FormError
from pipeline.forms.definition import definitions
from pipeline.forms.docx_layout import BodyWalker, Para, W
from pipeline.forms.safezip import open_docx
from pipeline.settings import Limits

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class DocumentTextError(Exception):
    pass


def docx_text(data: bytes, limits: Limits | None = None) -> list[str]:
    """The document's paragraphs and table rows (cells joined by ' | '), as lines of text."""
    limits = limits or Limits()
    try:
        root = open_docx(data, limits)
        body = root.find(W + "body")
        defs = definitions()
        # Placeholder text ("Klikk eller trykk her ...") shows as empty, as the reader sees it.
        walker = BodyWalker(lambda text: any(d.is_placeholder(text) for d in defs), limits.max_docx_blocks)
        blocks = list(walker.walk(body if body is not None else root))
    except FormError as exc:
        raise DocumentTextError(exc.message) from exc
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Para):
            lines.append(block.text)
        else:
            for row in block.rows:
                cells = [" ".join(c.text.split()) for c in row.cells if not c.continued]
                if any(cells):
                    lines.append(" | ".join(cells))
    # Collapse runs of empty paragraphs, which forms are full of.
    out: list[str] = []
    for line in lines:
        if line.strip() or (out and out[-1].strip()):
            out.append(line.rstrip())
    return out


def safe_filename(name: str | None, default: str) -> str:
    """A filename fit for a Content-Disposition header: ASCII-safe, no quotes or path parts."""
    name = (name or default).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip() or default
    return cleaned[:120]
