"""The operators' web UI: a Flask app over the same database and services as the CLI.

    create_app(settings) -> Flask

Pages (all behind a login): the queue (/), a case (/oppgave/<id>), messages (/meldinger),
the registry (/register). For operations, without a login: /healthz and /metrics (web/health.py). Templates live in templates/web/, Norwegian bokmål throughout.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.session import database_error
from pipeline.checks.texts import APPROVAL_QUESTION
from pipeline.core import auth_words
from pipeline.core.second_try import RETRIED_CODES
from pipeline.entrypoints.web import detail_labels, labels
from pipeline.entrypoints.web.secret import secret_key_for
from pipeline.entrypoints.web.template_code import TEMPLATE_CODE
from pipeline.errors import DatabaseBusy, DatabaseError, DiskFull
from pipeline.resources import templates_dir
from pipeline.settings import Settings

# Pages are HTML, CSS and one script file from this site: no inline scripts or styles, no eval, no
# outside sources, no frames or plugins; the page may fetch (the queue's counts) only from here. A
# form's pages are shown as pictures drawn on the server, never as the PDF itself (it may carry scripts).
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "frame-src 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("X-Frame-Options", "DENY")
    # Personal data: never kept by a shared cache or the browser's back-forward cache on disk.
    response.headers.setdefault("Cache-Control", "no-store")
    if current_app.config["PIPELINE_WEB"].cookie_secure:
        # Served over HTTPS (the proxy's): the browser then never tries this host over plain HTTP, where
        # the cookie would not go and a network attacker could answer instead. Only this host: the
        # organisation's other names are not ours to bind.
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def create_app(settings: Settings, *, session_factory: sessionmaker[Session] | None = None) -> Flask:
    from pipeline.entrypoints.web import (
        auth,
        health,
        messages_views,
        page_views,
        proposal_views,
        queue_views,
        registry_views,
        request_session,
        review_views,
        task_actions,
    )

    config = settings.web
    web_templates = templates_dir() / "web"
    app = Flask(__name__, template_folder=str(web_templates), static_folder=str(web_templates / "static"),
                static_url_path="/static")
    app.config.update(
        SECRET_KEY=secret_key_for(config, settings.data_dir),
        PIPELINE_WEB=config,
        PIPELINE_SETTINGS=settings,
        # Tokens live as long as the session: an operator may keep a task open for a while.
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    _set_up_templates(app)
    if session_factory is None:
        from pipeline.adapters.db.session import open_database

        session_factory = open_database(settings)
    app.extensions["pipeline.session_factory"] = session_factory

    @app.before_request
    def _registry_uploads() -> None:
        # An IMDinett export is larger than any form post: only its upload takes more than the app's limit.
        # Set before CSRFProtect's check, which reads the form.
        if request.endpoint == "registry.upload":
            request.max_content_length = registry_views.MAX_UPLOAD_BYTES

    CSRFProtect(app)
    auth.init_app(app)
    # /healthz and /metrics for operations: in front of Flask, so no login, cookie or CSRF applies to them.
    app.wsgi_app = health.mount(app.wsgi_app, session_factory, settings)  # type: ignore[method-assign,assignment]
    # task_actions adds the case page's decisions to task_views' blueprint.
    for module in (queue_views, task_actions, page_views, messages_views, registry_views, review_views,
                   proposal_views):
        app.register_blueprint(module.bp)
    app.teardown_appcontext(request_session.close)
    app.after_request(_security_headers)
    _set_up_error_pages(app, settings)
    return app


def _set_up_templates(app: Flask) -> None:
    from pipeline.core import domain

    app.jinja_env.autoescape = True
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.bytecode_cache = TEMPLATE_CODE  # compiled once per process, whatever apps it makes
    app.jinja_env.filters.update(
        state=labels.state_label, outcome=labels.outcome_label, field=labels.field_label,
        localtime=labels.local_time, age=labels.age_text, provenance=labels.provenance_text,
        audit=labels.audit_label, short=labels.short, auth_result=auth_words.reason_words,
        address=labels.breakable_address, detail_key=detail_labels.key,
        detail_value=lambda v, name="": detail_labels.scalar(name, v), audit_details=detail_labels.audit_text,
    )
    app.jinja_env.tests["clean_in"] = lambda task, page: page.clean(task)
    app.jinja_env.globals.update(STATES=labels.STATES, REPLY_KINDS=labels.REPLY_KINDS,
                                 REPLY_STATES=labels.REPLY_STATES, ATTACHMENT_CODES=labels.ATTACHMENT_CODES,
                                 ATTACHMENT_HELP=labels.ATTACHMENT_HELP,
                                 CENTRE_KINDS=labels.CENTRE_KINDS, KIND_LABELS=domain.KIND_LABELS,
                                 ORIGINS=domain.ORIGINS, REVIEW_STATES=domain.REVIEW_STATES,
                                 USER_STATUSES=domain.USER_STATUSES, USER_SOURCES=domain.USER_SOURCES,
                                 USER_ID_HINT=domain.USER_ID_HINT, RETRIED_CODES=RETRIED_CODES,
                                 APPROVAL_QUESTION=APPROVAL_QUESTION)


def _set_up_error_pages(app: Flask, settings: Settings) -> None:
    """Every error an operator can meet as a Norwegian page with the right status, never a stack trace."""

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> tuple[str, int]:
        return render_template("error.html", title="Skjemaet er utløpt",
                               text="Skjemaet manglet en gyldig sikkerhetsnøkkel (CSRF). "
                                    "Last siden på nytt og prøv igjen."), 400

    @app.errorhandler(404)
    def _not_found(_exc: Exception) -> tuple[str, int]:
        return render_template("error.html", title="Fant ikke siden",
                               text="Siden eller oppføringen finnes ikke."), 404

    @app.errorhandler(OperationalError)
    @app.errorhandler(DatabaseError)
    def _database_unavailable(exc: Exception) -> tuple[str, int, dict[str, str]]:
        # A database that is locked by another writer, full or away is not a fault of the page: say so in
        # Norwegian and ask the browser to come back (503 with Retry-After), never a 500.
        err = exc if isinstance(exc, DatabaseError) else database_error(exc, settings.db_url)
        if err is None:
            raise exc
        logging.getLogger(__name__).warning("web: %s (%s)", err.message, err.code)
        if isinstance(err, DatabaseBusy):
            title, text = "Prøv igjen om litt", "Databasen er opptatt akkurat nå. Prøv igjen om litt."
        elif isinstance(err, DiskFull):
            title, text = "Prøv igjen om litt", ("Disken med databasen er full, så ingenting kan lagres nå. "
                                                  "Meld fra til IMDi-støtte, og prøv igjen om litt.")
        else:
            title, text = "Prøv igjen om litt", "Databasen svarer ikke akkurat nå. Prøv igjen om litt."
        return render_template("error.html", title=title, text=text), 503, {"Retry-After": "30"}

    @app.errorhandler(500)
    def _server_error(_exc: Exception) -> tuple[str, int]:
        return render_template("error.html", title="Noe gikk galt",
                               text="Det oppstod en uventet feil. Prøv igjen, eller meld fra til IMDi-støtte."), 500
