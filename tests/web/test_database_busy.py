"""A database locked by another writer (a long migration, a stuck worker) gives the operator a Norwegian
"prøv igjen om litt" page with 503 and Retry-After, never an HTTP 500 "database is locked" (issue 18)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from pipeline.adapters.db.session import unit_of_work
from pipeline.entrypoints.web import create_app
from pipeline.settings import Settings
from tests.web import seed
from tests.web.conftest import WEB, login


@contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    """Another writer holds the database (on PostgreSQL: the accounts table) until the block ends."""
    if settings.db_url.startswith("sqlite"):
        conn = sqlite3.connect(settings.db_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = create_engine(settings.db_url)
    with engine.connect() as conn:
        conn.execute(text("LOCK TABLE operator_account IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


def test_a_locked_database_asks_to_try_again_in_norwegian(settings, db):
    with unit_of_work(db) as session:
        seed.operator(session)
    quick = replace(settings, db_busy_seconds=0.5, web=WEB)
    from pipeline.adapters.db.session import session_factory

    factory = session_factory(quick)
    app = create_app(quick, session_factory=factory)
    client: FlaskClient = app.test_client()
    try:
        with _locked(settings):
            resp = login(client)
        assert resp.status_code == 503, resp.get_data(as_text=True)[:500]
        assert resp.headers["Retry-After"] == "30"
        page = resp.get_data(as_text=True)
        assert "Prøv igjen om litt" in page and "database is locked" not in page
        assert login(app.test_client()).status_code == 302  # the lock gone, the login goes through
    finally:
        factory.kw["bind"].dispose()
