"""The reply e-mails, for `pipeline replies …`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import Reply
from pipeline.errors import PipelineError
from pipeline.queries.view_rows import ReplyView, reply_view


def replies(session: Session, state: str | None = None) -> list[ReplyView]:
    query = select(Reply).order_by(Reply.id)
    if state:
        query = query.where(Reply.state == state)
    return [reply_view(r) for r in session.scalars(query)]


def reply(session: Session, reply_id: int) -> ReplyView:
    row = session.get(Reply, reply_id)
    if row is None:
        raise PipelineError(f"no reply {reply_id}", code="reply.not_found", message_no="Fant ikke svaret.")
    return reply_view(row)


def reply_json(r: ReplyView, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"id": r.id, "task_id": r.task_id, "message_pk": r.message_pk, "kind": r.kind,
                           "state": r.state, "automatic": r.automatic, "to": r.to_addr, "subject": r.subject,
                           "message_id": r.rfc_message_id, "attempts": r.attempts, "last_error": r.last_error,
                           "next_attempt_at": r.next_attempt_at, "sent_at": r.sent_at, "created_at": r.created_at}
    if full:
        out.update(in_reply_to=r.in_reply_to, references=r.references, body_text=r.body_text, body_html=r.body_html)
    return out
