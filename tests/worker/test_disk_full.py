"""A full disk is named as such (issue 18: it was "cannot reach the database …: disk I/O error"): by the
worker as it starts, by `pipeline status`, on a real full file system (a small tmpfs; the suite runs as
root, as Dovecot's tests need)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _pipeline(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PIPELINE_DATABASE_URL", "PIPELINE_TEST_DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", "pipeline", *args, "--data-dir", str(data),
                           "--database-url", f"sqlite:///{data / 'pipeline.sqlite3'}"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def _fill(disk: Path) -> None:
    with open(disk / "filler", "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass


def test_a_full_disk_is_named_by_status_and_the_worker(small_disk: Path, tmp_path: Path):
    data = small_disk / "data"
    data.mkdir()
    made = _pipeline("status", "--json", data=data)  # the database made while there was room
    assert made.returncode == 0 and json.loads(made.stdout)["disk"]["full"] is False
    _fill(small_disk)
    status = _pipeline("status", "--json", data=data)
    assert status.returncode == 2
    error = json.loads(status.stdout)["error"]
    assert error["code"] == "db.disk_full" and "is full (0 bytes free)" in error["message"]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes((REPO / "inbox_fixtures" / "docx-plain.eml").read_bytes())
    worker = _pipeline("worker", "--once", "--source", f"dir:{inbox}", data=data)
    assert worker.returncode != 0
    assert "db.disk_full" in worker.stderr and "is full" in worker.stderr, worker.stderr[-2000:]
    assert "cannot reach the database" not in worker.stderr
