"""The registry page: centres with their administrators and pending cases; operators."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from pipeline.queries.queue import clean_query
from pipeline.queries.registry import registry_page
from pipeline.web.request_session import reads

bp = Blueprint("registry", __name__)


@bp.route("/register")
def index() -> str:
    q = clean_query(request.args.get("q"))
    operator_id = request.args.get("driftsoperator") or ""
    active = request.args.get("aktiv", "")
    page = registry_page(reads(), q=q, operator_id=operator_id, active=active)
    return render_template("registry.html", centres=page.centres, admins=page.admins, pending=page.pending,
                           operators=page.operators, operator_names=page.operator_names,
                           centre_counts=page.centre_counts, accounts=page.accounts, q=q, operator_id=operator_id,
                           active=active)
