"""Slow files never block: a mail's files are read under one budget and outside any transaction, so a web
login (a write) during a slow ingest answers at once instead of 'database is locked'."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import Attachment, Message
from pipeline.usecases.ingest import ingest_message
from tests.security import hostile
from tests.web.conftest import login


def _quick(settings, pdf: float = 3.0, mail: float = 8.0):  # type: ignore[no-untyped-def]
    """Test-sized budgets: 3 s per PDF, 8 s per mail (the defaults, 20 and 45, are measured by bench/ingest)."""
    return replace(settings, limits=replace(settings.limits, parse_seconds=pdf, message_seconds=mail))


@pytest.mark.one_database  # the mail's budget is the reader's; the lock-free read is the next test's, on both
def test_six_slow_pdfs_cost_one_mail_budget_with_typed_outcomes(db, settings):
    """The first version gave each of six slow PDFs its whole 20 s: two minutes for one mail."""
    quick = _quick(settings, pdf=2.0, mail=4.0)
    raw = hostile.slow_pdf_mail(6)
    started = time.monotonic()
    msg = ingest_message(db, raw, source=None, settings=quick)
    elapsed = time.monotonic() - started
    assert msg.outcome == "limit.exceeded"
    with db() as s:
        codes = [a.code for a in s.scalars(select(Attachment).where(Attachment.message_pk == msg.id)
                                           .order_by(Attachment.id))]
    assert codes == ["limit.exceeded"] * 6
    # A functional bound, well above the budget (4 s) and below what six files used to take (6 x 2 s).
    assert elapsed < 4 + 7, elapsed


def test_a_login_during_a_slow_ingest_answers_at_once(client, db, settings):
    quick = _quick(settings, pdf=2.0, mail=5.0)  # long enough for two logins while the files are read
    done: dict[str, object] = {}

    raw = hostile.slow_pdf_mail(6)

    def slow() -> None:
        done["message"] = ingest_message(db, raw, source=None, settings=quick)

    thread = threading.Thread(target=slow)
    thread.start()
    try:
        while True:  # wait until the mail is claimed: its files are being read now
            with db() as s:
                if s.scalar(select(Message.lease_holder).where(Message.subject == "Skjemaer som PDF")):
                    break
            time.sleep(0.05)
        wrong = login(client, password="feil passord")  # a write: the failed attempt is counted
        assert wrong.status_code == 401 and "database is locked" not in wrong.get_data(as_text=True)
        right = login(client)
        assert right.status_code == 302
        assert thread.is_alive()  # both answered while the mail was still being read
    finally:
        thread.join(timeout=120)
    assert getattr(done.get("message"), "outcome", None) == "limit.exceeded"
