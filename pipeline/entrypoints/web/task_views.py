"""The case page and the original document; the decisions are in task_actions.

A PDF (or a scan) is shown as pictures of its pages drawn on the server (page_views), never handed to
the browser's own viewer: a PDF may carry scripts. Each value's box is drawn over the page from where
the reader found it, and lit when its row is hovered or focused; a Word form is shown as its tables.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request

from pipeline.core.domain import action_label
from pipeline.entrypoints.web import documents, history
from pipeline.entrypoints.web.auth import operator
from pipeline.entrypoints.web.page_views import draw_pages
from pipeline.entrypoints.web.queue_views import view_args, view_query
from pipeline.entrypoints.web.request_session import reads
from pipeline.forms.word_view import DocBlock, DocumentTextError
from pipeline.queries import accounts, case, queue, waiting
from pipeline.queries import page_reads as pages

bp = Blueprint("task", __name__)


def render_case(task_id: int, *, status: int = 200, **extra: Any) -> tuple[str, int]:
    """The case page as it is now (also after a refused action, with what the operator typed)."""
    draw_pages(task_id)
    page = case.load(reads(), task_id, operator())
    if page is None:
        abort(404)
    view = view_args(request.args)
    view.pop("side", None)
    prev_id, next_id = queue.neighbours(reads(), view_query(request.args), task_id)
    docx_blocks: list[DocBlock] | None = None
    docx_error: DocumentTextError | None = None
    if page.attachment is not None and page.attachment_kind == "docx":
        try:
            docx_blocks = documents.word_form(task_id)  # rendered once, then read
        except DocumentTextError as exc:
            docx_error = exc
    t = page.task
    operators = accounts.usernames(reads())
    waits = waiting.flags(reads(), [(t.id, t.state, t.reminder_sent_at, t.review_id)])[t.id]
    held = waiting.held_replies(reads(), [t.id]).get(t.id) if waiting.HELD in waits else None
    return render_template(
        "task.html", p=page, t=page.task, history=history.lines(page.history, operators),
        who=lambda actor: history.actor_name(actor, operators), waits=waits, held=held, WAITING=waiting.LABELS,
        WAITING_HINTS=waiting.HINTS, docx_blocks=docx_blocks, docx_error=docx_error,
        pages=pages.case_pages(reads(), task_id), box_key=documents.box_key, editable=case.EDITABLE,
        centres_text="\n".join(case.current_centres(page.task)), centre_choices=case.centre_choices,
        view=view, prev_id=prev_id, next_id=next_id, action_label=action_label, typed=extra.pop("typed", {}),
        **extra), status


@bp.route("/oppgave/<int:task_id>")
def show(task_id: int) -> tuple[str, int]:
    return render_case(task_id)


def _document(task_id: int) -> case.Document:
    doc = case.document(reads(), task_id)
    if doc is None:
        abort(404)
    return doc


@bp.route("/oppgave/<int:task_id>/dokument")
def download(task_id: int) -> Response:
    doc = _document(task_id)
    mimetype = {"pdf": "application/pdf", "docx": documents.DOCX_TYPE}.get(doc.kind, "application/octet-stream")
    name = documents.safe_filename(doc.filename, "skjema")
    resp = Response(doc.data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp
