"""End to end on the folder source with real forms: tasks, form.in_body, form.duplicate, outcomes.

Needs the readers, the checks and the task queue (other parts of the pipeline); skipped until they
are all present.
"""

from __future__ import annotations

import json
import shutil

from sqlalchemy import select

from pipeline.db.models import FindingRow, Message, Task
from pipeline.worker import Worker
from tests.conftest import FIXTURES


def test_mail_fixtures_give_the_expected_outcomes(tmp_path, settings, db, registry):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    expected = {}
    for eml in sorted(FIXTURES.glob("mail-*.eml")):
        shutil.copy(eml, inbox / eml.name)
        expected[eml.stem] = json.loads(eml.with_suffix(".expected.json").read_text(encoding="utf-8"))["outcome"]
    Worker(settings, source=f"dir:{inbox}").run(once=True)
    with db() as s:
        got = {m.mailbox.rsplit("/", 1)[-1].removesuffix(".eml"): m.outcome for m in s.scalars(select(Message))}
        assert got == expected
        tasks = {t.message_pk: t for t in s.scalars(select(Task))}
        codes = {m.mailbox.rsplit("/", 1)[-1].removesuffix(".eml"):
                 sorted(f.code for f in s.scalars(select(FindingRow).where(FindingRow.task_id == tasks[m.id].id)))
                 for m in s.scalars(select(Message)) if m.id in tasks}
    assert "form.in_body" in codes["mail-form-in-body"]
    if "mail-docx-and-pdf" in codes:
        assert "form.duplicate" in codes["mail-docx-and-pdf"]
    assert len(tasks) == sum(1 for o in expected.values() if o in ("queued", "needs_info"))


def test_the_same_form_twice_gives_one_task(tmp_path, settings, db, registry):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    raw = (FIXTURES / "mail-zip.eml").read_bytes()
    (inbox / "a.eml").write_bytes(raw)
    (inbox / "b.eml").write_bytes(raw)
    stats = Worker(settings, source=f"dir:{inbox}").run(once=True)
    assert dict(stats.outcomes) == {"queued": 1, "duplicate": 1}
    with db() as s:
        assert len(s.scalars(select(Task)).all()) == 1
