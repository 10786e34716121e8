"""A case's form file rendered for the case page once per attachment, not on every view.

    rendered(db, task_id, renderer, render) -> content | None
    word_blocks(db, task_id, limits) -> content | None     a Word form's blocks, rendered in the sandbox child

A Word form is shown as its text (pipeline.entrypoints.web.documents); reading a large document.xml costs the
parser seconds and hundreds of megabytes, which the first version spent on every view of the case.
Now the first view renders it (the renderer runs the parser in the sandbox child) and stores the
result in the `rendering` table beside the page pictures (page_image), for the same reasons: several
web instances share the database, not a folder, and the rendering is the file's content, purged with
it by retention in the same transaction. A rendering cut short for time or memory is made again
later (pipeline.core.second_try).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.models import Rendering
from pipeline.adapters.db.session import unit_of_work
from pipeline.core import second_try
from pipeline.errors import FormError
from pipeline.forms.sandbox import run_limited
from pipeline.forms.word_view import WORD_BLOCKS
from pipeline.queries import page_reads as page_reads
from pipeline.queries import renderings as reads
from pipeline.settings import Limits


def rendered(session_factory: sessionmaker[Session], task_id: int, renderer: str,
             render: Callable[[bytes], dict[str, Any]]) -> dict[str, Any] | None:
    """The case's form file as `render` makes it (plain data, errors included): stored on the first call,
    read on every later one. None when the case has no file, or it was purged before it was rendered.

    The rendering happens outside any transaction; two first views at once both render, and the second
    one's insert gives way to the first's."""
    with session_factory() as session:
        found = reads.stored(session, task_id, renderer)
        if found is None:
            return None
        if found.content is not None and not _retried(found):
            return found.content
        if not found.kept:
            return found.content
        data = page_reads.attachment_data(session, found.attachment_id)
    if data is None:
        return None
    content = render(data)
    try:
        with unit_of_work(session_factory) as session:
            if found.rendering_id is not None:
                gone = getattr(session.execute(delete(Rendering).where(Rendering.id == found.rendering_id)), "rowcount", 0)
                if not gone:
                    return content  # another request tried again first
            session.add(Rendering(attachment_id=found.attachment_id, renderer=renderer, content=content))
    except IntegrityError:
        pass  # another request stored it first: the same rendering
    return content


def word_blocks(session_factory: sessionmaker[Session], task_id: int, limits: Limits) -> dict[str, Any] | None:
    """The case's Word form as blocks (or the error that stopped the sandbox child), rendered once.

    A 16 MB document.xml takes the parser most of a second and hundreds of megabytes: that must not land
    in the web process, nor happen on every view."""
    return rendered(session_factory, task_id, WORD_BLOCKS, lambda data: render_word(data, limits))


def render_word(data: bytes, limits: Limits) -> dict[str, Any]:
    try:
        return run_limited("pipeline.forms.word_view:word_blocks_data", data, asdict(limits), limits=limits)  # type: ignore[no-any-return]
    except FormError as exc:  # killed (time, memory) or crashed
        return {"error": exc.code, "message": exc.message}


def _retried(found: reads.Stored) -> bool:
    content = found.content or {}
    return "error" in content and second_try.due(str(content.get("error")), found.made_at)
