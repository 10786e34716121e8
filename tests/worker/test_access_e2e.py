"""End to end: removal requests and answers to access reviews (inbox_fixtures/access-*) give the outcomes,
removal tasks, replies and review states their expected files name, from a folder and over IMAP alike: the
IMAP pre-filter must take every one of them in (a plain "har sluttet" has no attachment and no form word)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import AccessReview, Message, Reply, SkippedMail, Task
from pipeline.entrypoints.worker import Worker
from pipeline.steps import reviews
from pipeline.usecases import review_campaigns
from tests.conftest import FIXTURES, REPO
from tests.mail.builders import ordinary
from tests.worker.conftest import imap_settings
from tools.fixtures.cases_access import REVIEW_STARTED, REVIEWED_OPERATORS


@pytest.mark.parametrize("via", ["folder", pytest.param("imap", marks=pytest.mark.imap)])
def test_access_fixtures_give_the_expected_tasks_replies_and_reviews(via, tmp_path, settings, db, registry,
                                                                     request):
    started = review_campaigns.start(db, operators=REVIEWED_OPERATORS, actor="ola", settings=settings,
                            now=datetime.fromisoformat(REVIEW_STARTED))
    assert [r["ref"] for r in started.reviews] == ["2026-G001", "2026-G002", "2026-G003"]
    expected, slugs = {}, {}
    for eml in sorted(FIXTURES.glob("access-*.eml")):
        expected[eml.stem] = json.loads(eml.with_suffix(".expected.json").read_text(encoding="utf-8"))
        slugs[_message_id(eml.read_bytes())] = eml.stem
    assert len(expected) >= 10
    if via == "folder":
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        for eml in sorted(FIXTURES.glob("access-*.eml")):
            shutil.copy(eml, inbox / eml.name)
        stats = Worker(settings, source=f"dir:{inbox}").run(once=True)
    else:
        server, user = request.getfixturevalue("dovecot"), request.getfixturevalue("imap_user")
        settings = replace(settings, imap=imap_settings(server, user))
        client = server.client(user)
        for eml in sorted(FIXTURES.glob("access-*.eml")):
            client.append("INBOX", eml.read_bytes())
        client.append("INBOX", ordinary(1))  # a stranger's mail about nothing: left unread, and listed
        client.logout()
        worker = Worker(settings, source="imap")
        stats = worker.run(once=True)
        assert worker.source.skipped == 1 and worker.source.downloaded == len(expected)
    assert stats.replies_sent >= 3 + 7  # the three reviews and the receipts and requests below
    with db() as s:
        taken = {slugs[m.message_id]: m for m in s.scalars(select(Message))}
        assert sorted(taken) == sorted(expected)  # every one of them taken in, case for case
        for slug, message in taken.items():
            want = expected[slug]
            assert message.outcome == want["outcome"], slug
            tasks = s.scalars(select(Task).where(Task.message_pk == message.id)).all()
            got = sorted(({"user_id": t.user_id, "centres": sorted(c.mottaksnummer for c in t.centres),
                           "state": t.state, "origin": t.origin, "findings": [f.code for f in t.findings]}
                          for t in tasks), key=lambda t: t["user_id"] or "")
            assert all(t.kind == "removal" for t in tasks), slug
            assert got == sorted(want["lifecycle"]["removal_tasks"], key=lambda t: t["user_id"] or ""), slug
            kinds = sorted(s.scalars(select(Reply.kind).where(Reply.message_pk == message.id)))
            assert kinds == sorted(want["lifecycle"]["replies"]), slug
            if "review" in want["lifecycle"]:
                review = s.scalar(select(AccessReview).where(AccessReview.ref == want["lifecycle"]["review"]["ref"]))
                assert review.state == want["lifecycle"]["review"]["state"], slug
                assert review.answer_message_pk == message.id
                assert sorted(t.id for t in tasks) == sorted(
                    reviews.removal_task_ids(s, [review.id])[review.id]), slug
        if via == "imap":
            (left,) = s.scalars(select(SkippedMail)).all()
            assert (left.uid, left.reason) == (len(expected) + 1, "nothing_to_read")
    if via == "imap":
        out = subprocess.run([sys.executable, "-m", "pipeline", "status", "--json", "--data-dir",
                              str(settings.data_dir), "--database-url", settings.db_url],
                             cwd=REPO, capture_output=True, text=True, timeout=120)
        data = json.loads(out.stdout)
        assert data["skipped"]["counts"] == {settings.imap.mailbox: 1}
        assert [k["uid"] for k in data["skipped"]["recent"]] == [len(expected) + 1]


def _message_id(raw: bytes) -> str:
    from email import message_from_bytes, policy

    return str(message_from_bytes(raw, policy=policy.default)["Message-ID"]).strip()
