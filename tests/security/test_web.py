"""The web side of the review: where the login page sends you, who may lock an operator out, what the
cookie and the headers promise, and what a form posted for one case may touch."""

from __future__ import annotations

import pytest

from tests.web import seed
from tests.web.conftest import csrf_token

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
