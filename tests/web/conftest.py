"""Fixtures for the web tests: an app on the test database, a logged-in test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pipeline.db.session import unit_of_work
from pipeline.settings import WebSettings
from pipeline.web import create_app
from tests.web import seed

WEB = WebSettings(secret_key="test-secret-key-not-for-production", max_failed_logins=3, lockout_minutes=15)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


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
