"""The messages page: every ingested mail with its outcome, so support can see what became of it."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import defer, selectinload
from werkzeug.wrappers import Response

from pipeline.db.models import Attachment, Message, Task
from pipeline.errors import PipelineError
from pipeline.web import db, services
from pipeline.web.auth import operator
from pipeline.web.labels import OUTCOMES, RETRYABLE_OUTCOMES, outcome_label
from pipeline.web.queue_query import clean_query

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
    dbs = db.session()
    stmt = select(Message)
    if outcome in OUTCOMES:
        stmt = stmt.where(Message.outcome == outcome)
    elif outcome == "behandles":
        stmt = stmt.where(Message.outcome.is_(None))
    if q:
        # Sender addresses are indexed: a prefix range serves "kari@" or the whole address.
        stmt = stmt.where(Message.sender >= q.lower(), Message.sender < q.lower() + "\U0010ffff")
    total = dbs.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    messages = list(dbs.scalars(
        stmt.options(defer(Message.raw), selectinload(Message.attachments).defer(Attachment.data)
                     .defer(Attachment.reading))
        .order_by(Message.id.desc()).limit(cfg.page_size).offset((page - 1) * cfg.page_size)))
    ids = [m.id for m in messages]
    tasks: dict[int, list[Task]] = {i: [] for i in ids}
    if ids:
        for t in dbs.scalars(select(Task).options(defer(Task.reading)).where(Task.message_pk.in_(ids))):
            tasks[t.message_pk].append(t)
    counts = dict(dbs.execute(select(Message.outcome, func.count()).group_by(Message.outcome)).all())
    pages = min(max(1, math.ceil(total / cfg.page_size)), cfg.max_page)
    return render_template("messages.html", messages=messages, tasks=tasks, counts=counts, outcome=outcome,
                           q=q, page=page, pages=pages, total=total, OUTCOMES=OUTCOMES,
                           RETRYABLE=RETRYABLE_OUTCOMES)


@bp.route("/meldinger/<int:message_id>/kjor-paa-nytt", methods=["POST"])
def retry(message_id: int) -> Response:
    dbs = db.session()
    message = dbs.get(Message, message_id, options=[defer(Message.raw)])
    if message is None:
        flash("Meldingen finnes ikke.", "error")
    elif message.outcome not in RETRYABLE_OUTCOMES:
        flash(f"Meldingen har utfallet «{outcome_label(message.outcome)}» og kan ikke kjøres på nytt.", "error")
    else:
        dbs.rollback()  # the service works in its own transactions
        try:
            result = services.retry_message(db.factory(), message_id, current_app.config["PIPELINE_SETTINGS"],
                                            actor=operator())
            flash(f"Meldingen er behandlet på nytt. Utfall: {outcome_label(getattr(result, 'outcome', None))}.",
                  "ok")
        except PipelineError as exc:
            flash(f"Kunne ikke behandle meldingen på nytt: {exc.message_no}", "error")
    return redirect(url_for("messages.index", **{k: v for k, v in request.args.items() if k in ("utfall", "q")}))
