"""The web side of the review: where the login page sends you, who may lock an operator out, what the
cookie and the headers promise, and what a form posted for one case may touch."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, OperatorAccount, Reply
from pipeline.adapters.db.session import unit_of_work
from pipeline.entrypoints.web import create_app
from pipeline.entrypoints.web.clients import trusted_networks
from pipeline.errors import ConfigError
from pipeline.settings import Settings, WebSettings
from pipeline.steps.credentials import LoginPolicy
from tests.web import seed
from tests.web.conftest import csrf_token, from_address, login

# --- where the login page sends you --------------------------------------------------------------------

# Each of these, raw as it arrives in `next`, is another site as a browser reads it or a broken header;
# the last is only refused because our own links never hold anything but ASCII.
OFF_SITE = [
    "/\t/evil.example/phish",     # the finding: browsers drop the tab, leaving //evil.example/phish
    "/\n/evil.example/phish",
    "/\r\nSet-Cookie: x=1",       # a line break in the Location header was a 500
    "//evil.example/",
    "/\\evil.example/",            # a backslash is a slash to a browser
    "\\\\evil.example/",
    " //evil.example/",           # spaces and controls at the ends are stripped by the browser
    "\x00//evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example/phish",
    "https:evil.example",
    "/\u3000/evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_sends_anyone_off_site(client, target):
    page = client.get("/logg-inn", query_string={"next": target})
    assert page.status_code == 200
    resp = client.post("/logg-inn", data={"username": "kari.saksbehandler", "password": seed.PASSWORD,
                                          "next": target, "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    # Already logged in, the login page redirects straight away: the same rule.
    again = client.get("/logg-inn", query_string={"next": target})
    assert again.status_code == 302 and again.headers["Location"] == "/"


def test_the_finding_as_it_was_sent(logged_in):
    resp = logged_in.get("/logg-inn?next=/%09/evil.example/phish")
    assert resp.headers["Location"] == "/"
    assert logged_in.get("/logg-inn?next=/%0d%0aSet-Cookie:%20x=1").status_code == 302


@pytest.mark.parametrize("target", ["/meldinger", "/?q=%C3%B8ye&side=2", "/oppgave/7", "/register?x=a%2F%2Fb"])
def test_a_path_on_this_site_is_where_login_returns(client, target):
    page = client.get("/logg-inn", query_string={"next": target})
    resp = client.post("/logg-inn", data={"username": "kari.saksbehandler", "password": seed.PASSWORD,
                                          "next": target, "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert resp.headers["Location"] == target


def test_the_guard_sends_a_page_with_a_query_through_the_login_and_back(client):
    first = client.get("/meldinger?q=%C3%B8ye")
    assert first.status_code == 302
    login_page = client.get(first.headers["Location"])
    resp = client.post(first.headers["Location"], data={
        "username": "kari.saksbehandler", "password": seed.PASSWORD,
        "next": "/meldinger?q=%C3%B8ye", "csrf_token": csrf_token(login_page.get_data(as_text=True))})
    assert resp.headers["Location"] == "/meldinger?q=%C3%B8ye"


# --- who may lock an operator out ------------------------------------------------------------------------

STRANGER, OPERATOR_DESK = "203.0.113.66", "198.51.100.7"


@pytest.fixture
def defaults_app(settings, db):  # type: ignore[no-untyped-def]
    """The web UI with the documented defaults (3 failures per name and client, 10 per account)."""
    with unit_of_work(db) as session:
        seed.operator(session)
    return create_app(replace(settings, web=WebSettings(secret_key="test-secret")), session_factory=db)


def _locked(db) -> bool:  # type: ignore[no-untyped-def]
    with db() as s:
        return s.scalar(select(OperatorAccount.locked_until)) is not None


def test_a_strangers_failures_do_not_lock_out_the_operator(defaults_app, db):
    desk = from_address(defaults_app, OPERATOR_DESK)
    assert login(desk).status_code == 302  # at work since this morning
    stranger = from_address(defaults_app, STRANGER)
    answers = [login(stranger, password=f"gjett-{i}").status_code for i in range(25)]
    # Three tries, then refused without a check (the first version locked the account at five, and
    # ended the operator's session with it).
    assert answers == [401] * 3 + [429] * 22
    refused = login(stranger)
    assert refused.status_code == 429  # the right password too: the guesser cannot tell
    page = refused.get_data(as_text=True)
    assert "For mange mislykkede innlogginger" in page and "Prøv igjen om 15 minutter" in page
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert not _locked(db)
    assert desk.get("/").status_code == 200
    # And a fresh login from the operator's desk.
    assert login(from_address(defaults_app, OPERATOR_DESK)).status_code == 302


def test_the_throttle_counts_unknown_names_too_and_any_names_in_all(defaults_app, db):
    stranger = from_address(defaults_app, STRANGER)
    unknown = [login(stranger, name="finnes.ikke", password="x" * 12).status_code for _ in range(4)]
    assert unknown == [401, 401, 401, 429]  # as for a real name: the 429 reveals no names
    # Names sprayed one at a time: 20 failures from one client in all, then nothing more from it.
    sprayed = [login(stranger, name=f"ola{i}", password="x" * 12).status_code for i in range(20)]
    assert sprayed == [401] * 17 + [429] * 3
    assert login(stranger).status_code == 429
    assert login(from_address(defaults_app, OPERATOR_DESK)).status_code == 302


def test_a_distributed_guess_still_locks_the_account_but_not_the_open_session(defaults_app, db):
    desk = from_address(defaults_app, OPERATOR_DESK)
    assert login(desk).status_code == 302
    for n in range(4):  # ten wrong passwords need four clients
        for _ in range(3):
            login(from_address(defaults_app, f"203.0.113.{n + 1}"), password="gjett-igjen")
    assert _locked(db)
    assert login(from_address(defaults_app, "203.0.113.99")).status_code == 401
    assert desk.get("/").status_code == 200
    with db() as s:
        lockout = s.scalars(select(AuditEvent).where(AuditEvent.action == "login.lockout")).one()
    assert lockout.details["clients"] == 4


def test_an_ipv6_client_counts_as_its_slash_64(defaults_app, db):
    answers = [login(from_address(defaults_app, f"2001:db8:1:2::{i + 1:x}"), password="gjett").status_code
               for i in range(4)]
    assert answers == [401, 401, 401, 429]


def test_behind_the_proxy_the_client_is_read_from_a_trusted_x_forwarded_for(settings, db):
    with unit_of_work(db) as session:
        seed.operator(session)
    web = WebSettings(secret_key="test-secret", trusted_proxies="127.0.0.1, 10.0.0.0/8")
    app = create_app(replace(settings, web=web), session_factory=db)

    def via_proxy(forwarded_for: str):  # type: ignore[no-untyped-def]
        browser = app.test_client()  # connects from 127.0.0.1, the proxy
        browser.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
        return browser

    # The stranger writes its own X-Forwarded-For; the proxy appends what it saw. Left of that is ignored.
    answers = [login(via_proxy(f"198.51.100.{i}, {STRANGER}"), password="gjett").status_code for i in range(4)]
    assert answers == [401, 401, 401, 429]
    # Behind a second, internal proxy (10.1.2.3) the client is still the stranger.
    assert login(via_proxy(f"{STRANGER}, 10.1.2.3"), password="gjett").status_code == 429
    # The operator behind the same proxy is another client.
    assert login(via_proxy(OPERATOR_DESK)).status_code == 302


def test_without_trusted_proxies_x_forwarded_for_is_never_read(defaults_app, db):
    # A stranger who connects directly cannot become a new client with each request by writing the header.
    answers = []
    for i in range(4):
        browser = from_address(defaults_app, STRANGER)
        browser.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{i}"
        answers.append(login(browser, password="gjett").status_code)
    assert answers == [401, 401, 401, 429]


@pytest.mark.pure
@pytest.mark.parametrize(("peer", "header", "client"), [
    ("127.0.0.1", None, "127.0.0.1"),
    ("127.0.0.1", "203.0.113.66", "203.0.113.66"),
    ("127.0.0.1", "1.2.3.4, 203.0.113.66", "203.0.113.66"),
    ("127.0.0.1", "203.0.113.66, 10.0.0.5", "203.0.113.66"),
    ("127.0.0.1", "10.0.0.6, 10.0.0.5", "10.0.0.6"),
    ("127.0.0.1", "not-an-address, 203.0.113.66", "203.0.113.66"),
    ("127.0.0.1", "203.0.113.66, garbage", "127.0.0.1"),
    ("127.0.0.1", "[2001:db8::1]:4711", "2001:db8::1"),
    ("127.0.0.1", "203.0.113.66:4711", "203.0.113.66"),
    ("192.0.2.1", "203.0.113.66", "192.0.2.1"),  # not a trusted proxy: its header is anyone's words
])
def test_the_client_address_behind_trusted_proxies(peer, header, client):
    from pipeline.entrypoints.web.clients import client_address, trusted_networks

    assert client_address(peer, header, trusted_networks("127.0.0.1,10.0.0.0/8")) == client


@pytest.mark.pure
def test_settings_that_would_let_one_client_lock_an_account_stop_the_server():
    with pytest.raises(ConfigError, match="CLIENT_NAME_FAILED_LOGINS"):
        LoginPolicy.of(WebSettings(max_failed_logins=3, client_name_failed_logins=3))
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        trusted_networks("proxy.imdi.no")


# --- the cookie and the headers --------------------------------------------------------------------------


def test_the_session_cookie_is_secure_with_hsts_by_default(defaults_app):
    browser = defaults_app.test_client()
    resp = login(browser)
    cookie = resp.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = browser.get("/")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    csp = page.headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "default-src 'none'" in csp and "base-uri 'none'" in csp
    assert "unsafe" not in csp and "*" not in csp


def test_plain_http_on_loopback_is_a_documented_choice(settings, db):
    web = WebSettings(secret_key="test-secret", cookie_secure=False)
    app = create_app(replace(settings, web=web), session_factory=db)
    resp = app.test_client().get("/logg-inn")
    assert "Strict-Transport-Security" not in resp.headers
    assert Settings.from_env(environ={"PIPELINE_WEB_COOKIE_SECURE": "0"}).web.cookie_secure is False
    assert Settings.from_env(environ={}).web.cookie_secure is True


def test_a_burst_of_guesses_in_parallel_gets_no_more_tries(settings, db):
    """Twelve wrong passwords sent at the same moment to the real server (waitress, several threads):
    they are counted one after another, so three are checked and the rest refused, and the account stays
    open. (Counting first and recording after, each request would see the others' failures too late.)"""
    import http.cookiejar
    import re
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from tests.web.server import serve

    with unit_of_work(db) as session:
        seed.operator(session)
    start = threading.Barrier(12)

    def guess(url: str, i: int) -> int:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(url + "/logg-inn", timeout=30) as page:
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode()).group(1)  # type: ignore[union-attr]
        data = urllib.parse.urlencode({"username": "kari.saksbehandler", "password": f"gjett-{i}",
                                       "csrf_token": token}).encode()
        start.wait(timeout=60)
        try:
            with opener.open(url + "/logg-inn", data=data, timeout=60) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    with serve(settings.data_dir, settings.db_url, extra_env={"PIPELINE_WEB_SECRET_KEY": "burst-" + "7" * 58}) as url, \
            ThreadPoolExecutor(12) as pool:
        answers = sorted(pool.map(lambda i: guess(url, i), range(12)))
    assert answers == [401] * 3 + [429] * 9
    assert not _locked(db)


