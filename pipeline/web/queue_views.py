"""The queue page: counts per state, and a filtered, searched, paginated list of tasks."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import func, select

from pipeline.db.models import FindingRow
from pipeline.web import db, queue_query
from pipeline.web.labels import OPEN_STATES
from pipeline.web.queue_query import clean_query

bp = Blueprint("queue", __name__)


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value or default))
    except ValueError:
        return default


@bp.route("/")
def index() -> str:
    cfg = current_app.config["PIPELINE_WEB"]
    state = request.args.get("tilstand", "apne")
    if state not in queue_query.STATE_FILTERS:
        state = "apne"
    query = queue_query.QueueQuery(state=state, q=clean_query(request.args.get("q")),
                                   newest_first=request.args.get("sortering") == "nyeste",
                                   page=min(_int(request.args.get("side"), 1), cfg.max_page))
    dbs = db.session()
    cap = cfg.page_size * cfg.max_page
    tasks, total = queue_query.page(dbs, query, cfg.page_size, max_count=cap + 1)
    ids = [t.id for t in tasks]
    centres = queue_query.centres_for(dbs, ids)
    # Errors block; warnings (admin limit, another operator's centre, a form sent twice) ask for a look.
    errors: dict[int, int] = {}
    warnings: dict[int, int] = {}
    if ids:
        rows = dbs.execute(select(FindingRow.task_id, FindingRow.severity, func.count()).where(
            FindingRow.task_id.in_(ids)).group_by(FindingRow.task_id, FindingRow.severity))
        for task_id, severity, n in rows:
            (errors if severity == "error" else warnings)[task_id] = n
    counts = queue_query.counts(dbs)
    pages = min(max(1, math.ceil(total / cfg.page_size)), cfg.max_page)
    return render_template("queue.html", tasks=tasks, centres=centres, errors=errors, warnings=warnings, total=total,
                           counts=counts, open_total=sum(counts.get(s, 0) for s in OPEN_STATES),
                           all_total=sum(counts.values()), query=query, pages=pages,
                           capped=total > cap, cap=cap)

