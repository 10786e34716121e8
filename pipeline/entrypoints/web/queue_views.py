"""The queue page: counts per status, a filtered, searched, paginated list of cases, bulk approval of
clean cases, saved views, the counts the page polls for, and the CSV export for IMDinett.

A view (status, search, owner, order, page) lives in the URL, and case pages opened from it carry
it along, so that "next case" and "← Kø" keep it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from pipeline.core.clock import now_utc
from pipeline.core.domain import APPROVED, DONE
from pipeline.entrypoints.web.auth import operator
from pipeline.entrypoints.web.request_session import reads, session_factory
from pipeline.errors import PipelineError
from pipeline.queries import export, queue, saved_views, waiting
from pipeline.queries.queue import OPEN_STATES, clean_query
from pipeline.usecases import case_decisions as cases
from pipeline.usecases import saved_view_edits as views

bp = Blueprint("queue", __name__)

# The query-string keys of a view, in the order they are written.
VIEW_KEYS = ("status", "q", "eier", "venter", "sortering", "side")
OWNER_FILTERS = {"meg": "Mine", "ingen": "Ingen har tatt"}


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value or default))
    except ValueError:
        return default


def view_args(args: Mapping[str, str]) -> dict[str, Any]:
    """The view's keys from a request's arguments, cleaned, without the defaults (for url_for)."""
    out: dict[str, Any] = {}
    state = args.get("status") or args.get("tilstand") or ""
    if state in queue.STATE_FILTERS and state != "apne":
        out["status"] = state
    q = clean_query(args.get("q"))
    if q:
        out["q"] = q
    if args.get("eier") in OWNER_FILTERS:
        out["eier"] = args["eier"]
    if args.get("venter") in waiting.LABELS:
        out["venter"] = args["venter"]
    if args.get("sortering") == "nyeste":
        out["sortering"] = "nyeste"
    if _int(args.get("side"), 1) > 1:
        out["side"] = str(_int(args.get("side"), 1))
    return out


def view_query(args: Mapping[str, str], max_page: int = 10**6) -> queue.QueueQuery:
    view = view_args(args)
    owner = view.get("eier")
    return queue.QueueQuery(state=view.get("status", "apne"), q=view.get("q", ""),
                            newest_first=view.get("sortering") == "nyeste",
                            page=min(int(view.get("side", 1)), max_page),
                            owner=operator() if owner == "meg" else None, unowned=owner == "ingen",
                            waiting=view.get("venter"))


@bp.route("/")
def index() -> str:
    cfg = current_app.config["PIPELINE_WEB"]
    query = view_query(request.args, cfg.max_page)
    view = view_args(request.args)
    cap = cfg.page_size * cfg.max_page
    # A search counts its hits only some pages past the one shown: a common word matches thousands of
    # cases, and "over 550" says as much to the operator as the exact number.
    limit = min(cap, (query.page + 10) * cfg.page_size) if query.q else cap
    page = queue.queue_page(reads(), query, cfg.page_size, max_count=limit + 1, actor=operator())
    counts = page.counts
    more = page.total > limit
    pages = min(max(1, math.ceil(min(page.total, limit) / cfg.page_size)), cfg.max_page)
    # Case pages opened from here carry the view, without the page number (next/previous walk the view).
    carry = {k: v for k, v in view.items() if k != "side"}
    return render_template("queue.html", page=page, tasks=page.tasks, centres=page.centres, errors=page.errors,
                           warnings=page.warnings, total=page.total, counts=counts,
                           open_total=sum(counts.get(s, 0) for s in OPEN_STATES),
                           all_total=sum(counts.values()), query=query, view=view, carry=carry, pages=pages,
                           capped=more and limit == cap, more=more, limit=limit, cap=cap, OWNER_FILTERS=OWNER_FILTERS,
                           saved=saved_views.for_operator(reads(), operator()),
                           pulse=queue.pulse(reads(), operator(), counts),
                           exportable=query.state in (APPROVED, DONE), now=now_utc(),
                           waiting_counts=waiting.counts(reads()), WAITING=waiting.LABELS)


@bp.route("/ko/puls.json")
def pulse() -> Response:
    """The queue's counts, polled by the page so that new mail shows without a reload."""
    p = queue.pulse(reads(), operator())
    counts = dict(p.counts)
    return jsonify(counts=counts, open=sum(counts.get(s, 0) for s in OPEN_STATES), all=sum(counts.values()),
                   newest=p.newest_id, mine=p.mine,
                   waiting={f"venter-{k}": n for k, n in waiting.counts(reads()).items()})


