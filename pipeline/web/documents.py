"""The original document beside the fields: a Word form's text, and a safe file name for the download.

docx_text reuses the form reader's safe package opening (size, member and ratio limits; an XML
parser that resolves no entities and fetches nothing) and its body walker (text of content
controls, tracked insertions and fields; not deleted text, not the duplicate of mc:Fallback).

word_form(task_id) is what the case page shows: the text rendered once per attachment, in the sandbox
child (a 16 MB document.xml takes the parser most of a second and hundreds of megabytes, which must not
land in the web process, nor on every view), and kept (pipeline.service.renderings).
"""

from __future__ import annotations

from dataclasses import asdict
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


# The stored rendering's name: a change to what word_lines_data returns needs a new one.
WORD_LINES = "docx-lines/1"
# The case page shows the form, which is short; a long document (a 16 MB appendix) is cut here, so that
# neither the page nor the stored rendering carries all of it. The download has the rest.
WORD_MAX_CHARS = 200_000
WORD_CUT = "[Dokumentet er lengre enn det som vises her. Last ned filen for å lese resten.]"


def word_lines_data(data: bytes, limits: dict[str, Any]) -> dict[str, Any]:
    """docx_text as the sandbox child runs it: plain data in and out."""
    try:
        lines = docx_text(data, Limits(**limits))
    except DocumentTextError as exc:
        return {"error": "unreadable", "message": str(exc)}
    shown: list[str] = []
    size = 0
    for line in lines:
        size += len(line) + 1
        if size > WORD_MAX_CHARS:
            return {"lines": [*shown, WORD_CUT], "cut": True}
        shown.append(line)
    return {"lines": shown}


def render_word(data: bytes, limits: Limits) -> dict[str, Any]:
    try:
        return run_limited("pipeline.web.documents:word_lines_data", data, asdict(limits), limits=limits)  # type: ignore[no-any-return]
    except FormError as exc:  # killed (time, memory) or crashed
        return {"error": exc.code, "message": exc.message}


def word_form(task_id: int) -> list[str] | None:
    """The case's Word form as lines of text (None: no file, or purged); DocumentTextError when the file
    could not be read (said once, and remembered)."""
    limits = current_app.config["PIPELINE_SETTINGS"].limits
    content = renderings.rendered(factory(), task_id, WORD_LINES, lambda data: render_word(data, limits))
    if content is None:
        return None
    if "lines" not in content:
        raise DocumentTextError(str(content.get("message") or content.get("error")))
    return [str(line) for line in content["lines"]]


def safe_filename(name: str | None, default: str) -> str:
    """A filename fit for a Content-Disposition header: ASCII-safe, no quotes or path parts."""
    name = (name or default).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip() or default
    return cleaned[:120]
