"""Proposed changes on the case page: the values an answer carried from a sender who may not change the
case by mail, shown as a difference with accept and refuse buttons (templates/web/_proposals.html).

Self-contained: the page includes `_proposals.html`, which reads through the `case_proposals(task_id)`
template global registered here; the two actions are one service use case each.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from pipeline.entrypoints.web.auth import operator
from pipeline.entrypoints.web.request_session import reads, session_factory
from pipeline.errors import PipelineError
from pipeline.queries import proposals as proposal_reads
from pipeline.usecases import proposals

log = logging.getLogger(__name__)

bp = Blueprint("proposals", __name__)


@bp.app_template_global("case_proposals")
def case_proposals(task_id: int) -> list[proposal_reads.ProposalView]:
    return proposal_reads.for_task(reads(), task_id)


def _version() -> int | None:
    raw = request.form.get("version") or ""
    return int(raw) if raw.isdigit() else None


def _decide(task_id: int, proposal_id: int, accept: bool) -> Response:
    try:
        if accept:
            proposals.accept(session_factory(), proposal_id, actor=operator(), task_id=task_id, expect_version=_version(),
                             settings=current_app.config["PIPELINE_SETTINGS"])
            flash("Forslaget er tatt i bruk, og saken er kontrollert på nytt.", "ok")
        else:
            proposals.refuse(session_factory(), proposal_id, actor=operator(), task_id=task_id, expect_version=_version())
            flash("Forslaget er avvist. Saken er uendret.", "ok")
    except PipelineError as exc:
        flash(exc.message_no, "error")
    except Exception:
        log.exception("proposal %s on task %s failed", proposal_id, task_id)
        flash("Det oppstod en uventet feil, og ingenting ble lagret.", "error")
    return redirect(url_for("task.show", task_id=task_id))


@bp.route("/oppgave/<int:task_id>/forslag/<int:proposal_id>/godta", methods=["POST"])
def accept(task_id: int, proposal_id: int) -> Response:
    return _decide(task_id, proposal_id, True)


@bp.route("/oppgave/<int:task_id>/forslag/<int:proposal_id>/avvis", methods=["POST"])
def refuse(task_id: int, proposal_id: int) -> Response:
    return _decide(task_id, proposal_id, False)