@bp.route("/godkjenn-valgte", methods=["POST"])
def approve_selected() -> Response:
    """Approve the ticked clean cases, each in its own unit of work and audited on its own. The service
    asks the policy for each id posted (a case that is not clean is refused, whatever the form said)."""
    refs: list[tuple[int | str, int | None]] = []
    for raw in request.form.getlist("sak")[:500]:
        task_id, _, version = raw.partition(":")
        if task_id.isdigit():
            refs.append((int(task_id), int(version) if version.isdigit() else None))
    back = redirect(url_for("queue.index", **view_args(request.args)))
    if not refs:
        flash("Velg minst én sak å godkjenne.", "info")
        return back
    results = cases.approve_clean(session_factory(), refs, actor=operator())
    done = [r for r in results if r.ok]
    left = [r for r in results if not r.ok]
    if done:
        flash(f"{len(done)} {'sak er' if len(done) == 1 else 'saker er'} godkjent: "
              + ", ".join(r.ref for r in done) + ".", "ok")
    if left:
        flash(f"{len(left)} {'sak ble' if len(left) == 1 else 'saker ble'} ikke godkjent: "
              + " ".join(r.message_no for r in left), "error")
    return back


@bp.route("/ko/visninger", methods=["POST"])
def save_view() -> Response:
    name = clean_query(request.form.get("name"), 80)
    view = view_args(request.form)
    view.pop("side", None)
    try:
        views.save(session_factory(), operator(), name, urlencode(view))
        flash(f"Visningen «{name}» er lagret.", "ok")
    except PipelineError as exc:
        flash(exc.message_no, "error")
    return redirect(url_for("queue.index", **view))


@bp.route("/ko/visninger/<int:view_id>/slett", methods=["POST"])
def delete_view(view_id: int) -> Response:
    try:
        views.delete(session_factory(), operator(), view_id)
        flash("Visningen er slettet.", "ok")
    except PipelineError as exc:
        flash(exc.message_no, "error")
    return redirect(url_for("queue.index", **view_args(request.args)))


def _export_state() -> str:
    state = request.args.get("status") or APPROVED
    return state if state in (APPROVED, DONE) else APPROVED


def _download(data: bytes | str, mimetype: str, state: str, ext: str) -> Response:
    name = {APPROVED: "godkjente", DONE: "utforte"}[state]
    resp = Response(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}-{now_utc():%Y-%m-%d}.{ext}"'
    return resp


@bp.route("/eksport.csv")
def export_csv() -> Response:
    """The approved (or done) cases: the scripts' CSV (the columns of `pipeline queue export`), or with
    format=excel the CSV Norwegian Excel opens (`--format excel-csv`)."""
    state = _export_state()
    rows = export.export_rows(reads(), (state,))
    if request.args.get("format") == "excel":
        return _download(export.export_excel_csv(rows), "text/csv; charset=utf-8", state, "csv")
    return _download(export.export_csv(rows), "text/csv", state, "csv")


@bp.route("/eksport.xlsx")
def export_xlsx() -> Response:
    """The same rows as an Excel workbook (`--format xlsx`)."""
    state = _export_state()
    data = export.export_xlsx(export.export_rows(reads(), (state,)),
                              title="Godkjente" if state == APPROVED else "Utførte", when=now_utc())
    return _download(data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", state, "xlsx")
