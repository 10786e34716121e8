"""The task page's buttons: each calls one service function in one transaction, as the operator."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from pipeline.db.models import Task
from pipeline.errors import IllegalTransition, PipelineError
from pipeline.web import db, services, task_page
from pipeline.web.auth import operator
from pipeline.web.task_views import bp

log = logging.getLogger(__name__)


def _clean(value: str) -> str:
    # No control characters (PostgreSQL refuses NUL in text) other than line breaks and tabs.
    return "".join(ch for ch in value if ch.isprintable() or ch in "\n\t")


def _text(name: str, limit: int = 2000) -> str | None:
    value = _clean(request.form.get(name) or "").strip()
    return value[:limit] or None


def _run(task_id: int, action: Callable[[], Any], done: str) -> Response:
    dbs = db.session()
    try:
        action()
        dbs.commit()
        flash(done, "ok")
    except IllegalTransition as exc:
        dbs.rollback()
        # The service's message_no is Norwegian; its English message stays in the log.
        flash(f"Handlingen er ikke tillatt i oppgavens nåværende tilstand. {exc.message_no}", "error")
    except PipelineError as exc:
        dbs.rollback()
        flash(f"Kunne ikke utføre handlingen: {exc.message_no}", "error")
    except Exception:
        # Nothing was saved (one transaction); the operator gets a clear answer, the log the traceback.
        dbs.rollback()
        log.exception("task action failed (task %s)", task_id)
        flash("Det oppstod en uventet feil, og ingenting ble lagret. Prøv igjen, eller meld fra til IMDi-støtte.",
              "error")
    return redirect(url_for("task.show", task_id=task_id))


def _need(value: str | None, task_id: int, what: str) -> Response | None:
    if value:
        return None
    flash(f"Fyll inn {what}.", "error")
    return redirect(url_for("task.show", task_id=task_id))


@bp.route("/oppgave/<int:task_id>/godkjenn", methods=["POST"])
def approve(task_id: int) -> Response:
    reason = _text("override_reason")
    return _run(task_id, lambda: services.approve(db.session(), task_id, actor=operator(), override_reason=reason),
                "Oppgaven er godkjent." + (" Overstyringen er begrunnet og logget." if reason else ""))


@bp.route("/oppgave/<int:task_id>/avvis", methods=["POST"])
def reject(task_id: int) -> Response:
    reason = _text("reason")
    return _need(reason, task_id, "en begrunnelse for avslaget") or _run(
        task_id, lambda: services.reject(db.session(), task_id, actor=operator(), reason=reason or ""),
        "Oppgaven er avvist.")


@bp.route("/oppgave/<int:task_id>/be-om-opplysninger", methods=["POST"])
def request_info(task_id: int) -> Response:
    note = _text("note")
    return _run(task_id, lambda: services.request_info(db.session(), task_id, actor=operator(), note=note),
                "Forespørsel om opplysninger er lagt klar.")


@bp.route("/oppgave/<int:task_id>/opprettet", methods=["POST"])
def provisioned(task_id: int) -> Response:
    user_id = _text("user_id", 32)
    return _run(task_id, lambda: services.mark_provisioned(db.session(), task_id, actor=operator(), user_id=user_id),
                "Oppgaven er merket som opprettet i IMDinett.")


@bp.route("/oppgave/<int:task_id>/korriger", methods=["POST"])
def correct(task_id: int) -> Response:
    task = db.session().get(Task, task_id)
    if task is None:
        return redirect(url_for("queue.index"))
    changes: dict[str, Any] = {}
    for path in task_page.EDITABLE:
        if path not in request.form:
            continue
        new = _text(path, 500)
        if new != task_page.current_value(task, path):
            changes[path] = new
    if "centres" in request.form:
        lines = [" ".join(line.split()) for line in _clean(request.form.get("centres") or "").splitlines()]
        centres = [c[:500] for c in lines if c][:50]
        if centres != task_page.current_centres(task):
            changes["centres"] = centres
    if not changes:
        flash("Ingen endringer å lagre.", "info")
        return redirect(url_for("task.show", task_id=task_id))
    return _run(task_id, lambda: services.correct(db.session(), task_id, actor=operator(), changes=changes),
                "Rettelsene er lagret, og skjemaet er kontrollert på nytt.")


@bp.route("/oppgave/<int:task_id>/svar/<int:reply_id>/send", methods=["POST"])
def release_reply(task_id: int, reply_id: int) -> Response:
    return _run(task_id, lambda: services.release_draft(db.session(), reply_id, actor=operator()),
                "Svaret er lagt i køen og sendes ved neste runde.")


@bp.route("/oppgave/<int:task_id>/svar/<int:reply_id>", methods=["POST"])
def edit_reply(task_id: int, reply_id: int) -> Response:
    subject = _text("subject", 300)
    body = _clean((request.form.get("body_text") or "").replace("\r\n", "\n")).strip()[:20000]
    return _need(subject and body, task_id, "både emne og tekst") or _run(
        task_id, lambda: services.update_draft(db.session(), reply_id, actor=operator(), subject=subject or "",
                                               body_text=body),
        "Svarutkastet er lagret.")