# --- what a form posted for one case may touch -----------------------------------------------------------


def test_a_reply_action_touches_only_a_reply_of_the_case_in_the_url(logged_in, db):
    with unit_of_work(db) as s:
        mine = seed.task(s, 1, state="needs_info", reply=("Vi trenger mobilnummeret", "Hei!\n\nSend nummeret."))
        other = seed.task(s, 2, state="needs_info", first="Åse", last="Ødegård",
                          reply=("Kvittering", "Hei!\n\nVi har fått skjemaet."))
        s.flush()
        mine_id, other_id = mine.id, other.id
        other_reply = s.scalars(select(Reply).where(Reply.task_id == other_id)).one().id
    token = csrf_token(logged_in.get(f"/oppgave/{mine_id}").get_data(as_text=True))
    hostile_text = {"subject": "Passordet ditt er utløpt", "body_text": "Logg inn her: https://evil.example/imdi"}
    for action, data in ((f"svar/{other_reply}", hostile_text),          # edit the draft
                         (f"svar/{other_reply}/send", hostile_text),     # edit and send it
                         (f"svar/{other_reply}/send", {})):              # send it as it is
        resp = logged_in.post(f"/oppgave/{mine_id}/{action}", data={"csrf_token": token, **data},
                              follow_redirects=True)
        assert resp.status_code in (200, 404, 409)
        assert "Fant ikke svaret i denne saken." in resp.get_data(as_text=True)
    with db() as s:
        reply = s.get(Reply, other_reply)
        assert (reply.state, reply.subject) == ("draft", "Kvittering") and "evil" not in reply.body_text
        assert not [e for e in s.scalars(select(AuditEvent)) if e.action.startswith("reply.")]
    # Through its own case's URL the same form works: the refusals above were about the case, not the form.
    resp = logged_in.post(f"/oppgave/{other_id}/svar/{other_reply}/send",
                          data={"csrf_token": token, "subject": "Kvittering", "body_text": "Hei!\n\nMottatt."},
                          follow_redirects=True)
    assert resp.status_code == 200
    with db() as s:
        assert s.get(Reply, other_reply).state == "queued"
