"""Shared fixtures: settings with a throwaway data folder and database; which database a test runs on.

Databases. A test that asks for a database (a fixture named `database_url` or ending in `_database_url`, and
so everything built on one: `settings`, `db`, `registry`, `app`, `client` ...) runs on each database the run
was given: `--databases sqlite,postgresql` (what scripts/test.sh passes, with PIPELINE_TEST_DATABASE_URL
pointing at a throwaway PostgreSQL cluster, scripts/pg_tmp.sh) makes two tests of it, `[sqlite]` and
`[postgresql]`, each with a database of its own copied from a migrated template. Without the option it runs
on PostgreSQL when PIPELINE_TEST_DATABASE_URL is set, else on SQLite. The rule for what runs on both:

- on both: anything whose SQL, locking, transactions, concurrency or dialect matters: queries and use cases,
  ingest and the worker (leases, crashes, two workers), migrations, the web's actions and logins;
- on one (the first given), marked `one_database` (or listed in ONE_DATABASE below): what the database
  only stores for it, where the cost is elsewhere: browser layout and flows in Chromium (the same pages are
  driven on both databases through Flask's test client), OCR and PDF reading end to end (the readings are
  the same on both; the storing of a case from one runs on both in cheaper tests), rendering;
- tests that ask for no database (the `pure` marker says so explicitly) run once.

Work done once per run (tests/memo.py): an OCR reading of the same scan bytes, an Argon2 hash of the same
password. The longest files start first (LONG_FILES), so that no process is left with a long file at the end, and
a file's tests on one database are what xdist hands a process at a time (--dist loadgroup, by work_unit() below).
On PostgreSQL the next copy of a template is made while a test runs (_Spares).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from pipeline.settings import Settings
from tests import memo

REPO = Path(__file__).resolve().parents[1]
# The blank forms, the reference registry and the robustness corpus (reference/, in the repository).
REFERENCE = REPO / "reference"
FIXTURES = REPO / "inbox_fixtures"

ENV = "PIPELINE_TEST_DATABASE_URL"
# Read once: each test then sets or clears the variable for its own database, and outside a test it names the
# first database given; the server's URL stays in _PG_ENV for the xdist workers, which start with that environment.
_PG_ENV = "PIPELINE_TEST_POSTGRESQL"
PG_BASE = os.environ.get(ENV) or os.environ.get(_PG_ENV)
BACKENDS = ("sqlite", "postgresql")
_CHOSEN = pytest.StashKey[tuple[str, ...]]()

# Whole files (or single tests, "file::name") that run on one database: see the rule above. New tests say so
# with @pytest.mark.one_database instead.
ONE_DATABASE = (
    "web/test_browser.py",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--databases", default=None, metavar="LIST",
                     help="the databases a test that asks for one runs on: sqlite, postgresql or "
                          "sqlite,postgresql (PostgreSQL needs PIPELINE_TEST_DATABASE_URL). Default: postgresql "
                          "when PIPELINE_TEST_DATABASE_URL is set, else sqlite")


def pytest_configure(config: pytest.Config) -> None:
    given = config.getoption("--databases")
    if given is None:
        chosen: tuple[str, ...] = ("postgresql",) if PG_BASE else ("sqlite",)
    else:
        chosen = tuple(dict.fromkeys(n.strip() for n in given.split(",") if n.strip()))
        if not chosen or any(n not in BACKENDS for n in chosen):
            raise pytest.UsageError(f"--databases {given!r}: a list of {', '.join(BACKENDS)}")
        if "postgresql" in chosen and not PG_BASE:
            raise pytest.UsageError(f"--databases {given!r}: PostgreSQL needs {ENV}")
    config.stash[_CHOSEN] = chosen
    # Outside a test (module and session fixtures, collection) the variable names the first database given.
    if PG_BASE:
        os.environ[_PG_ENV] = PG_BASE
    if chosen[0] == "postgresql":
        assert PG_BASE
        os.environ[ENV] = PG_BASE
    else:
        os.environ.pop(ENV, None)


def _one_database(definition: pytest.Item) -> bool:
    nodeid = definition.nodeid.removeprefix("tests/")
    listed = any(nodeid == entry or nodeid.startswith((entry + "::", entry + "[")) for entry in ONE_DATABASE)
    return listed or any(definition.iter_markers("one_database")) or any(definition.iter_markers("pure"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    chosen = metafunc.config.stash[_CHOSEN]
    if len(chosen) < 2 or not any(n == "database_url" or n.endswith("_database_url") for n in metafunc.fixturenames):
        return
    if _one_database(metafunc.definition):
        return
    metafunc.parametrize("database_backend", chosen, indirect=True)


@pytest.fixture(autouse=True)
def database_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """"sqlite" or "postgresql": this test's database. PIPELINE_TEST_DATABASE_URL is set for it (or cleared), so
    that what reads the variable, and the processes the test starts, see the same database."""
    backend: str = getattr(request, "param", None) or request.config.stash[_CHOSEN][0]
    if backend == "postgresql":
        assert PG_BASE
        monkeypatch.setenv(ENV, PG_BASE)
    else:
        monkeypatch.delenv(ENV, raising=False)
    return backend


@pytest.fixture(scope="session", autouse=True)
def _once_per_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with memo.ocr_read_once(memo.shared_folder(tmp_path_factory, "ocr-readings")), memo.argon2_once():
        yield


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    assert REFERENCE.is_dir(), f"reference/ is missing from the checkout ({REFERENCE})"
    return REFERENCE


def create_pg_database(base: str, prefix: str, options: str = "") -> str:
    """A new database on the PostgreSQL server of `base` (CREATE DATABASE ... `options`); its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    with _admin_engine(base).connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" {options}'))
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(base: str, url: str) -> None:
    """Drop the database of `url`, through the server of `base` (never through the database itself)."""
    with _admin_engine(base).connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


