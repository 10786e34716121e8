"""Migration 0004 (the registry lifecycle) on a registry the revision before it left: users become active imports, one mobile per ACTIVE user is
enforced by the database (a removed user's mobile may be taken again), and it goes back down."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from pipeline.adapters.db.session import alembic_config, make_engine
from tests.conftest import pg_database

# The revision the registry lifecycle (0004) follows.
BEFORE = importlib.import_module("pipeline.adapters.db.migrations.versions.0004_registry_lifecycle").down_revision


def _user(conn, user_id: str, mobile: str, status: str | None = None) -> None:  # type: ignore[no-untyped-def]
    cols = "user_id, first_name, last_name, email, mobile" + (", status" if status else "")
    values = ":u, 'Kari', 'Nordmann', :e, :m" + (", :s" if status else "")
    conn.execute(text(f"INSERT INTO registry_user ({cols}) VALUES ({values})"),
                 {"u": user_id, "e": f"{user_id.lower()}@x.no", "m": mobile, "s": status})


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database (the shared fixture's comes migrated to the newest schema)."""
    base = os.environ.get("PIPELINE_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    with pg_database(base, "m") as url:
        yield url


def test_0003_up_and_down(empty_database_url: str) -> None:
    database_url = empty_database_url
    cfg = alembic_config(database_url)
    command.upgrade(cfg, BEFORE)
    engine = make_engine(database_url) if database_url.startswith("sqlite") else create_engine(database_url)
    with engine.begin() as conn:
        _user(conn, "U1", "+4791234567")
        conn.execute(text("INSERT INTO registry_user_role (user_id, role, mottaksnummer) "
                          "VALUES ('U1', 'Mottaksadministrator', '0101')"))
    command.upgrade(cfg, "head")
    with engine.begin() as conn:
        row = conn.execute(text("SELECT status, source, added_at, first_imported_at FROM registry_user")).one()
        assert row[0] == "active" and row[1] == "import" and row[2] is not None and row[3] is not None
        _user(conn, "U2", "+4791234567", "removed")  # a removed user may share the mobile
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _user(conn, "U3", "+4791234567", "active")  # an active one may not
    command.downgrade(cfg, BEFORE)
    with engine.begin() as conn:
        assert [r[0] for r in conn.execute(text("SELECT user_id FROM registry_user"))] == ["U1"]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _user(conn, "U4", "+4791234567")  # the old schema's UNIQUE(mobile) is back
    command.upgrade(cfg, "head")
    engine.dispose()
