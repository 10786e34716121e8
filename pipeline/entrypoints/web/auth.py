"""Login, logout, and the guard that keeps every page behind a login.

Failed logins, and who they can stop (post@imdi.no's operators face the internet through the proxy;
anyone can reach the login page and knows, or guesses, an operator's name):

- Every failed login is counted against the client that made it: its address (an IPv6 client by its
  /64), read from X-Forwarded-For only when the connection comes from a proxy listed in
  PIPELINE_WEB_TRUSTED_PROXIES (pipeline.entrypoints.web.clients), and against the name it tried, whether or not
  that name exists. Counts cover the last PIPELINE_WEB_LOCKOUT_MINUTES (15).
- A client with PIPELINE_WEB_CLIENT_NAME_FAILED_LOGINS (3) failures for one name, or
  PIPELINE_WEB_CLIENT_FAILED_LOGINS (20) for any names, is refused with 429 and a Norwegian page, without
  the password being checked, until its oldest counted failure leaves the window. Refusals are not
  counted, so they neither lengthen the wait nor move the account towards its lockout.
- An account is locked for the window when PIPELINE_WEB_MAX_FAILED_LOGINS (10) wrong passwords for it,
  from all clients together, fall within the window. The per-name limit must be below it (checked at
  start): one client can never lock an account, so a stranger's failures stop only the stranger, and
  the operator logs in from their own machine; with the defaults even a stranger's failures plus the
  operator's own typing errors (3 + 3) stay below 10, and locking an account takes four clients or
  more, a distributed guess, against which the lockout still caps the guesses at 10 per 15 minutes.
- A lockout refuses password logins only: the operator's open sessions go on (they were opened with
  the right password; whoever guesses holds none of them). A new password or deactivation ends them.
- A colleague's `pipeline operators unlock NAME` (or a new password) forgives every failure for the name.
- Every answer to a failure is the same (unknown name, wrong password, locked, inactive), and the
  throttle counts unknown names as well, so neither reveals which names exist.

Caveat: clients behind one address (an office's NAT) share their counts; a stranger there can stop a
colleague's name for the window (not lock it). Behind the proxy, leaving PIPELINE_WEB_TRUSTED_PROXIES
unset makes every client the proxy: set it.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from pipeline.entrypoints.web import clients
from pipeline.entrypoints.web.request_session import reads, session_factory
from pipeline.queries.accounts import signed_in
from pipeline.usecases import accounts

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
    # Re-checked on every request: a deactivated account loses its open sessions too.
    account = signed_in(reads(), session.get("op_id"), session.get("op"), session.get("op_epoch"))
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
    result = accounts.login(session_factory(), username, password, client=clients.client_key(request.remote_addr),
                            policy=current_app.config["PIPELINE_LOGIN_POLICY"])
    if result.reason == "throttled":
        return _throttled(result.retry_after)
    if not result.ok or result.account is None:
        # One message for every failure (unknown name, wrong password, locked, inactive): telling them
        # apart would reveal which operator names exist.
        flash(f"Feil brukernavn eller passord. Etter {cfg.client_name_failed_logins} mislykkede forsøk må du "
              f"vente opptil {cfg.lockout_minutes} minutter før du kan prøve igjen; en kollega kan låse opp "
              "kontoen din.", "error")
        return render_template("login.html", next=request.form.get("next", ""), username=username), 401
    # A fresh session at login (no fixation of a session set up before it).
    session.clear()
    session.permanent = True
    session["op_id"] = result.account.id
    session["op"] = result.account.username
    session["op_epoch"] = result.account.session_epoch
    return redirect(_safe_next(request.form.get("next")))


def _throttled(seconds: int) -> Response:
    minutes = max(1, -(-seconds // 60))
    wait = "ett minutt" if minutes == 1 else f"{minutes} minutter"
    resp = make_response(render_template(
        "error.html", title="For mange mislykkede innlogginger",
        text=f"Det er gjort for mange mislykkede innloggingsforsøk herfra på kort tid, så innlogging herfra er "
             f"stengt en stund. Prøv igjen om {wait}, eller be en kollega låse opp kontoen din.",
        back=url_for("auth.login"), back_text="Til innloggingen"), 429)
    resp.headers["Retry-After"] = str(seconds)
    return resp


@bp.route("/favicon.ico")
def favicon() -> Response:
    # Browsers ask for it on every page; without this it would be one more redirect to the login page.
    return Response(status=204)


@bp.route("/logg-ut", methods=["POST"])
def logout() -> Response:
    name = g.get("operator")
    if name and session.get("op_id"):
        accounts.logout(session_factory(), int(session["op_id"]), actor=name)
    session.clear()
    flash("Du er logget ut.", "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    cfg = app.config["PIPELINE_WEB"]
    # Both checked here, so that a bad value stops `pipeline serve` at once (ConfigError naming it).
    app.wsgi_app = clients.ForwardedFor(app.wsgi_app, clients.trusted_networks(cfg.trusted_proxies))  # type: ignore[method-assign]
    app.config.update(
        PIPELINE_LOGIN_POLICY=accounts.LoginPolicy.of(cfg),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cfg.cookie_secure,
        SESSION_COOKIE_NAME="pipeline_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=cfg.session_hours),
    )
    app.before_request(require_login)
    app.register_blueprint(bp)
