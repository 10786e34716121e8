"""Login, logout, lockout, CSRF, and that nothing shows without a login."""

from __future__ import annotations

import re

from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, OperatorAccount
from pipeline.adapters.db.session import unit_of_work
from pipeline.steps.credentials import unlock
from tests.web.conftest import csrf_token, from_address, login


def _actions(db) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with db() as s:
        return [(e.actor, e.action) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_every_page_redirects_to_login_without_a_session(client):
    for path in ("/", "/oppgave/1", "/oppgave/1/side/1.png", "/oppgave/1/dokument", "/meldinger", "/register", "/?q=ola"):
        resp = client.get(path)
        assert resp.status_code == 302, path
        assert resp.headers["Location"].startswith("/logg-inn"), path
    # The stylesheet is public: the login page needs it.
    assert client.get("/static/style.css").status_code == 200


def test_login_page_is_norwegian_and_sets_a_safe_cookie(client):
    page = client.get("/logg-inn").get_data(as_text=True)
    assert "Logg inn" in page and "Brukernavn" in page and "Passord" in page
    resp = login(client)
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").status_code == 200


def test_login_returns_to_the_page_asked_for_but_never_off_site(client):
    page = client.get("/logg-inn?next=/meldinger").get_data(as_text=True)
    resp = client.post("/logg-inn", data={"username": "kari.saksbehandler", "password": "riktig-passord-123",
                                          "next": "/meldinger", "csrf_token": csrf_token(page)})
    assert resp.headers["Location"] == "/meldinger"
    client.post("/logg-ut", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    page = client.get("/logg-inn").get_data(as_text=True)
    resp = client.post("/logg-inn", data={"username": "kari.saksbehandler", "password": "riktig-passord-123",
                                          "next": "//evil.example/", "csrf_token": csrf_token(page)})
    assert resp.headers["Location"] == "/"


def _flash(resp) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', resp.get_data(as_text=True), re.S)
    assert match, resp.get_data(as_text=True)
    return match.group(1)


def test_wrong_password_is_refused_and_audited(client, db):
    resp = login(client, password="feil-passord")
    assert resp.status_code == 401
    assert "Feil brukernavn eller passord." in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302
    unknown = login(client, name="finnes.ikke", password="hva-som-helst")
    assert unknown.status_code == 401
    # The same words whether the name exists or not.
    assert _flash(unknown) == _flash(resp)
    assert _actions(db)[-2:] == [("kari.saksbehandler", "login.failure"), ("anonym", "login.failure")]


def test_a_client_is_refused_a_name_after_its_failures_and_an_account_locks_after_failures_from_several(app, db):
    here, there, elsewhere = (from_address(app, a) for a in ("192.0.2.10", "192.0.2.20", "192.0.2.30"))
    first = login(here, password="feil-passord")
    assert first.status_code == 401
    assert login(here, password="feil-passord").status_code == 401
    # This client has used up its failures for the name (client_name_failed_logins=2): refused unchecked.
    refused = login(here)
    assert refused.status_code == 429 and "For mange mislykkede innlogginger" in refused.get_data(as_text=True)
    # From another client, one more failure makes three for the account (max_failed_logins=3): locked.
    resp = login(there, password="feil-passord")
    assert resp.status_code == 401
    # Locked: even the right password is refused, without a session.
    locked = login(elsewhere)
    assert locked.status_code == 401
    assert elsewhere.get("/").status_code == 302
    # The lockout does not announce itself: an unknown name gets exactly the same answer, so that
    # trying passwords does not reveal whether an operator name exists.
    unknown = login(from_address(app, "192.0.2.40"), name="finnes.ikke", password="feil-passord")
    assert _flash(first) == _flash(resp) == _flash(locked) == _flash(unknown)
    assert "vente" in _flash(locked) and "låse opp" in _flash(locked)
    actions = [a for _, a in _actions(db)]
    assert actions.count("login.lockout") == 1
    assert actions[-1] == "login.failure"
    with unit_of_work(db) as s:
        unlock(s, "kari.saksbehandler", actor="test")
    # A colleague's unlock forgives every failure for the name, also the first client's.
    assert login(here).status_code == 302
    assert _actions(db)[-1] == ("kari.saksbehandler", "login.success")


def test_a_locked_account_loses_its_open_session(logged_in, db):
    with unit_of_work(db) as s:
        account = s.scalar(select(OperatorAccount))
        account.active = False
    assert logged_in.get("/").status_code == 302


def test_post_without_csrf_token_is_refused(logged_in, db):
    resp = logged_in.post("/oppgave/1/avvis", data={"reason": "test"})
    assert resp.status_code == 400
    assert "sikkerhetsnøkkel" in resp.get_data(as_text=True)
    resp = logged_in.post("/logg-ut")
    assert resp.status_code == 400
    # And the login form itself needs a token.
    resp = logged_in.post("/logg-inn", data={"username": "kari.saksbehandler", "password": "riktig-passord-123"})
    assert resp.status_code == 400


def test_logout_ends_the_session(logged_in, db):
    token = csrf_token(logged_in.get("/").get_data(as_text=True))
    resp = logged_in.post("/logg-ut", data={"csrf_token": token})
    assert resp.status_code == 302
    assert logged_in.get("/").status_code == 302
    assert _actions(db)[-1] == ("kari.saksbehandler", "logout")


def test_a_session_cookie_is_revoked_at_logout(app, db):
    # Someone who copied the cookie before the operator logged out must not be able to use it after.
    browser, thief = app.test_client(), app.test_client()
    assert login(browser).status_code == 302
    cookie = browser.get_cookie("pipeline_session")
    assert cookie is not None
    thief.set_cookie("pipeline_session", cookie.value)
    assert thief.get("/").status_code == 200
    browser.post("/logg-ut", data={"csrf_token": csrf_token(browser.get("/").get_data(as_text=True))})
    resp = thief.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/logg-inn")
    # A fresh login works again.
    assert login(browser).status_code == 302
    assert browser.get("/").status_code == 200


def test_a_lockout_keeps_open_sessions(app, db):
    # Strangers' wrong passwords lock the account, but the operator's open session was opened with the
    # right one: it goes on (the first version ended it, so anyone could throw an operator out).
    browser = app.test_client()
    assert login(browser).status_code == 302
    for address in ("192.0.2.10", "192.0.2.10", "192.0.2.20"):
        login(from_address(app, address), password="feil-passord")
    assert "login.lockout" in [a for _, a in _actions(db)]
    assert browser.get("/").status_code == 200
    assert login(from_address(app, "192.0.2.30")).status_code == 401  # but no new login until it ends
    with unit_of_work(db) as s:
        unlock(s, "kari.saksbehandler", actor="test")
    assert login(from_address(app, "192.0.2.30")).status_code == 302


def test_pages_carry_a_strict_content_security_policy(logged_in):
    resp = logged_in.get("/")
    csp = resp.headers["Content-Security-Policy"]
    # One script file from this site: no inline script, no eval, nothing from elsewhere.
    assert "default-src 'none'" in csp and "script-src 'self';" in csp
    assert "unsafe" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_a_request_between_login_form_and_post_keeps_the_token_valid(client):
    # Chromium fetches /favicon.ico (and a second tab may load a page) between showing the form and posting it.
    token = csrf_token(client.get("/logg-inn").get_data(as_text=True))
    assert client.get("/favicon.ico").status_code == 204
    assert client.get("/meldinger").status_code == 302
    resp = client.post("/logg-inn", data={"username": "kari.saksbehandler", "password": "riktig-passord-123",
                                          "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
