"""`pipeline worker` without --once: each cycle takes new mail, drafts due reminders and sends due
replies, and the loop keeps going through mail whose processing fails."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from pipeline.adapters.db.models import Message, Reply, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.entrypoints.worker import Worker
from pipeline.settings import WorkerSettings
from pipeline.usecases import ingest as ingest_mod
from pipeline.usecases.ingest import ingest_message
from tests.mail.builders import DOCX_TYPE, doc_form, mail, raw


def _wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def _old_needs_info_task(db, settings) -> int:  # type: ignore[no-untyped-def]
    """A request for information that went out two weeks ago and was never answered."""
    from pipeline.adapters.outbox import outbox_from_settings
    from pipeline.usecases.reply_sending import send_due
    from tools.fixtures.docx_variants import Applicant, filled

    a = Applicant("Fjellbu Mottak AS", "Kari Berg", "kari.berg@fjellbu.no", "61 26 24 35", "Jonas", "Lunde",
                  "jonas.lunde@fjellbu.no", None, "Miljøarbeider", ["Gol asylmottak"])
    data = raw(mail("Søknad – Jonas Lunde", sender="Kari Berg <kari.berg@fjellbu.no>",
                    attachments=[("skjema.docx", filled(a).to_bytes(), DOCX_TYPE)]))
    assert ingest_message(db, data, source=None, settings=settings).outcome == "needs_info"
    assert send_due(db, outbox_from_settings(settings)) == 1
    with unit_of_work(db) as s:
        task = s.scalars(select(Task)).one()
        task.state_changed_at = task.created_at = datetime.now(UTC) - timedelta(days=14)
        return task.id


def test_the_loop_reminds_sends_and_survives_bad_mail(tmp_path: Path, settings, db, registry, monkeypatch):
    task_id = _old_needs_info_task(db, settings)
    real = ingest_mod.extract_forms

    def explode_on_krasj(parsed, limits, **kw):  # type: ignore[no-untyped-def]
        if "krasj" in (parsed.subject or ""):
            raise RuntimeError("reader exploded")
        return real(parsed, limits, **kw)

    monkeypatch.setattr(ingest_mod, "extract_forms", explode_on_krasj)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1-bad.eml").write_bytes(doc_form("Skjema som krasj"))
    (inbox / "2-good.eml").write_bytes(doc_form("Skjema gammelt format"))
    worker = Worker(settings, source=f"dir:{inbox}", config=WorkerSettings(max_attempts=2, poll_seconds=1))
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        def outcomes() -> dict[str, str | None]:
            with db() as s:
                return {m.subject: m.outcome for m in s.scalars(select(Message)) if m.subject.startswith("Skjema ")}

        _wait_for(lambda: outcomes() == {"Skjema som krasj": "failed", "Skjema gammelt format": "unreadable"})
        (inbox / "3-new.eml").write_bytes(doc_form("Skjema kom senere"))  # arrives while the loop runs
        _wait_for(lambda: outcomes().get("Skjema kom senere") == "unreadable")
        _wait_for(lambda: worker.stats.replies_sent >= 3)  # two 'unreadable' replies and the reminder
        cycles = worker.stats.cycles
        _wait_for(lambda: worker.stats.cycles >= cycles + 3)  # a few more cycles: still one reminder
    finally:
        worker.stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    with db() as s:
        kinds = sorted((r.kind, r.state) for r in s.scalars(select(Reply)))
        assert s.get(Task, task_id).reminder_sent_at is not None
    assert kinds == [("needs_info", "sent"), ("reminder", "sent"), ("unreadable", "sent"), ("unreadable", "sent")]
    assert worker.stats.reminders == 1
    assert len(list((settings.outbox_dir).glob("*.eml"))) == 4
