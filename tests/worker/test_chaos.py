"""A bounded chaos run of the project's own (issue 18): kill -9 during intake over real Dovecot, mail added
while the workers come and go, then one clean run. Every mail is recorded once, every form is one case,
every removal request gives its cases once, taken mail is flagged and no other mail's flags change. It runs
on the suite's database (SQLite, and PostgreSQL in the suite's second pass); loopback only; at most four
kills of a few seconds each."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from pipeline.adapters.db.models import Message, Task
from tests.conftest import FIXTURES, REPO
from tests.mail.builders import ordinary
from tests.worker.conftest import env_for_subprocess

pytestmark = [pytest.mark.imap, pytest.mark.slow]
KEYWORD = b"$IMDiSkjema"
FORMS = ("docx-plain", "docx-formtext", "docx-content-controls", "docx-hyperlinks", "docx-label-cell",
         "docx-merged-cells")
REMOVALS = ("access-removal-named", "access-removal-by-email", "access-removal-unverified",
            "access-removal-two-people")
KILLS = 4


def _message_id(raw: bytes) -> str:
    from email import message_from_bytes, policy

    return str(message_from_bytes(raw, policy=policy.default)["Message-ID"]).strip()


def test_kill_9_during_intake_every_mail_once(dovecot, imap_user, settings, db, registry):
    rnd = random.Random(18)
    mails = [(name, (FIXTURES / f"{name}.eml").read_bytes()) for name in FORMS + REMOVALS]
    rnd.shuffle(mails)
    cases = {_message_id(data): (1 if name in FORMS else len(json.loads(
        (FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))["lifecycle"]["removal_tasks"]))
        for name, data in mails}
    others: dict[int, tuple[bytes, ...]] = {}
    uid = 0
    client = dovecot.client(imap_user)

    def append_some(n: int) -> None:
        nonlocal uid
        for _ in range(n):
            if mails and rnd.random() < 0.5:
                client.append("INBOX", mails.pop()[1])
                uid += 1
            else:
                given = tuple(f for f in (b"\\Seen", b"\\Flagged") if rnd.random() < 0.4)
                client.append("INBOX", ordinary(1000 + uid), flags=list(given))
                uid += 1
                others[uid] = given

    append_some(8)
    env = env_for_subprocess(dovecot, imap_user, settings.db_url, str(settings.data_dir))
    cmd = [sys.executable, "-m", "pipeline", "worker", "--once", "--source", "imap"]
    for _ in range(KILLS):
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(rnd.uniform(1.5, 3.5))
            append_some(3)  # mail arriving while the worker runs
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
    while mails:
        append_some(1)
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    with db() as s:
        rows = s.execute(select(Message.message_id, Message.outcome, Message.id)).all()
        recorded = sorted(m for m, _, _ in rows)
        assert recorded == sorted(cases)  # each mail that matters once, none lost, no stranger's mail read
        assert all(outcome == "queued" for _, outcome, _ in rows), rows
        per_message = dict(s.execute(select(Task.message_pk, func.count()).group_by(Task.message_pk)).all())
        assert {m: per_message.get(pk, 0) for m, _, pk in rows} == cases  # every form one case, every removal
    client.select_folder("INBOX")
    flags = client.get_flags(client.search("ALL"))
    client.logout()
    for n, given in others.items():
        assert set(flags[n]) == set(given), n  # other mail untouched, \\Seen included
    assert all(flags[n] == (KEYWORD,) for n in flags if n not in others)  # every taken UID flagged
