"""The task page and the original document; the actions are in task_actions."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from sqlalchemy import select

from pipeline.db.models import Attachment, Task
from pipeline.web import db, documents, task_page

bp = Blueprint("task", __name__)

# The PDF is shown in a frame of our own page; it may load nothing and run nothing.
_PDF_CSP = "default-src 'none'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"


@bp.route("/oppgave/<int:task_id>")
def show(task_id: int) -> str:
    page = task_page.load(db.session(), task_id)
    if page is None:
        abort(404)
    docx_lines: list[str] | None = None
    docx_error = False
    if page.attachment is not None and page.attachment_kind == "docx":
        data = db.session().scalar(select(Attachment.data).where(Attachment.id == page.attachment.id))
        try:
            docx_lines = documents.docx_text(data or b"")
        except documents.DocumentTextError:
            docx_error = True
    return render_template("task.html", p=page, t=page.task, docx_lines=docx_lines, docx_error=docx_error,
                           editable=task_page.EDITABLE, centres_text="\n".join(task_page.current_centres(page.task)),
                           centre_choices=task_page.centre_choices)


def _attachment_of(task_id: int) -> tuple[Attachment, bytes]:
    dbs = db.session()
    task = dbs.get(Task, task_id)
    if task is None or not task.attachment_pk:
        abort(404)
    att = dbs.get(Attachment, task.attachment_pk)
    if att is None or not att.data:
        abort(404)
    return att, att.data


@bp.route("/oppgave/<int:task_id>/dokument.pdf")
def pdf(task_id: int) -> Response:
    att, data = _attachment_of(task_id)
    if documents.kind_of(data, att.filename) != "pdf":
        abort(404)
    name = documents.safe_filename(att.filename, "skjema.pdf")
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="{name}"'
    resp.headers["Content-Security-Policy"] = _PDF_CSP
    return resp


@bp.route("/oppgave/<int:task_id>/dokument")
def download(task_id: int) -> Response:
    att, data = _attachment_of(task_id)
    kind = documents.kind_of(data, att.filename)
    mimetype = {"pdf": "application/pdf", "docx": documents.DOCX_TYPE}.get(kind, "application/octet-stream")
    name = documents.safe_filename(att.filename, "skjema")
    resp = Response(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


from pipeline.web import task_actions  # noqa: E402,F401  (registers the action routes on bp)
