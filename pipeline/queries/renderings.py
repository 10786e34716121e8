"""A case's form file as the case page shows it, rendered once and kept (read model).

    stored(session, task_id, renderer) -> Stored | None   the stored rendering, or what to render from

Made by pipeline.usecases.word_renderings; purged with the file by retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import Attachment, Rendering, Task


@dataclass(frozen=True)
class Stored:
    attachment_id: int
    content: dict[str, Any] | None  # None: not rendered yet
    kept: bool  # the file's bytes are still there (not purged by retention)
    rendering_id: int | None = None
    made_at: datetime | None = None


def stored(session: Session, task_id: int, renderer: str) -> Stored | None:
    """None when the case has no form file."""
    attachment_id = session.scalar(select(Task.attachment_pk).where(Task.id == task_id))
    if not attachment_id:
        return None
    row = session.execute(select(Rendering.id, Rendering.content, Rendering.created_at)
                          .where(Rendering.attachment_id == attachment_id, Rendering.renderer == renderer)).first()
    if row is not None and "error" not in row.content:
        # The common case, in one query (a rendering is purged with its file, so the file is there).
        return Stored(attachment_id, row.content, True, row.id, row.created_at)
    # Nothing stored, or a failure that may be tried again: whether there is still a file to render from.
    kept = session.scalar(select(Attachment.data.is_not(None)).where(Attachment.id == attachment_id))
    if row is not None:
        return Stored(attachment_id, row.content, bool(kept), row.id, row.created_at)
    return Stored(attachment_id, None, bool(kept))
