"""The case page and the original document; the decisions are in task_actions."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from pipeline.queries import case, pages
from pipeline.web import documents
from pipeline.web.page_views import draw_pages
from pipeline.web.request_session import reads

bp = Blueprint("task", __name__)


@bp.route("/oppgave/<int:task_id>")
def show(task_id: int) -> str:
    draw_pages(task_id)
    page = case.load(reads(), task_id)
    if page is None:
        abort(404)
    docx_lines: list[str] | None = None
    docx_error = False
    if page.attachment is not None and page.attachment_kind == "docx":
        try:
            docx_lines = documents.word_form(task_id)  # rendered once, then read
        except documents.DocumentTextError:
            docx_error = True
    return render_template("task.html", p=page, t=page.task, docx_lines=docx_lines, docx_error=docx_error,
                           pages=pages.case_pages(reads(), task_id),
                           editable=case.EDITABLE, centres_text="\n".join(case.current_centres(page.task)),
                           centre_choices=case.centre_choices)


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
