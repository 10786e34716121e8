"""Login, logout, and the guard that keeps every page behind a login."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from pipeline.service import accounts
from pipeline.web.request_session import factory, reads

bp = Blueprint("auth", __name__)

# Reachable without a login: the login form itself and the stylesheet it needs.
_PUBLIC = {"auth.login", "auth.favicon", "static"}


# What a `next` may hold: printable ASCII (our own links are percent-encoded), no space.
_URL_CHARS = frozenset(map(chr, range(0x21, 0x7F)))


def same_site_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: the login page must not bounce anyone elsewhere.

    Judged as a browser reads a URL (the WHATWG URL standard): it removes tabs and line breaks anywhere
    and control characters and spaces at the ends, reads a backslash as a slash, and takes what then
    starts with two slashes as another host (`/%09/evil.example`, decoded, is `//evil.example`). So a `next` with
    any such character is refused, not cleaned (cleaning is what made that host), and what is left must
    parse with no scheme and no host and start with exactly one slash. Line breaks would also break the
    Location header (a 500 before)."""
    if not target or len(target) > 2000 or not set(target) <= _URL_CHARS or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return target


def _safe_next(target: str | None) -> str:
    return same_site_path(target) or url_for("queue.index")


def operator() -> str:
    return str(g.operator)


def require_login() -> Response | None:
    g.operator = None
    if request.endpoint in _PUBLIC:
        return None
    # Re-checked on every request: a deactivated or locked account loses its open sessions too.
    account = accounts.signed_in(reads(), session.get("op_id"), session.get("op"), session.get("op_epoch"))
    if account is None:
        # Drop only the login: the CSRF secret stays, so a login form open in another tab still works.
        session.pop("op_id", None)
        session.pop("op", None)
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return redirect(url_for("auth.login"))
    g.operator = account.username
    return None


@bp.route("/logg-inn", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        if session.get("op_id"):
            return redirect(_safe_next(request.args.get("next")))
        return render_template("login.html", next=request.args.get("next", ""))
    username = "".join(ch for ch in (request.form.get("username") or "") if ch.isprintable()).strip()[:100]
    password = request.form.get("password") or ""
    cfg = current_app.config["PIPELINE_WEB"]
    result = accounts.login(factory(), username, password, max_failed=cfg.max_failed_logins,
                            lockout_minutes=cfg.lockout_minutes)
    if not result.ok or result.account is None:
        # One message for every failure (unknown name, wrong password, locked, inactive): telling them
        # apart would reveal which operator names exist.
        flash(f"Feil brukernavn eller passord. Etter {cfg.max_failed_logins} mislykkede forsøk sperres kontoen "
              f"i {cfg.lockout_minutes} minutter; en kollega kan låse den opp.", "error")
        return render_template("login.html", next=request.form.get("next", ""), username=username), 401
    # A fresh session at login (no fixation of a session set up before it).
    session.clear()
    session.permanent = True
    session["op_id"] = result.account.id
    session["op"] = result.account.username
    session["op_epoch"] = result.account.session_epoch
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/favicon.ico")
def favicon() -> Response:
    # Browsers ask for it on every page; without this it would be one more redirect to the login page.
    return Response(status=204)


@bp.route("/logg-ut", methods=["POST"])
def logout() -> Response:
    name = g.get("operator")
    if name and session.get("op_id"):
        accounts.logout(factory(), int(session["op_id"]), actor=name)
    session.clear()
    flash("Du er logget ut.", "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    cfg = app.config["PIPELINE_WEB"]
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cfg.cookie_secure,
        SESSION_COOKIE_NAME="pipeline_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=cfg.session_hours),
    )
    app.before_request(require_login)
    app.register_blueprint(bp)