@functools.cache
def _admin_engine(base: str) -> Engine:
    return create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@contextmanager
def pg_database(base: str, prefix: str, options: str = "") -> Iterator[str]:
    """A throwaway database on the PostgreSQL server of `base` (CREATE DATABASE ... `options`), dropped after."""
    url = create_pg_database(base, prefix, options)
    try:
        yield url
    finally:
        drop_pg_database(base, url)


class _Spares:
    """Copies of a PostgreSQL template made one ahead, in a thread: CREATE DATABASE ... TEMPLATE takes a tenth
    of a second or more (a checkpoint and the template's files copied), which the next test on the same
    template then need not wait for. Those not taken are dropped when the templates go."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ahead: dict[str, Future[str]] = {}
        self._thread: ThreadPoolExecutor | None = None

    @staticmethod
    def _create(template: str, prefix: str) -> str:
        # FILE_COPY is much faster than the default WAL_LOG strategy for a small template.
        return create_pg_database(_server(template), prefix,
                                  f'TEMPLATE "{make_url(template).database}" STRATEGY = FILE_COPY')

    def take(self, template: str, prefix: str) -> str:
        with self._lock:
            made = self._ahead.pop(template, None)
            self._thread = self._thread or ThreadPoolExecutor(1, thread_name_prefix="spare-db")
            self._ahead[template] = self._thread.submit(self._create, template, prefix)
        return made.result() if made is not None else self._create(template, prefix)

    @staticmethod
    def drop(url: str) -> None:
        drop_pg_database(_server(url), url)

    def close(self) -> None:
        with self._lock:
            ahead, self._ahead = list(self._ahead.values()), {}
        for made in ahead:
            with suppress(Exception):
                self.drop(made.result())


def _server(url: str) -> str:
    """The run's PostgreSQL server, through the database it was given, for a database `url` on it."""
    assert PG_BASE and make_url(url).set(database="") == make_url(PG_BASE).set(database=""), url
    return PG_BASE


_SPARES = _Spares()


class Templates:
    """Databases built once per session and backend (migrated; migrated with the registry ...), each test
    getting a copy: a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL, much cheaper than
    running the migrations (and imports) for every test."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory, stack: ExitStack) -> None:
        self._tmp = tmp_path_factory
        self._stack = stack
        self._urls: dict[tuple[str, str], str] = {}

    def url(self, backend: str, name: str, build: Callable[[str], None]) -> str:
        key = (backend, name)
        if key not in self._urls:
            if backend == "sqlite":
                path = self._tmp.mktemp(f"template-{name}") / f"{name}.sqlite3"
                url = f"sqlite:///{path}"
                build(url)
                with sqlite3.connect(path) as conn:  # everything into the main file, so that a copy of it is whole
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                assert PG_BASE
                url = self._stack.enter_context(pg_database(PG_BASE, "tmpl"))
                build(url)
                self._stack.callback(_SPARES.close)  # before the template goes: a copy of it may be under way
            self._urls[key] = url
        return self._urls[key]

    @staticmethod
    @contextmanager
    def copy(template: str, path: Path, prefix: str = "t") -> Iterator[str]:
        """A database of its own copied from `template`: the file at `path` on SQLite, a new database on
        PostgreSQL (dropped after)."""
        if template.startswith("sqlite"):
            shutil.copyfile(template.removeprefix("sqlite:///"), path)
            yield f"sqlite:///{path}"
            return
        url = _SPARES.take(template, prefix)
        try:
            yield url
        finally:
            _SPARES.drop(url)


@pytest.fixture(scope="session")
def db_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    with ExitStack() as stack:
        yield Templates(tmp_path_factory, stack)


def _migrate(url: str) -> None:
    from pipeline.adapters.db.session import upgrade

    upgrade(url)


@pytest.fixture(scope="session")
def migrated_template(db_templates: Templates, request: pytest.FixtureRequest) -> str:
    """A database at the newest schema on the first database given (the one PIPELINE_TEST_DATABASE_URL
    names outside a test), for a module's or session's own copy; each test's database_url is copied from the
    template of the test's own database."""
    return db_templates.url(request.config.stash[_CHOSEN][0], "migrated", _migrate)


