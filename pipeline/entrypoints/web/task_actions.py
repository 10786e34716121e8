"""The case page's buttons: each calls one service use case (its own unit of work) as the operator.

Every form carries the version of the case it was drawn from; a case that changed since (a decision,
a correction, another operator's edit of a reply) is refused by the service (StaleCase), nothing is
saved or sent, and the page is shown as the case is now, with the refusal saying who changed what
and when, and with what the operator typed kept in the form.

After a decision the operator goes on to the next case of the view the case was opened from (the
view travels in the query string); other actions come back to the case.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from pipeline.entrypoints.web.auth import operator
from pipeline.entrypoints.web.queue_views import view_args, view_query
from pipeline.entrypoints.web.request_session import reads, session_factory
from pipeline.entrypoints.web.task_views import bp, render_case
from pipeline.errors import IllegalTransition, PipelineError
from pipeline.queries import case, queue
from pipeline.usecases import case_decisions as cases
from pipeline.usecases import reply_drafts as drafts
from pipeline.usecases.case_decisions import StaleCase

log = logging.getLogger(__name__)

# IMDinett's user ids (registry users.csv): U and digits.
USER_ID = re.compile(r"^U\d{3,12}$")
Outcome = tuple[str, str]  # (message, flash category)


def _clean(value: str) -> str:
    # No control characters (PostgreSQL refuses NUL in text) other than line breaks and tabs.
    return "".join(ch for ch in value if ch.isprintable() or ch in "\n\t")


def _text(name: str, limit: int = 2000) -> str | None:
    value = _clean(request.form.get(name) or "").strip()
    return value[:limit] or None


def _body(name: str = "body_text") -> str:
    return _clean((request.form.get(name) or "").replace("\r\n", "\n")).strip()[:20000]


def _version() -> int | None:
    """The version of the case the form was drawn from (absent from an old page: no check)."""
    raw = request.form.get("version") or ""
    return int(raw) if raw.isdigit() else None


def _typed() -> dict[str, str]:
    """What the operator typed, to show again when the action is refused."""
    return {k: _clean(v)[:20000] for k, v in request.form.items() if k not in ("csrf_token", "version")}


def _view() -> dict[str, Any]:
    view = view_args(request.args)
    view.pop("side", None)
    return view


def _back(task_id: int) -> Response:
    return redirect(url_for("task.show", task_id=task_id, **_view()))


def _advance(task_id: int) -> Response:
    """The next case of the view the case was opened from, or the view itself when it was the last."""
    _, nxt = queue.neighbours(reads(), view_query(request.args), task_id)
    if nxt is not None:
        return redirect(url_for("task.show", task_id=nxt, **_view()))
    flash("Det var siste sak i denne visningen.", "info")
    return redirect(url_for("queue.index", **_view()))


def _refused(task_id: int, message: str, *, status: int = 200, **extra: Any) -> Response:
    flash(message, "error")
    html, code = render_case(task_id, status=status, typed=_typed(), **extra)
    return current_app.make_response((html, code))


def _run(task_id: int, action: Callable[[], Any], done: str | Callable[[Any], Outcome], *,
         advance: bool = False) -> Response:
    try:
        result = action()
    except StaleCase as exc:
        return _refused(task_id, exc.message_no, status=409, stale=True)
    except IllegalTransition as exc:
        return _refused(task_id, exc.message_no)
    except PipelineError as exc:
        return _refused(task_id, f"Kunne ikke utføre handlingen: {exc.message_no}")
    except Exception:
        # Nothing was saved (one unit of work); the operator gets a clear answer, the log the traceback.
        log.exception("task action failed (task %s)", task_id)
        return _refused(task_id, "Det oppstod en uventet feil, og ingenting ble lagret. Prøv igjen, eller meld fra "
                                 "til IMDi-støtte.")
    text, category = done(result) if callable(done) else (done, "ok")
    flash(text, category)
    return _advance(task_id) if advance else _back(task_id)


def _need(value: str | None, task_id: int, what: str) -> Response | None:
    """A refusal when a required field is empty (the page shown again with what was typed)."""
    return None if value else _refused(task_id, f"Fyll inn {what}.")


def _settings() -> Any:
    return current_app.config["PIPELINE_SETTINGS"]


def _ref(task_id: int) -> str:
    return case.find_ref(reads(), task_id) or str(task_id)


@bp.route("/oppgave/<int:task_id>/godkjenn", methods=["POST"])
def approve(task_id: int) -> Response:
    reason = _text("override_reason")
    if "override_reason" in request.form and reason is None:
        return _refused(task_id, "Skriv hvorfor saken godkjennes selv om den har feil. Et felt med bare "
                                 "mellomrom er ikke en begrunnelse.")
    ref = _ref(task_id)
    return _run(task_id, lambda: cases.approve(session_factory(), task_id, actor=operator(), override_reason=reason,
                                               expect_version=_version()),
                f"Sak {ref} er godkjent." + (" Overstyringen er begrunnet og logget." if reason else ""),
                advance=True)


def _shown(text: str | None) -> str:
    """A fingerprint of the text the preview showed: a decision posted with other words is previewed again."""
    return hashlib.sha256((text or "").encode()).hexdigest()[:16]


def _changed_since_preview(text: str | None) -> bool:
    shown = request.form.get("shown")
    return shown is not None and shown != _shown(text)


def _preview(task_id: int, kind: str, notice: str | None = None) -> Response:
    """The e-mail the sender will get, before anything is stored or queued."""
    page = case.load(reads(), task_id)
    if page is None:
        return redirect(url_for("queue.index"))
    reason, note, internal = _text("reason"), _text("note"), _text("internal_note")
    if kind == "rejection" and not reason:
        return _refused(task_id, "Skriv en begrunnelse for avslaget. Den står i e-posten til avsenderen.")
    shown = cases.preview(session_factory(), task_id, kind=kind, reason=reason, note=note, settings=_settings())
    if notice:
        flash(notice, "info")
    return current_app.make_response(render_template(
        "preview.html", p=page, t=page.task, kind=kind, preview=shown, reason=reason or "", note=note or "",
        internal_note=internal or "", version=_version(), view=_view(),
        shown=_shown(reason if kind == "rejection" else note)))


@bp.route("/oppgave/<int:task_id>/avvis/forhandsvis", methods=["POST"])
def preview_reject(task_id: int) -> Response:
    return _preview(task_id, "rejection")


@bp.route("/oppgave/<int:task_id>/be-om-opplysninger/forhandsvis", methods=["POST"])
def preview_request_info(task_id: int) -> Response:
    return _preview(task_id, "needs_info")


@bp.route("/oppgave/<int:task_id>/bekreft-opplesningen", methods=["POST"])
def confirm_reading(task_id: int) -> Response:
    return _run(task_id, lambda: cases.confirm_reading(session_factory(), task_id, actor=operator(),
                                                       expect_version=_version()),
                "Opplesningen er bekreftet. Saken kan nå godkjennes.")


@bp.route("/oppgave/<int:task_id>/avvis", methods=["POST"])
def reject(task_id: int) -> Response:
    reason = _text("reason")
    if not reason:
        return _refused(task_id, "Fyll inn en begrunnelse for avslaget. Den står i e-posten til avsenderen.")
    if _changed_since_preview(reason):
        # What is sent is what was on the screen: new words are shown before they go.
        return _preview(task_id, "rejection", "Du endret teksten. Se over e-posten slik den blir nå.")
    ref = _ref(task_id)
    return _run(task_id, lambda: cases.reject(session_factory(), task_id, actor=operator(), reason=reason,
                                              settings=_settings(), expect_version=_version(),
                                              internal_note=_text("internal_note")),
                f"Sak {ref} er avslått, og e-posten om avslaget er lagt i utboksen.", advance=True)


@bp.route("/oppgave/<int:task_id>/be-om-opplysninger", methods=["POST"])
def request_info(task_id: int) -> Response:
    note = _text("note")
    if _changed_since_preview(note):
        return _preview(task_id, "needs_info", "Du endret teksten. Se over e-posten slik den blir nå.")
    ref = _ref(task_id)
    return _run(task_id, lambda: cases.request_info(session_factory(), task_id, actor=operator(), note=note,
                                                    settings=_settings(), expect_version=_version(),
                                                    internal_note=_text("internal_note")),
                f"Forespørselen om opplysninger i sak {ref} er lagt i utboksen.", advance=True)


@bp.route("/oppgave/<int:task_id>/opprettet", methods=["POST"])
def provisioned(task_id: int) -> Response:
    # Whether a user id is needed and what it may look like is the service's rule (a new user needs one).
    user_id = _text("user_id", 32)
    ref = _ref(task_id)
    return _run(task_id, lambda: cases.mark_done(session_factory(), task_id, actor=operator(), user_id=user_id,
                                                 settings=_settings(), expect_version=_version()),
                f"Sak {ref} er merket som utført i IMDinett.", advance=True)


@bp.route("/oppgave/<int:task_id>/velg-bruker", methods=["POST"])
def assign(task_id: int) -> Response:
    """A removal case: whom it is about (a registry user of the operator) and where the role ends."""
    user_id = _text("user_id", 32)
    centres = [c for c in request.form.getlist("centre") if c.isdigit()][:50]
    return _need(user_id, task_id, "hvilken bruker saken gjelder") or _run(
        task_id, lambda: cases.assign(session_factory(), task_id, actor=operator(), user_id=user_id or "", centres=centres,
                                      settings=_settings(), expect_version=_version()),
        "Saken gjelder nå den valgte brukeren.")


@bp.route("/oppgave/<int:task_id>/ta-saken", methods=["POST"])
def take(task_id: int) -> Response:
    def done(result: Any) -> Outcome:
        return f"Du har tatt sak {result.case_ref}.", "ok"

    if request.form.get("fra") == "ko":
        # Taken from the queue: back to the queue, where the row now says who holds it.
        try:
            result = cases.take(session_factory(), task_id, actor=operator(), expect_version=_version())
            flash(done(result)[0], "ok")
        except PipelineError as exc:
            flash(exc.message_no, "error")
        return redirect(url_for("queue.index", **view_args(request.args)))
    return _run(task_id, lambda: cases.take(session_factory(), task_id, actor=operator(), expect_version=_version()), done)


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
        return _back(task_id)

    def done(result: Any) -> Outcome:
        # The checks ran again: say so only as good news when nothing blocks any more.
        if result.data.get("blocking"):
            return ("Rettelsene er lagret og kontrollert på nytt, men saken har fortsatt feil som må løses "
                    "(se feltene merket med feil).", "warning")
        if result.data.get("findings"):
            # No error left, but every finding still makes approval ask for a reason (core.policy).
            return ("Rettelsene er lagret og kontrollert på nytt. Ingen feil gjenstår, men se merknadene: "
                    "saken godkjennes bare med en begrunnelse.", "ok")
        return "Rettelsene er lagret og kontrollert på nytt. Ingen feil hindrer godkjenning.", "ok"

    return _run(task_id, lambda: cases.correct(session_factory(), task_id, actor=operator(), changes=changes,
                                               settings=_settings(), expect_version=_version()), done)


@bp.route("/oppgave/<int:task_id>/svar/<int:reply_id>/send", methods=["POST"])
def release_reply(task_id: int, reply_id: int) -> Response:
    subject = _text("subject", 300)
    body = _body()
    if subject and body:
        # What is on the screen is what is sent: the text in the editor is saved and queued together.
        return _run(task_id, lambda: drafts.send(session_factory(), reply_id, actor=operator(), subject=subject,
                                                 body_text=body, task_id=task_id, expect_version=_version()),
                    "Svaret er lagret slik det står, og lagt i utboksen; det sendes ved neste runde.")
    if "body_text" in request.form:
        return _refused(task_id, "Fyll inn både emne og tekst før svaret sendes.")
    return _run(task_id, lambda: drafts.release(session_factory(), reply_id, actor=operator(), task_id=task_id,
                                                expect_version=_version()),
                "Svaret er lagt i utboksen og sendes ved neste runde.")


@bp.route("/oppgave/<int:task_id>/svar/<int:reply_id>", methods=["POST"])
def edit_reply(task_id: int, reply_id: int) -> Response:
    subject = _text("subject", 300)
    body = _body()
    if not (subject and body):
        return _refused(task_id, "Fyll inn både emne og tekst.")
    return _run(task_id, lambda: drafts.edit(session_factory(), reply_id, actor=operator(), subject=subject,
                                             body_text=body, task_id=task_id, expect_version=_version()),
                "Svarutkastet er lagret.")
