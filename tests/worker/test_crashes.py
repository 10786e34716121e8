"""Long scenarios against Dovecot: two workers at once, a big mailbox (kill -9 at random points: test_chaos)."""

from __future__ import annotations

import os
import pwd
import random
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from pipeline.adapters.db.models import Message
from pipeline.entrypoints.worker import Worker
from tests.conftest import REPO
from tests.mail.builders import doc_form, ordinary
from tests.worker.conftest import env_for_subprocess

pytestmark = [pytest.mark.imap, pytest.mark.slow]
KEYWORD = b"$IMDiSkjema"


def _fill(dovecot, user: str, forms: int, others: int, seed: int = 7) -> dict[int, tuple[bytes, ...]]:  # type: ignore[no-untyped-def]
    """APPEND `others` ordinary mails (random flags) with `forms` forms spread among them; returns
    the flags each ordinary mail was given, by UID."""
    rnd = random.Random(seed)
    order = ["form"] * forms + ["other"] * others
    rnd.shuffle(order)
    client = dovecot.client(user)
    flags: dict[int, tuple[bytes, ...]] = {}
    n_form = n_other = 0
    for uid, kind in enumerate(order, start=1):
        if kind == "form":
            client.append("INBOX", doc_form(f"Skjema {n_form:03d}"))
            n_form += 1
        else:
            given = tuple(f for f in (b"\\Seen", b"\\Flagged", b"\\Answered") if rnd.random() < 0.3)
            client.append("INBOX", ordinary(n_other), flags=list(given))
            flags[uid] = given
            n_other += 1
    client.logout()
    return flags


def _assert_exactly_once(dovecot, user: str, db, forms: int, flags) -> None:  # type: ignore[no-untyped-def]
    with db() as s:
        subjects = list(s.scalars(select(Message.subject).where(Message.subject.like("Skjema %"))))
        assert sorted(subjects) == [f"Skjema {i:03d}" for i in range(forms)]  # each form once, none lost
        assert s.scalar(select(func.count()).select_from(Message).where(Message.outcome != "unreadable")) == 0
    client = dovecot.client(user)
    client.select_folder("INBOX")
    now = client.get_flags(client.search("ALL"))
    for uid, given in flags.items():
        assert set(now[uid]) == set(given), uid  # other mail's flags unchanged, \Seen untouched
    taken = [uid for uid in now if uid not in flags]
    assert all(now[uid] == (KEYWORD,) for uid in taken)
    client.logout()


def _worker_cmd() -> list[str]:
    return [sys.executable, "-m", "pipeline", "worker", "--once", "--source", "imap"]


def test_two_workers_at_once(dovecot, imap_user, settings, db):
    flags = _fill(dovecot, imap_user, forms=20, others=30, seed=3)
    env = env_for_subprocess(dovecot, imap_user, settings.db_url, str(settings.data_dir))
    procs = [subprocess.Popen(_worker_cmd(), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
    _assert_exactly_once(dovecot, imap_user, db, 20, flags)


def test_big_mailbox_5000_ordinary_and_50_forms(dovecot, imap_user, settings, db):
    """Written as Maildir files (fast), then indexed by Dovecot on the worker's first SELECT."""
    maildir = dovecot.maildir(imap_user)
    owner = pwd.getpwnam("dovecot")
    for sub in ("", "new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
        os.chown(maildir / sub, owner.pw_uid, owner.pw_gid)
    new = maildir / "new"
    stamp = int(time.time())
    forms = set(range(0, 5050, 101))
    n_form = 0
    for i in range(5050):
        if i in forms:
            data = doc_form(f"Skjema {n_form:03d}")
            n_form += 1
        else:
            data = ordinary(i)
        path = new / f"{stamp}.M{i}P1.test"
        path.write_bytes(data.replace(b"\n", b"\r\n") if b"\r\n" not in data else data)
        os.chown(path, owner.pw_uid, owner.pw_gid)
    worker = Worker(settings, source="imap")
    stats = worker.run(once=True)
    assert stats.outcomes["unreadable"] == 50
    assert worker.source.scanned == 5050 and worker.source.downloaded == 50 and worker.source.skipped == 5000
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 50
