"""Liveness is one lease: a polling worker frozen with SIGSTOP loses its mailbox as it loses its replies, and
the standby takes the mailbox over (issue 18: 0 mails taken in for 240 s while the frozen worker kept its
PostgreSQL advisory lock on a live connection). Runs on the suite's database: PostgreSQL in its second pass."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select

from pipeline.adapters.db.models import MailboxState, Message
from tests.conftest import FIXTURES, REPO
from tests.mail.builders import doc_form
from tests.worker.conftest import env_for_subprocess

pytestmark = [pytest.mark.imap, pytest.mark.slow]


class _Worker:
    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "pipeline", "worker", "--source", "imap"], cwd=REPO,
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        assert self.proc.stderr is not None
        self._reader = threading.Thread(target=lambda: self.lines.extend(iter(self.proc.stderr.readline, "")),  # type: ignore[union-attr]
                                        daemon=True)
        self._reader.start()

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def end(self) -> str:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(10)
        return "".join(self.lines)


def _until(predicate, what: str, seconds: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.1)


def test_a_frozen_poller_loses_the_mailbox_to_the_standby(dovecot, imap_user, settings, db):
    env = env_for_subprocess(dovecot, imap_user, settings.db_url, str(settings.data_dir))
    env.update({"PIPELINE_WORKER_BEAT_SECONDS": "1", "PIPELINE_WORKER_LEASE_SECONDS": "4",
                "PIPELINE_IMAP_IDLE_RENEW_SECONDS": "2", "PIPELINE_IMAP_POLL_SECONDS": "1"})

    def poller() -> str | None:
        with db() as s:
            return s.scalar(select(MailboxState.poller))

    first = _Worker(env)
    second = None
    try:
        _until(lambda: f":{first.proc.pid}:" in (poller() or ""), "the first worker polls")
        second = _Worker(env)
        _until(lambda: second.said("standing by"), "the second worker stands by")
        client = dovecot.client(imap_user)
        client.append("INBOX", (FIXTURES / "photo-iphone-inline.eml").read_bytes())  # a slow read (OCR)
        client.logout()

        def reading() -> bool:
            with db() as s:
                return s.scalar(select(Message.id).where(
                    Message.lease_holder.like(f"%:{first.proc.pid}:%"))) is not None

        _until(reading, "the first worker reads the scan")
        os.kill(first.proc.pid, signal.SIGSTOP)  # frozen mid-read, its mailbox and its claim in hand

        def taken() -> bool:
            with db() as s:
                return bool(s.scalar(select(func.count()).select_from(Message).where(Message.outcome.is_not(None))))

        # Both happen while the first is frozen, in either order: the standby may read the scan the frozen
        # worker left (its claim ran out) a moment before it takes the mailbox over.
        _until(taken, "the scan is read while the first worker is frozen")
        _until(lambda: f":{second.proc.pid}:" in (poller() or ""), "the standby takes the mailbox over")
        with db() as s:
            (scan,) = s.scalars(select(Message)).all()
            assert (scan.outcome, scan.attempts, scan.interruptions) == ("queued", 1, 1)
        os.kill(first.proc.pid, signal.SIGCONT)  # it wakes up, finds the mailbox taken and stands by
        client = dovecot.client(imap_user)
        client.append("INBOX", doc_form("Skjema etter at den første våknet"))
        client.logout()
        _until(lambda: _count(db) == 2, "the form is taken in")
        assert f":{second.proc.pid}:" in (poller() or "")
    finally:
        out_first = first.end()
        out_second = second.end() if second else ""
    assert "taken over by" in out_second, out_second[-3000:]
    assert "Traceback" not in out_first + out_second
    with db() as s:
        subjects = sorted(s.scalars(select(Message.subject)))
    assert len(subjects) == 2 and "Skjema etter at den første våknet" in subjects  # each once


def _count(db) -> int:  # type: ignore[no-untyped-def]
    with db() as s:
        return int(s.scalar(select(func.count()).select_from(Message).where(Message.outcome.is_not(None))) or 0)
