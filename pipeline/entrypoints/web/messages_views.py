"""The messages page: every mail taken in, with its outcome, so support can see what became of it."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from pipeline.entrypoints.web.auth import operator
from pipeline.entrypoints.web.labels import OUTCOMES, RETRYABLE_OUTCOMES, outcome_label
from pipeline.entrypoints.web.request_session import reads, session_factory
from pipeline.errors import PipelineError
from pipeline.queries import messages as message_reads
from pipeline.queries.queue import clean_query
from pipeline.usecases import message_retries as messages

bp = Blueprint("messages", __name__)


@bp.route("/meldinger")
def index() -> str:
    cfg = current_app.config["PIPELINE_WEB"]
    outcome = request.args.get("utfall", "")
    q = clean_query(request.args.get("q"))
    try:
        page = min(max(1, int(request.args.get("side") or 1)), cfg.max_page)
    except ValueError:
        page = 1
    found = message_reads.messages_page(reads(), outcome=outcome if outcome in OUTCOMES else None,
                                        processing=outcome == "behandles", sender_prefix=q, page=page,
                                        page_size=cfg.page_size)
    pages = min(max(1, math.ceil(found.total / cfg.page_size)), cfg.max_page)
    return render_template("messages.html", messages=found.messages, tasks=found.tasks, counts=found.counts,
                           outcome=outcome, q=q, page=page, pages=pages, total=found.total, OUTCOMES=OUTCOMES,
                           RETRYABLE=RETRYABLE_OUTCOMES)


@bp.route("/meldinger/<int:message_id>/kjor-paa-nytt", methods=["POST"])
def retry(message_id: int) -> Response:
    found = message_reads.message(reads(), message_id)
    if found is None:
        flash("Meldingen finnes ikke.", "error")
    elif found.outcome not in RETRYABLE_OUTCOMES:
        flash(f"Meldingen har utfallet «{outcome_label(found.outcome)}» og kan ikke kjøres på nytt.", "error")
    else:
        try:
            # Queued for the worker: a hostile mail must not cost the web process its memory and time.
            messages.queue_retry(session_factory(), message_id, actor=operator())
            flash("Meldingen er lagt i kø og behandles på nytt av arbeideren om litt.", "ok")
        except PipelineError as exc:
            flash(f"Kunne ikke behandle meldingen på nytt: {exc.message_no}", "error")
    kept = {k: v for k, v in request.args.items() if k in ("utfall", "q")}
    return redirect(url_for("messages.index", **kept))  # type: ignore[arg-type]
