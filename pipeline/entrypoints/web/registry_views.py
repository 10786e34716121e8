"""The registry page: centres with their administrators and pending cases; users with their centres, source and
status ("Fjern tilgang" on a user); the upload of IMDinett's export with its report; operators."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from pipeline.entrypoints.web.auth import operator
from pipeline.entrypoints.web.request_session import reads, session_factory
from pipeline.errors import PipelineError
from pipeline.queries.queue import clean_query
from pipeline.queries.registry import registry_page
from pipeline.queries.registry_users import FILTERS, users
from pipeline.registry.report import ImportReport
from pipeline.usecases.registry_import import run_import
from pipeline.usecases.removal_orders import request_removal

bp = Blueprint("registry", __name__)
log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 32 * 1024 * 1024  # an export of some 300,000 users
_FILES = ("operators", "centres", "users")


def _page(report: ImportReport | None = None, status: int = 200) -> tuple[str, int]:
    q = clean_query(request.args.get("q"))
    operator_id = request.args.get("driftsoperator") or ""
    active = request.args.get("aktiv", "")
    who = clean_query(request.args.get("bruker"))
    user_status = request.args.get("status", "")
    page = registry_page(reads(), q=q, operator_id=operator_id, active=active)
    listed = users(reads(), q=who, status=user_status, operator_id=operator_id) \
        if (who or user_status in FILTERS or operator_id) else []
    return render_template("registry.html", centres=page.centres, admins=page.admins, pending=page.pending,
                           operators=page.operators, operator_names=page.operator_names,
                           centre_counts=page.centre_counts, accounts=page.accounts, q=q, operator_id=operator_id,
                           active=active, users=listed, who=who, user_status=user_status,
                           searched=bool(who or user_status in FILTERS or operator_id), report=report,
                           grace_default=_settings().registry_grace_days), status


def _settings() -> Any:
    from flask import current_app

    return current_app.config["PIPELINE_SETTINGS"]


@bp.route("/register")
def index() -> tuple[str, int]:
    return _page()


@bp.route("/register/bruker/<user_id>/fjern", methods=["POST"])
def remove(user_id: str) -> Response:
    """IMDi support asks that a user's role end (at the centres ticked, or all): a removal case to decide."""
    reason = " ".join((request.form.get("reason") or "").split())[:1000]
    centres = [c for c in request.form.getlist("centre") if c.isdigit()][:50]
    back = redirect(url_for("registry.index", bruker=user_id) + f"#bruker-{user_id}")
    if not reason:
        flash("Skriv hvorfor tilgangen skal fjernes.", "error")
        return back
    try:
        asked = request_removal(session_factory(), user_id=user_id, centres=centres, reason=reason, actor=operator())
    except PipelineError as exc:
        flash(f"Kunne ikke lage saken: {exc.message_no}", "error")
        return back
    if asked.new:
        flash(f"Sak {asked.case_ref} om å fjerne tilgangen er laget og ligger til vurdering.", "ok")
    else:
        flash(f"Det finnes allerede en sak om å fjerne denne tilgangen: {asked.case_ref}.", "info")
    return redirect(url_for("task.show", task_id=asked.id))


@bp.route("/register/import", methods=["POST"])
def upload() -> tuple[str, int] | Response:
    """Import the uploaded files (a dry run, or for real) and show the report on the page."""
    uploads = {k: up for k in _FILES if (up := request.files.get(k)) is not None and up.filename}
    if not uploads:
        flash("Velg minst én fil å importere.", "error")
        return redirect(url_for("registry.index"))
    complete = request.form.get("complete") == "ja"
    dry_run = request.form.get("dry_run") == "ja"
    grace = request.form.get("grace_days") or ""
    try:
        with tempfile.TemporaryDirectory(prefix="registry-upload-") as folder:
            paths: dict[str, Path] = {}
            for kind, storage in uploads.items():
                paths[kind] = Path(folder) / f"{kind}.csv"
                storage.save(paths[kind])
            report = run_import(session_factory(), operators=paths.get("operators"), centres=paths.get("centres"),
                                users=paths.get("users"), complete=complete, dry_run=dry_run,
                                grace_days=int(grace) if grace.isdigit() else None, actor=operator(),
                                settings=_settings())
    except PipelineError as exc:
        flash(f"Importen ble ikke gjort: {exc.message_no if exc.message_no != PipelineError.message_no else exc.message}",
              "error")
        return redirect(url_for("registry.index"))
    for part in report.files:  # the names the operator chose, not our temporary ones
        if part.kind in uploads:
            part.file = uploads[part.kind].filename or part.kind
    if report.dry_run:
        flash("Prøvekjøring: ingenting er endret. Rapporten viser hva importen ville gjort.", "info")
    elif report.ok:
        flash("Registeret er importert.", "ok")
    else:
        flash("Noen rader ble avvist; se rapporten.", "error")
    return _page(report)
