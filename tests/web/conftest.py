"""Fixtures for the web tests: an app on the test database, a logged-in test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pipeline.adapters.db.session import unit_of_work
from pipeline.entrypoints.web import create_app
from pipeline.settings import WebSettings
from tests.web import seed

# Small limits, so that the tests reach them quickly: one client is refused a name after 2 failures, an
# account is locked after 3 from all clients. The cookie is Secure, as in production (the test client
# sends it over http://localhost all the same).
WEB = WebSettings(secret_key="test-secret-key-not-for-production", max_failed_logins=3, client_name_failed_logins=2,
                  lockout_minutes=15)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def from_address(app: Flask, address: str) -> FlaskClient:
    """A browser at another address (a test client comes from 127.0.0.1)."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def login(client: FlaskClient, name: str = "kari.saksbehandler", password: str = seed.PASSWORD):  # type: ignore[no-untyped-def]
    page = client.get("/logg-inn")
    return client.post("/logg-inn", data={"username": name, "password": password,
                                          "csrf_token": csrf_token(page.get_data(as_text=True))})


@pytest.fixture
def app(settings, db) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as session:
        seed.operator(session)
    yield create_app(replace(settings, web=WEB), session_factory=db)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def logged_in(client: FlaskClient) -> FlaskClient:
    resp = login(client)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client
