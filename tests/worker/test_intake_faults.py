"""What failed in the chaos run of issue 18, each sent the way the fault sends it, through real Dovecot.

- a scanned form whose reader (the worker) is killed three times mid-OCR is read, not parked;
- a retried mail keeps the server's INTERNALDATE, so an old Date header holds no reply;
- a retry after a restart is flagged on the server even with the mailbox position past it;
- an identical copy arriving while the first is pending stays a copy, and both are flagged.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from pipeline.adapters.db.models import MailboxState, Message, Reply
from pipeline.adapters.db.session import unit_of_work
from pipeline.core.clock import aware
from pipeline.entrypoints.worker import Worker
from pipeline.usecases import ingest as ingest_mod
from tests.conftest import FIXTURES, REPO
from tests.processes import running
from tests.worker.conftest import env_for_subprocess

pytestmark = pytest.mark.imap
KEYWORD = b"$IMDiSkjema"


def _flags(dovecot, user: str) -> dict[int, tuple[bytes, ...]]:  # type: ignore[no-untyped-def]
    client = dovecot.client(user)
    client.select_folder("INBOX")
    flags = client.get_flags(client.search("ALL"))
    client.logout()
    return {uid: tuple(f) for uid, f in flags.items()}


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found |= {int(c) for c in f.read().split()}
        except FileNotFoundError:
            continue
    return found


def _claimed_by(db, pid: int) -> bool:  # type: ignore[no-untyped-def]
    with db() as s:
        return s.scalar(select(Message.id).where(Message.outcome.is_(None),
                                                 Message.lease_holder.like(f"%:{pid}:%"))) is not None


@pytest.mark.slow
def test_kills_during_a_slow_read_are_not_the_mails_fault(dovecot, imap_user, settings, db, registry):
    """The worker is killed with kill -9 three times while OCR reads a scan: the form still becomes a case,
    its reply is not held (the server's arrival time, not the two-month-old Date header, is the mail's), it
    is flagged on the server although the position was saved past it, and no parser is left running."""
    client = dovecot.client(imap_user)
    client.append("INBOX", (FIXTURES / "scan-pdf-300dpi.eml").read_bytes())  # Date: 2 Nov, outside the window
    client.logout()
    env = env_for_subprocess(dovecot, imap_user, settings.db_url, str(settings.data_dir))
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "worker", "--once", "--source", "imap"],
                                cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while not (_claimed_by(db, proc.pid) and _children(proc.pid)):
                assert proc.poll() is None and time.monotonic() < deadline, "the worker never started reading"
                time.sleep(0.05)
            readers = _children(proc.pid)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        deadline = time.monotonic() + 20
        while any(running(c) for c in readers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(running(c) for c in readers), "a parser outlived its killed worker"
    with unit_of_work(db) as s:
        # As a run that got past this mail leaves it: the position beyond it, so only the retry can take it.
        s.execute(update(MailboxState).values(last_uid=1))
    Worker(settings, source="imap").run(once=True)
    with db() as s:
        (message,) = s.scalars(select(Message)).all()
        assert (message.outcome, message.attempts, message.interruptions) == ("queued", 1, 3)
        assert aware(message.received_at) > datetime.now(UTC) - timedelta(hours=1)  # INTERNALDATE, not Date
        states = set(s.scalars(select(Reply.state).where(Reply.message_pk == message.id)))
        assert states and "draft" not in states  # not held as "older than the intake window"
        assert not message.mark_owed
    assert _flags(dovecot, imap_user)[1] == (KEYWORD,)


def test_a_copy_arriving_while_the_first_is_pending_stays_a_copy(dovecot, imap_user, settings, db, registry,
                                                                 monkeypatch):
    """The disk is full while the first copy is recorded; its byte-identical copy comes right behind it. The
    first keeps its own reference, the copy is its duplicate, and after a restart both are flagged."""
    data = (FIXTURES / "docx-plain.eml").read_bytes()
    client = dovecot.client(imap_user)
    client.append("INBOX", data)
    client.append("INBOX", data)
    client.logout()
    real = ingest_mod.extract_forms
    calls = []

    def disk_full_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_mod, "extract_forms", disk_full_once)
    Worker(settings, source="imap").run(once=True)
    with db() as s:
        rows = [(m.uid, m.outcome, m.duplicate_of_id) for m in s.scalars(select(Message).order_by(Message.id))]
        first_id = s.scalars(select(Message.id).order_by(Message.id)).first()
    assert rows == [(1, None, None), (2, "duplicate", first_id)]
    assert _flags(dovecot, imap_user) == {1: (), 2: ()}  # nothing taken yet
    Worker(settings, source="imap").run(once=True)  # a restart: the retry comes before the first poll
    with db() as s:
        rows = [(m.uid, m.outcome, m.mark_owed) for m in s.scalars(select(Message).order_by(Message.id))]
        received = s.scalars(select(Message.received_at).order_by(Message.id)).first()
    assert rows == [(1, "queued", False), (2, "duplicate", False)]
    assert aware(received) > datetime.now(UTC) - timedelta(hours=1)  # INTERNALDATE, not Date
    assert _flags(dovecot, imap_user) == {1: (KEYWORD,), 2: (KEYWORD,)}

