"""The case page's buttons: each calls one service use case (its own unit of work) as the operator.

Every form carries the version of the case it was drawn from; a case that changed since is refused by
the service (StaleCase), and the operator is told who changed what and when, on the page as it is now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from pipeline.errors import IllegalTransition, PipelineError
from pipeline.queries import case
from pipeline.service import cases, drafts
from pipeline.service.cases import StaleCase
from pipeline.web.auth import operator
from pipeline.web.request_session import factory, reads
from pipeline.web.task_views import bp

log = logging.getLogger(__name__)


def _clean(value: str) -> str:
    # No control characters (PostgreSQL refuses NUL in text) other than line breaks and tabs.
    return "".join(ch for ch in value if ch.isprintable() or ch in "\n\t")


def _text(name: str, limit: int = 2000) -> str | None:
    value = _clean(request.form.get(name) or "").strip()
    return value[:limit] or None


def _version() -> int | None:
    """The version of the case the form was drawn from (absent from an old page: no check)."""
    raw = request.form.get("version") or ""
    return int(raw) if raw.isdigit() else None


def _run(task_id: int, action: Callable[[], Any], done: str) -> Response:
    try:
        action()
        flash(done, "ok")
    except StaleCase as exc:
        flash(exc.message_no, "error")
    except IllegalTransition as exc:
        flash(exc.message_no, "error")
    except PipelineError as exc:
        flash(f"Kunne ikke utføre handlingen: {exc.message_no}", "error")
    except Exception:
        # Nothing was saved (one unit of work); the operator gets a clear answer, the log the traceback.
        log.exception("task action failed (task %s)", task_id)
        flash("Det oppstod en uventet feil, og ingenting ble lagret. Prøv igjen, eller meld fra til IMDi-støtte.",
              "error")
    return redirect(url_for("task.show", task_id=task_id))


def _need(value: str | None, task_id: int, what: str) -> Response | None:
    if value:
        return None
    flash(f"Fyll inn {what}.", "error")
    return redirect(url_for("task.show", task_id=task_id))


def _settings() -> Any:
    return current_app.config["PIPELINE_SETTINGS"]


@bp.route("/oppgave/<int:task_id>/godkjenn", methods=["POST"])
def approve(task_id: int) -> Response:
    reason = _text("override_reason")
    return _run(task_id, lambda: cases.approve(factory(), task_id, actor=operator(), override_reason=reason,
                                               expect_version=_version()),
                "Saken er godkjent." + (" Overstyringen er begrunnet og logget." if reason else ""))


@bp.route("/oppgave/<int:task_id>/bekreft-opplesningen", methods=["POST"])
def confirm_reading(task_id: int) -> Response:
    return _run(task_id, lambda: cases.confirm_reading(factory(), task_id, actor=operator(),
                                                       expect_version=_version()),
                "Opplesningen er bekreftet. Saken kan nå godkjennes.")


@bp.route("/oppgave/<int:task_id>/avvis", methods=["POST"])
def reject(task_id: int) -> Response:
    reason = _text("reason")
    return _need(reason, task_id, "en begrunnelse for avslaget") or _run(
        task_id, lambda: cases.reject(factory(), task_id, actor=operator(), reason=reason or "",
                                      settings=_settings(), expect_version=_version()),
        "Saken er avslått.")


@bp.route("/oppgave/<int:task_id>/be-om-opplysninger", methods=["POST"])
def request_info(task_id: int) -> Response:
    note = _text("note")
    return _run(task_id, lambda: cases.request_info(factory(), task_id, actor=operator(), note=note,
                                                    settings=_settings(), expect_version=_version()),
                "Forespørselen om opplysninger er lagt klar.")


@bp.route("/oppgave/<int:task_id>/opprettet", methods=["POST"])
def provisioned(task_id: int) -> Response:
    user_id = _text("user_id", 32)
    return _run(task_id, lambda: cases.mark_done(factory(), task_id, actor=operator(), user_id=user_id,
                                                 settings=_settings(), expect_version=_version()),
                "Saken er merket som utført i IMDinett.")


@bp.route("/oppgave/<int:task_id>/velg-bruker", methods=["POST"])
def assign(task_id: int) -> Response:
    """A removal case: whom it is about (a registry user of the operator) and where the role ends."""
    user_id = _text("user_id", 32)
    centres = [c for c in request.form.getlist("centre") if c.isdigit()][:50]
    return _need(user_id, task_id, "hvilken bruker saken gjelder") or _run(
        task_id, lambda: cases.assign(factory(), task_id, actor=operator(), user_id=user_id or "", centres=centres,
                                      settings=_settings(), expect_version=_version()),
        "Saken gjelder nå den valgte brukeren.")


@bp.route("/oppgave/<int:task_id>/ta-saken", methods=["POST"])
def take(task_id: int) -> Response:
    return _run(task_id, lambda: cases.take(factory(), task_id, actor=operator(), expect_version=_version()),
                "Du har tatt saken.")


@bp.route("/oppgave/<int:task_id>/korriger", methods=["POST"])
def correct(task_id: int) -> Response:
    page = case.load(reads(), task_id)
    if page is None:
        return redirect(url_for("queue.index"))
    task = page.task
    changes: dict[str, Any] = {}
    for path in case.EDITABLE:
        if path not in request.form:
            continue
        new = _text(path, 500)
        if new != case.current_value(task, path):
            changes[path] = new
    if "centres" in request.form:
        lines = [" ".join(line.split()) for line in _clean(request.form.get("centres") or "").splitlines()]
        centres = [c[:500] for c in lines if c][:50]
        if centres != case.current_centres(task):
            changes["centres"] = centres
    if not changes:
        flash("Ingen endringer å lagre.", "info")
        return redirect(url_for("task.show", task_id=task_id))
    return _run(task_id, lambda: cases.correct(factory(), task_id, actor=operator(), changes=changes,
                                               settings=_settings(), expect_version=_version()),
                "Rettelsene er lagret, og skjemaet er kontrollert på nytt.")


@bp.route("/oppgave/<int:task_id>/svar/<int:reply_id>/send", methods=["POST"])
def release_reply(task_id: int, reply_id: int) -> Response:
    subject = _text("subject", 300)
    body = _clean((request.form.get("body_text") or "").replace("\r\n", "\n")).strip()[:20000]
    if subject and body:
        # What is on the screen is what is sent: the text in the editor is saved and queued together.
        return _run(task_id, lambda: drafts.send(factory(), reply_id, actor=operator(), subject=subject,
                                                 body_text=body, task_id=task_id),
                    "Svaret er lagret og lagt i køen; det sendes ved neste runde.")
    return _run(task_id, lambda: drafts.release(factory(), reply_id, actor=operator(), task_id=task_id),
                "Svaret er lagt i køen og sendes ved neste runde.")


@bp.route("/oppgave/<int:task_id>/svar/<int:reply_id>", methods=["POST"])
def edit_reply(task_id: int, reply_id: int) -> Response:
    subject = _text("subject", 300)
    body = _clean((request.form.get("body_text") or "").replace("\r\n", "\n")).strip()[:20000]
    return _need(subject and body, task_id, "både emne og tekst") or _run(
        task_id, lambda: drafts.edit(factory(), reply_id, actor=operator(), subject=subject or "",
                                     body_text=body, task_id=task_id),
        "Svarutkastet er lagret.")
