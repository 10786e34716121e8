"""Two workers sending at once: each reply goes out exactly once."""

from __future__ import annotations

import threading
from collections import Counter

from pipeline.adapters.db.session import unit_of_work
from pipeline.usecases.reply_sending import send_due
from tests.queue.factory import make_message, open_one


class CountingOutbox:
    sender = "IMDi <post@imdi.no>"

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.lock = threading.Lock()

    def send(self, message, reply_id: int, accepted=None) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            self.sent.append(reply_id)
        if accepted is not None:
            accepted()


def test_two_workers_never_send_the_same_reply_twice(db):
    with unit_of_work(db) as s:
        for i in range(12):
            open_one(s, message=make_message(s, sender=f"p{i}@fjordtun-mottak.no"))
    outbox = CountingOutbox()
    workers = [threading.Thread(target=send_due, args=(db, outbox)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    send_due(db, outbox)  # whatever a worker left after losing races
    counts = Counter(outbox.sent)
    assert sorted(counts) == list(range(1, 13)) and set(counts.values()) == {1}


def test_case_references_are_unique_under_concurrency(db):
    refs: list[str] = []
    errors: list[BaseException] = []

    def open_some(n: int) -> None:
        for i in range(5):
            try:
                with unit_of_work(db) as s:
                    refs.append(open_one(s, message=make_message(s, sender=f"w{n}-{i}@x.no")).case_ref)
            except Exception as exc:  # SQLite may refuse a concurrent writer: that is a retry, not a clash
                errors.append(exc)

    threads = [threading.Thread(target=open_some, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(refs) == len(set(refs)) and len(refs) + len(errors) == 10
    assert len(refs) >= 5
    if db.kw["bind"].dialect.name == "postgresql":
        assert not errors  # the row lock serialises the counter
