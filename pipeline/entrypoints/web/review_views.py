"""The access reviews page: each campaign's progress, each review's list as sent beside its answer and the
cases the answer raised; a form to start a campaign."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from pipeline.entrypoints.web.auth import operator
from pipeline.entrypoints.web.request_session import reads, session_factory
from pipeline.errors import PipelineError
from pipeline.queries.registry import registry_page
from pipeline.queries.reviews import answer_texts, campaigns, reviews
from pipeline.usecases import review_campaigns

bp = Blueprint("reviews", __name__)


@bp.route("/gjennomganger")
def index() -> str:
    state = request.args.get("status") or None
    chosen = request.args.get("kampanje") or ""
    all_campaigns = campaigns(reads())
    campaign_id = int(chosen) if chosen.isdigit() else (all_campaigns[0].id if all_campaigns else None)
    rows = reviews(reads(), state=state, campaign_id=campaign_id) if campaign_id is not None else []
    return render_template("reviews.html", campaigns=all_campaigns, campaign_id=campaign_id, reviews=rows,
                           answers=answer_texts(reads(), [r.answer_message_pk for r in rows if r.answer_message_pk]
                                                + [u["message"] for r in rows for u in r.untrusted if u.get("message")]),
                           state=state or "", operators=registry_page(reads()).operators,
                           due_default=_settings().review_due_working_days)


def _settings() -> Any:
    return current_app.config["PIPELINE_SETTINGS"]


@bp.route("/gjennomganger/start", methods=["POST"])
def start() -> Response:
    chosen = [o for o in request.form.getlist("operator") if o.startswith("DRO")][:200]
    everyone = request.form.get("all") == "ja"
    days = request.form.get("due_days") or ""
    try:
        started = review_campaigns.start(session_factory(), operators=chosen, all_operators=everyone,
                                       due_days=int(days) if days.isdigit() else None, actor=operator(),
                                       settings=_settings())
    except PipelineError as exc:
        flash(f"Gjennomgangen ble ikke startet: {exc.message_no}", "error")
        return redirect(url_for("reviews.index"))
    if started.campaign_id is None:
        flash("Ingen gjennomgang ble sendt: " + "; ".join(
            f"{s['operator_id']}: {_why_no(s['reason'])}" for s in started.skipped), "error")
        return redirect(url_for("reviews.index"))
    skipped = f" {len(started.skipped)} driftsoperatør(er) ble hoppet over." if started.skipped else ""
    flash(f"{len(started.reviews)} gjennomgang(er) er lagt i utboksen og sendes ved neste runde.{skipped}", "ok")
    return redirect(url_for("reviews.index", kampanje=started.campaign_id))


def _why_no(reason: str) -> str:
    """The service's reasons (English, for the log and the CLI) in the operator's words."""
    if reason.startswith("review ") and "waits" in reason:
        return f"gjennomgang {reason.split()[1]} venter fortsatt på svar"
    return {"no administrators": "ingen mottaksadministratorer",
            "no e-mail address in the registry": "ingen e-postadresse i registeret",
            "no such driftsoperatør in the registry": "finnes ikke i registeret"}.get(reason, reason)
