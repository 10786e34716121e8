"""Engine and session helpers; the database is brought up to date (Alembic) on first use."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db import search_index  # noqa: F401 - keeps the queue's search text with every flush
from pipeline.errors import DatabaseBusy, DatabaseError, DiskFull
from pipeline.settings import Settings

_MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, busy_seconds: float = 30.0) -> Engine:
    """An engine whose statements wait at most `busy_seconds` for another writer's lock (then a
    DatabaseBusy, which the web answers with 503 and Retry-After)."""
    busy_ms = max(1, int(busy_seconds * 1000))
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_seconds})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.close()

        return engine
    if url.startswith("postgresql"):
        return create_engine(url, pool_pre_ping=True, connect_args={"options": f"-c lock_timeout={busy_ms}"})
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


def head_revision() -> str:
    """The newest migration's revision. The migrations are numbered 0001, 0002 ... in one line (each the
    previous one's successor; tests/test_skeleton.py holds this to Alembic's own head), so the highest
    number is the head, known without loading Alembic."""
    return max(p.name.split("_", 1)[0] for p in (_MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def at_head(engine: Engine) -> bool:
    """True when the database says it is at the newest schema: then a command starts without Alembic
    (a sixth of a short command's time). Anything else, or any error, is for upgrade() to settle."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    except Exception:  # noqa: BLE001 - no table yet, no server: upgrade() tells what it is
        return False


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
    made = session_factory(settings)
    prepare(settings, made, migrate=migrate)
    return made


def session_factory(settings: Settings) -> sessionmaker[Session]:
    """A session factory for the configured database, without connecting to it yet."""
    url = settings.db_url
    try:
        return sessionmaker(make_engine(url, settings.db_busy_seconds), expire_on_commit=False)
    except Exception as exc:
        translated = database_error(exc, url)
        if translated is None:
            raise
        raise translated from exc


def prepare(settings: Settings, session_factory: sessionmaker[Session], *, migrate: bool = True) -> None:
    """Bring the database to the newest schema (or only connect); DatabaseError when it cannot."""
    url = settings.db_url
    try:
        if url.startswith("sqlite"):
            private_files(settings)
        if migrate:
            if not at_head(session_factory.kw["bind"]):
                upgrade(url)
        else:
            with session_factory.kw["bind"].connect():
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
            if busy(err):
                return DatabaseBusy(f"the database {shown} is locked by another writer: {reason}")
            if disk_full(err, url):
                return DiskFull(f"the disk holding the database {shown} is full ({_free_text(url)}): {reason}")
            return DatabaseError(f"cannot reach the database {shown}: {reason}", code="db.unreachable")
        if isinstance(err, OSError) and err.errno == errno.ENOSPC:
            return DiskFull(f"the disk holding the database {shown} is full ({_free_text(url)}): {err}")
    for err in chain:
        if isinstance(err, SQLAlchemyError):
            return DatabaseError(f"database {shown}: {str(err).splitlines()[0]}", code="db.error")
    return None


# Less free space than this beside a SQLite database is a full disk (SQLite then reports a disk I/O error
# as often as "database or disk is full").
FULL_BELOW = 4 * 1024 * 1024


def sqlite_path(url: str) -> Path | None:
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - not a URL: not a SQLite file either
        return None
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def disk_free(url: str) -> int | None:
    """Free bytes on the disk of a SQLite database (None: not SQLite, or not there)."""
    path = sqlite_path(url)
    if path is None:
        return None
    for folder in (path.parent, *path.parent.parents):
        if folder.exists():
            return shutil.disk_usage(folder).free
    return None


def busy(err: BaseException) -> bool:
    """Another writer held a lock longer than we wait: SQLite's 'database is locked', PostgreSQL's
    lock_not_available (55P03, lock_timeout) or a deadlock (40P01)."""
    if "database is locked" in str(err).lower():
        return True
    return getattr(getattr(err, "orig", None), "sqlstate", None) in ("55P03", "40P01")


def disk_full(err: BaseException, url: str) -> bool:
    """The database failed because its disk is full: SQLite's SQLITE_FULL, PostgreSQL's disk_full
    (53100), ENOSPC, or SQLite's disk I/O error with (almost) no space left beside the file."""
    text = str(err).lower()
    if "disk is full" in text or "no space left on device" in text:
        return True
    if getattr(getattr(err, "orig", None), "sqlstate", None) == "53100":
        return True
    free = disk_free(url)
    return "disk i/o error" in text and free is not None and free < FULL_BELOW


def _free_text(url: str) -> str:
    free = disk_free(url)
    return "free space unknown" if free is None else f"{free} bytes free"


_DRIVERS = ("psycopg", "psycopg2", "MySQLdb", "pymysql", "mysqlclient", "cx_Oracle", "oracledb", "pyodbc")


@contextmanager
def unit_of_work(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with session_factory() as session, session.begin():
        yield session
