"""Faults the worker lives through: a database that is not there at start, and a worker killed while it
sends a reply (the reply goes out at the next cycle, not after the lease)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from pipeline.adapters.db.models import Message, Reply, WorkerHeartbeat
from pipeline.adapters.db.session import unit_of_work
from pipeline.adapters.outbox import SmtpOutbox
from pipeline.core.clock import now_utc
from pipeline.usecases import worker_leases as workers
from pipeline.usecases.reply_sending import _claim, send_due
from tests.conftest import FIXTURES, REPO
from tests.queue.factory import make_message, open_one
from tests.servers.smtp import smtp_server  # noqa: F401  (fixture)


def _reply(db) -> int:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        task = open_one(s, message=make_message(s, sender="liv.bakken@nordlysomsorg.no"))
        return int(s.scalars(select(Reply.id).where(Reply.task_id == task.id)).one())


def _state(db, reply_id: int) -> Reply:  # type: ignore[no-untyped-def]
    with db() as s:
        reply = s.get(Reply, reply_id)
        assert reply is not None
        return reply


def test_a_reply_claimed_by_a_silent_worker_is_sent_at_the_next_cycle(db, smtp_server):  # noqa: F811
    reply_id = _reply(db)
    outbox = SmtpOutbox(smtp_server.host, smtp_server.port, security="none", timeout=5)
    workers.register(db, "elsewhere:4242:aaaa")
    assert _claim(db, now_utc(), timedelta(minutes=10), "elsewhere:4242:aaaa") == reply_id
    # While its claimer beats, the reply is left to it.
    assert send_due(db, outbox, holder="here:1:bbbb") == 0
    # The claimer falls silent (a machine that died) and its lease runs out: well inside the reply's own
    # ten-minute lease, the reply goes out.
    with unit_of_work(db) as s:
        s.execute(update(WorkerHeartbeat).values(beat_at=now_utc() - workers.LEASE - timedelta(seconds=1),
                                                 lease_until=now_utc() - timedelta(seconds=1)))
    assert send_due(db, outbox, holder="here:1:bbbb") == 1
    assert len(smtp_server.received) == 1 and _state(db, reply_id).state == "sent"


def test_a_worker_stopped_cleanly_gives_up_its_claims(db, smtp_server):  # noqa: F811
    reply_id = _reply(db)
    outbox = SmtpOutbox(smtp_server.host, smtp_server.port, security="none", timeout=5)
    workers.register(db, "host:7:cccc")
    assert _claim(db, now_utc(), timedelta(minutes=10), "host:7:cccc") == reply_id
    workers.stop(db, "host:7:cccc")
    assert send_due(db, outbox, holder="host:8:dddd") == 1


@pytest.mark.slow
def test_a_worker_killed_mid_send_is_followed_at_once(db, settings, smtp_server, tmp_path: Path):  # noqa: F811
    """A real worker process sends through a relay that hangs in DATA; kill -9; the next sender on this
    machine sees the process is gone and sends the reply now, with the same Message-ID."""
    reply_id = _reply(db)
    smtp_server.handler.stall.set()
    env = {**os.environ, "PIPELINE_SMTP_HOST": smtp_server.host, "PIPELINE_SMTP_PORT": str(smtp_server.port),
           "PIPELINE_SMTP_SECURITY": "none", "PIPELINE_SMTP_TIMEOUT": "60"}
    empty = tmp_path / "empty"
    empty.mkdir()
    worker = subprocess.Popen([sys.executable, "-m", "pipeline", "worker", "--source", f"dir:{empty}",
                               "--data-dir", str(settings.data_dir), "--database-url", settings.db_url],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert smtp_server.handler.in_data.wait(60), "the worker never reached the relay"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    smtp_server.handler.stall.clear()
    claimed = _state(db, reply_id)
    assert claimed.state == "sending" and claimed.claimed_by and f":{worker.pid}:" in claimed.claimed_by
    outbox = SmtpOutbox(smtp_server.host, smtp_server.port, security="none", timeout=5)
    workers.reap(db)
    assert send_due(db, outbox, holder="test:1:eeee") == 1  # now, not ten minutes from now
    sent = _state(db, reply_id)
    assert sent.state == "sent" and sent.attempts == 2
    ids = {r.message["Message-ID"] for r in smtp_server.received}
    assert ids == {sent.rfc_message_id}  # any copy the dead worker got through carries the same id


@pytest.mark.slow
def test_the_worker_waits_for_its_database_instead_of_exiting(tmp_path: Path) -> None:
    """The database's folder is not there when the worker starts (a mount not up yet, a disk being
    replaced): it says so and tries again with backoff; once the folder is there it takes in the mail."""
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    data.mkdir()
    shutil.copy(FIXTURES / "docx-plain.eml", inbox)
    missing = tmp_path / "not-mounted-yet"
    url = f"sqlite:///{missing / 'pipeline.sqlite3'}"
    env = {**os.environ, "PIPELINE_WORKER_POLL_SECONDS": "1"}
    worker = subprocess.Popen([sys.executable, "-m", "pipeline", "worker", "--source", f"dir:{inbox}",
                               "--data-dir", str(data), "--database-url", url],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(worker.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not any("cannot start" in line for line in lines) and time.monotonic() < deadline:
            assert worker.poll() is None, "".join(lines)
            time.sleep(0.1)
        assert any("cannot start: cannot reach the database" in line for line in lines), "".join(lines)
        missing.mkdir()
        from pipeline.adapters.db.session import session_factory
        from pipeline.settings import Settings

        factory = session_factory(Settings(data_dir=data, database_url=url))
        deadline = time.monotonic() + 90
        taken = False
        while time.monotonic() < deadline and not taken:
            time.sleep(0.5)
            try:
                with factory() as s:
                    taken = s.scalar(select(Message.outcome).limit(1)) is not None
            except Exception:  # noqa: BLE001 - the schema may not exist yet
                taken = False
        assert taken, "the worker did not take in the mail after its database appeared"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        reader.join(timeout=10)
    err = "".join(lines)
    assert worker.returncode == 0, err
    assert "Traceback" not in err
