"""The queue page: counts per state, and a filtered, searched, paginated list of cases."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, render_template, request

from pipeline.queries import queue
from pipeline.queries.queue import OPEN_STATES, clean_query
from pipeline.web.request_session import reads

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
    if state not in queue.STATE_FILTERS:
        state = "apne"
    query = queue.QueueQuery(state=state, q=clean_query(request.args.get("q")),
                             newest_first=request.args.get("sortering") == "nyeste",
                             page=min(_int(request.args.get("side"), 1), cfg.max_page))
    cap = cfg.page_size * cfg.max_page
    page = queue.queue_page(reads(), query, cfg.page_size, max_count=cap + 1)
    counts = page.counts
    pages = min(max(1, math.ceil(page.total / cfg.page_size)), cfg.max_page)
    return render_template("queue.html", tasks=page.tasks, centres=page.centres, errors=page.errors,
                           warnings=page.warnings, total=page.total, counts=counts,
                           open_total=sum(counts.get(s, 0) for s in OPEN_STATES),
                           all_total=sum(counts.values()), query=query, pages=pages,
                           capped=page.total > cap, cap=cap)
