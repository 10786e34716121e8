"""End to end on the folder source: removal requests and answers to access reviews (inbox_fixtures/access-*)
give the outcomes, removal tasks, replies and review states their expected files name."""

from __future__ import annotations

import json
import shutil
from datetime import datetime

from sqlalchemy import select

from pipeline.adapters.db.models import AccessReview, Message, Reply, Task
from pipeline.entrypoints.worker import Worker
from pipeline.steps import reviews
from pipeline.usecases import review_campaigns
from tests.conftest import FIXTURES
from tools.fixtures.cases_access import REVIEW_STARTED, REVIEWED_OPERATORS


def _slug(message: Message) -> str:
    return (message.mailbox or "").rsplit("/", 1)[-1].removesuffix(".eml")


def test_access_fixtures_give_the_expected_tasks_replies_and_reviews(tmp_path, settings, db, registry):
    started = review_campaigns.start(db, operators=REVIEWED_OPERATORS, actor="ola", settings=settings,
                            now=datetime.fromisoformat(REVIEW_STARTED))
    assert [r["ref"] for r in started.reviews] == ["2026-G001", "2026-G002", "2026-G003"]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    expected = {}
    for eml in sorted(FIXTURES.glob("access-*.eml")):
        shutil.copy(eml, inbox / eml.name)
        expected[eml.stem] = json.loads(eml.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert len(expected) >= 10
    stats = Worker(settings, source=f"dir:{inbox}").run(once=True)
    assert stats.replies_sent >= 3 + 7  # the three reviews and the receipts and requests below
    with db() as s:
        for message in s.scalars(select(Message)):
            slug = _slug(message)
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