def migrated_copy_source(db_templates: Templates, backend: str) -> str:
    return db_templates.url(backend, "migrated", _migrate)


@pytest.fixture
def registry_template(db_templates: Templates, database_backend: str, reference_dir: Path,
                      tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database at the newest schema holding the reference registry (operators, centres, users), to copy."""
    from pipeline.adapters.db.session import open_database, unit_of_work
    from pipeline.adapters.registry_store import import_registry

    def build(url: str) -> None:
        factory = open_database(Settings(data_dir=tmp_path_factory.mktemp("registry-data"), database_url=url))
        reg = reference_dir / "registry"
        with unit_of_work(factory) as session:
            report = import_registry(session, reg / "operators.csv", reg / "centres.csv", reg / "users.csv")
        assert report.ok
        factory.kw["bind"].dispose()  # SQLite: the last connection closing checkpoints the WAL into the file

    return db_templates.url(database_backend, "registry", build)


@pytest.fixture
def database_url(tmp_path: Path, db_templates: Templates, database_backend: str) -> Iterator[str]:
    """A database of this test's own, already at the newest schema."""
    with Templates.copy(migrated_copy_source(db_templates, database_backend), tmp_path / "test.sqlite3") as url:
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


# The files that take longest (tens of seconds each on each database: a fresh clone, a browser, OCR, thousands
# of mails, logins, slow PDFs), measured with --durations, run first: the tests run in several processes a group
# at a time, and a long group started last leaves the others idle at the end. Order only; what runs is unchanged.
LONG_FILES = ("ops/test_fresh_clone.py", "web/test_browser.py", "web/test_operators_day.py", "forms/test_robustness_pdf.py",
              "worker/test_imap_worker.py", "worker/test_forms_e2e.py", "security/test_locks.py",
              "registry/test_import_large.py", "worker/test_crashes.py", "worker/test_liveness.py", "worker/test_chaos.py",
              "ops/test_production_install.py", "security/test_budget.py", "security/test_documents.py",
              "security/test_guards.py", "test_cli.py", "ops/test_cli_setup.py", "queue/test_transitions.py",
              "web/test_pages.py", "security/test_web.py", "web/test_day.py", "worker/test_ingest.py", "worker/test_loop.py",
              "security/test_removals.py", "web/test_together.py", "forms/test_ocr_reader.py", "web/test_page_images.py",
              "worker/test_intake_faults.py", "ops/test_health_metrics.py", "web/test_auth.py", "web/test_actions.py",
              "lifecycle/test_web.py", "worker/test_faults.py", "security/test_sender.py", "test_fixtures.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0].removeprefix("tests/")
        return LONG_FILES.index(path) if path in LONG_FILES else len(LONG_FILES)

    items.sort(key=rank)  # stable: within a file, and among the rest, the collected order stays


_BACKEND_PARAM = re.compile(r"\[(?:[^\]]*-)?(sqlite|postgresql)(?:-[^\]]*)?\]$")


def work_unit(nodeid: str) -> str:
    """What xdist hands a process at a time: a file's tests on one database. They share the file's module
    fixtures and servers (a browser, `pipeline serve`, a seeded world); the same file on the other database
    may go to the other process, so that a long file is not one long pole."""
    path = nodeid.split("::", 1)[0]
    backend = _BACKEND_PARAM.search(nodeid)
    return f"{path}:{backend.group(1)}" if backend else path


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """--dist loadgroup by work_unit(). xdist's own grouping renames the node ids, which pytest 9.2 no longer
    lets a plugin do (each test then went alone, and the module fixtures were built again and again), so the
    units come from the node ids themselves; in the order collected (the longest files first), not by size."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FileAndDatabase(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    config.option.loadscopereorder = False
    return FileAndDatabase(config, log)  # type: ignore[arg-type]
