"""The database holds raw mail, personal data and password hashes: its files are the owner's alone."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from pipeline.adapters.db.session import open_database
from pipeline.settings import Settings


@pytest.mark.pure
def test_sqlite_files_are_0600_and_the_data_folder_0700(tmp_path: Path):
    data = tmp_path / "var"
    factory = open_database(Settings(data_dir=data))
    with factory.begin() as session:  # a write, so that SQLite makes its -wal and -shm files
        session.execute(text("INSERT INTO case_counter (year, last) VALUES (1999, 1)"))
    files = sorted(data.glob("pipeline.sqlite3*"))
    assert {f.name for f in files} >= {"pipeline.sqlite3", "pipeline.sqlite3-wal", "pipeline.sqlite3-shm"}
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    factory.kw["bind"].dispose()


@pytest.mark.pure
def test_files_left_world_readable_by_an_older_version_are_tightened(tmp_path: Path):
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    db = data / "pipeline.sqlite3"
    db.touch(mode=0o644)
    os.chmod(db, 0o644)
    open_database(Settings(data_dir=data)).kw["bind"].dispose()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600 and stat.S_IMODE(data.stat().st_mode) == 0o700
