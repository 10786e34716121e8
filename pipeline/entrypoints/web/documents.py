"""The original document beside the fields: a Word form as its paragraphs and tables, the places
values were read from (to highlight them), and a safe file name.

word_form(task_id) is what the case page shows: the blocks (pipeline.forms.word_view) rendered once per
attachment in the sandbox child and kept, by the use case pipeline.usecases.word_renderings.word_blocks.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from pipeline.core import second_try
from pipeline.entrypoints.web.request_session import session_factory
from pipeline.forms.word_view import DocBlock, DocumentTextError, blocks_from_data
from pipeline.usecases import word_renderings as renderings

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


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


def word_form(task_id: int) -> list[DocBlock] | None:
    """The case's Word form as its blocks (None: no file, or purged); DocumentTextError when the file
    could not be read (found out once and remembered; a try cut short for time or memory is made
    again later, see pipeline.usecases.word_renderings)."""
    content = renderings.word_blocks(session_factory(), task_id, current_app.config["PIPELINE_SETTINGS"].limits)
    if content is None:
        return None
    if "blocks" not in content:
        raise DocumentTextError(str(content.get("message") or content.get("error")),
                                later=content.get("error") in second_try.RETRIED_CODES)
    return blocks_from_data(content)


def safe_filename(name: str | None, default: str) -> str:
    """A filename fit for a Content-Disposition header: ASCII-safe, no quotes or path parts."""
    name = (name or default).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip() or default
    return cleaned[:120]
