"""The pictures of a case's form pages: /oppgave/<id>/side/<n>.png (behind the login like every page).

The case page draws these (templates/web/_pages.html) instead of handing the browser the PDF: a
picture made in the sandbox cannot run anything in the operator's browser.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app

from pipeline.entrypoints.web.request_session import reads, session_factory
from pipeline.queries import page_reads as pages
from pipeline.usecases.page_pictures import ensure_drawn

bp = Blueprint("pages", __name__)


def draw_pages(task_id: int) -> None:
    """Draw the case's pages if this is the first time they are asked for (a cheap look otherwise).
    Called before the request's read session reads anything, so that it sees what was stored."""
    ensure_drawn(session_factory(), task_id, current_app.config["PIPELINE_SETTINGS"])


@bp.route("/oppgave/<int:task_id>/side/<int:number>.png")
def picture(task_id: int, number: int) -> Response:
    draw_pages(task_id)
    png = pages.page_png(reads(), task_id, number)
    if png is None:
        abort(404)
    resp = Response(png, mimetype="image/png")
    resp.headers["Content-Disposition"] = f'inline; filename="side-{number}.png"'
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp
