"""Shared fixtures: settings with a throwaway data folder and database.

The suite runs twice in CI: on SQLite, and with PIPELINE_TEST_DATABASE_URL pointing at a throwaway
PostgreSQL cluster (scripts/pg_tmp.sh), where each test gets a database of its own. Tests marked
`pure` touch no database and run only in the first pass.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pipeline.settings import Settings

REPO = Path(__file__).resolve().parents[1]
# The blank forms, the reference registry and the robustness corpus (reference/, in the repository).
REFERENCE = REPO / "reference"
FIXTURES = REPO / "inbox_fixtures"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    assert REFERENCE.is_dir(), f"reference/ is missing from the checkout ({REFERENCE})"
    return REFERENCE


@contextmanager
def pg_database(base: str, prefix: str, options: str = "") -> Iterator[str]:
    """A throwaway database on the PostgreSQL server of `base` (CREATE DATABASE ... `options`), dropped after."""
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" {options}'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database brought to the newest schema per test session; each test's database is a copy of it
    (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL), which is much cheaper than
    running the migrations for every test."""
    from pipeline.adapters.db.session import upgrade

    base = os.environ.get("PIPELINE_TEST_DATABASE_URL")
    if not base:
        path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"
        url = f"sqlite:///{path}"
        upgrade(url)
        with sqlite3.connect(path) as conn:  # everything into the main file, so that a copy of it is whole
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        yield url
        return
    with pg_database(base, "tmpl") as url:
        upgrade(url)
        yield url


@pytest.fixture
def database_url(tmp_path: Path, migrated_template: str) -> Iterator[str]:
    """A database of this test's own, already at the newest schema."""
    base = os.environ.get("PIPELINE_TEST_DATABASE_URL")
    if not base:
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(migrated_template.removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"
        return
    # FILE_COPY is much faster than the default WAL_LOG strategy for a small template.
    with pg_database(base, "t", f'TEMPLATE "{make_url(migrated_template).database}" STRATEGY = FILE_COPY') as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    data = tmp_path / "data"
    data.mkdir()
    # IMDi's receiving host in the tests (tests/mail/builders.py writes its Authentication-Results).
    return Settings(data_dir=data, database_url=database_url, authserv_id="mx.imdi.no")


@pytest.fixture
def db(settings: Settings):  # type: ignore[no-untyped-def]
    """A session factory on a database of the test's own at the newest schema."""
    from pipeline.adapters.db.session import open_database

    factory = open_database(settings, migrate=False)
    yield factory
    factory.kw["bind"].dispose()


# The files that take longest (tens of seconds each: a browser, OCR, thousands of mails, slow PDFs), run
# first: the tests run in two processes a file at a time, and a long file started last leaves the other
# process idle at the end. Order only; what runs is unchanged.
LONG_FILES = ("ops/test_fresh_clone.py", "web/test_browser.py", "worker/test_forms_e2e.py", "forms/test_ocr_reader.py",
              "forms/test_robustness_pdf.py", "worker/test_crashes.py", "worker/test_chaos.py",
              "worker/test_intake_faults.py", "test_fixtures.py", "security/test_web.py",
              "test_cli.py", "security/test_documents.py", "worker/test_imap_worker.py", "security/test_locks.py",
              "registry/test_import_large.py", "ops/test_production_install.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0].removeprefix("tests/")
        return LONG_FILES.index(path) if path in LONG_FILES else len(LONG_FILES)

    items.sort(key=rank)  # stable: within a file, and among the rest, the collected order stays
