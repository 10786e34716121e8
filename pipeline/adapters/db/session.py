"""Engine and session helpers; the database is brought up to date (Alembic) on first use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db import search_index  # noqa: F401 - keeps the queue's search text with every flush
from pipeline.errors import DatabaseError
from pipeline.settings import Settings

_MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def private_files(settings: Settings) -> None:
    """The data folder (0700) and an SQLite database with its -wal and -shm (0600) readable by their
    owner only: they hold raw mail, personal data and password hashes. SQLite gives the -wal and -shm
    files the database file's mode, so creating that file 0600 before SQLite does covers them too."""
    _private(settings.data_dir, 0o700, directory=True)
    url = make_url(settings.db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    path = Path(url.database)
    if not path.parent.is_dir():
        return  # a folder that is not there is not ours to make: connecting says so
    if not path.exists():
        # Only a file that is not there is made (O_EXCL): opening and closing one that SQLite has open in
        # this process would drop the process's POSIX locks on it, which SQLite relies on.
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
        except FileExistsError:
            pass  # another process made it a moment ago
        except OSError:
            return  # not writable here: connecting says so, as one line
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        if name.exists():
            _private(name, 0o600)


def _private(path: Path, mode: int, *, directory: bool = False) -> None:
    if directory:
        path.mkdir(parents=True, exist_ok=True, mode=mode)
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o777 != mode:
            path.chmod(mode)
    except OSError:  # not ours to change (a folder shared on purpose): leave it
        pass


def open_database(settings: Settings, *, migrate: bool = True) -> sessionmaker[Session]:
    """Session factory for the configured database, migrated to head on first use.

    A database that cannot be reached, a URL that does not parse or a driver that is not installed is a
    DatabaseError here, with what to do about it, never the library's traceback."""
    factory = session_factory(settings)
    prepare(settings, factory, migrate=migrate)
    return factory


def session_factory(settings: Settings) -> sessionmaker[Session]:
    """A session factory for the configured database, without connecting to it yet."""
    url = settings.db_url
    try:
        return sessionmaker(make_engine(url), expire_on_commit=False)
    except Exception as exc:
        translated = database_error(exc, url)
        if translated is None:
            raise
        raise translated from exc


def prepare(settings: Settings, factory: sessionmaker[Session], *, migrate: bool = True) -> None:
    """Bring the database to the newest schema (or only connect); DatabaseError when it cannot."""
    url = settings.db_url
    try:
        if url.startswith("sqlite"):
            private_files(settings)
        if migrate:
            upgrade(url)
        else:
            with factory.kw["bind"].connect():
                pass
    except Exception as exc:
        translated = database_error(exc, url)
        if translated is None:
            raise
        raise translated from exc


def _shown(url: str) -> str:
    """The URL without its password, for an error message."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparseable URL is shown as given, minus anything like a password
        return url.split("@")[-1]


def database_error(exc: BaseException, url: str) -> DatabaseError | None:
    """A library's database error as one of ours (None: not a database error)."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    shown = _shown(url)
    for err in chain:
        missing_driver = isinstance(err, ModuleNotFoundError) and any(d in str(err) for d in _DRIVERS)
        if isinstance(err, NoSuchModuleError) or missing_driver:
            return DatabaseError(f"{shown}: the database driver is not installed ({err}); "
                                 "PostgreSQL URLs look like postgresql+psycopg://user@host/db", code="db.driver")
        if isinstance(err, ArgumentError):
            return DatabaseError(f"{shown!r} is not a database URL ({err}); e.g. "
                                 "postgresql+psycopg://user@host/db or sqlite:////path/file.sqlite3", code="db.url")
        if isinstance(err, OperationalError):
            reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
            return DatabaseError(f"cannot reach the database {shown}: {reason}", code="db.unreachable")
    for err in chain:
        if isinstance(err, SQLAlchemyError):
            return DatabaseError(f"database {shown}: {str(err).splitlines()[0]}", code="db.error")
    return None


_DRIVERS = ("psycopg", "psycopg2", "MySQLdb", "pymysql", "mysqlclient", "cx_Oracle", "oracledb", "pyodbc")


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
