"""End to end on the folder source with real forms: tasks, form.in_body, form.duplicate, outcomes.

Needs the readers, the checks and the task queue (other parts of the pipeline); skipped until they
are all present.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import FindingRow, Message, Task
from pipeline.entrypoints.worker import Worker
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


OCR_ON_BOTH = ("scan-pdf-300dpi", "scan-tiff-fax", "photo-iphone-inline", "scan-unreadable")


@pytest.mark.slow
def test_scans_and_photos_are_read_into_review_with_form_ocr(tmp_path, settings, db, registry):
    """Every scan and photo fixture through the worker: the readable ones open a case in review that
    carries form.ocr, with the pages as OCR saw them stored and a receipt that says it was a scan; the
    unreadable ones get today's 'send it as Word' reply."""
    from pipeline.adapters.db.models import PageImage, Reply

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    expected = {}
    scans = sorted([*FIXTURES.glob("scan-*.eml"), *FIXTURES.glob("photo-*.eml")])
    assert len(scans) >= 10
    if os.environ.get("PIPELINE_TEST_DATABASE_URL"):
        # The second pass (PostgreSQL) takes what the database sees differently, not every scan again: the
        # OCR is the same on both, and costs seconds a page. One of each kind: a scanned PDF, an image, a
        # phone photo sent inline, and a scan too poor to read.
        scans = [eml for eml in scans if eml.stem in OCR_ON_BOTH]
        assert len(scans) == len(OCR_ON_BOTH)
    for eml in scans:
        shutil.copy(eml, inbox / eml.name)
        expected[eml.stem] = json.loads(eml.with_suffix(".expected.json").read_text(encoding="utf-8"))
    Worker(settings, source=f"dir:{inbox}").run(once=True)
    with db() as s:
        for m in s.scalars(select(Message)):
            stem = m.mailbox.rsplit("/", 1)[-1].removesuffix(".eml")
            want = expected.pop(stem)
            assert m.outcome == want["outcome"], stem
            tasks = s.scalars(select(Task).where(Task.message_pk == m.id)).all()
            replies = s.scalars(select(Reply).where(Reply.message_pk == m.id)).all()
            if want.get("task") is None:
                assert not tasks and [r.kind for r in replies] == ["unreadable"], stem
                # Today's reply for a scan nobody can read: send the Word file (or a straight photo).
                text = " ".join(replies[0].body_text.split())  # the reply's lines are wrapped
                assert "skannet" in text and "Word-fil (.docx)" in text, (stem, text)
                continue
            (task,) = tasks
            codes = {f.code for f in task.findings}
            assert task.state == want["task"]["state"] and set(want["task"]["findings"]) <= codes, (stem, codes)
            assert task.reading["source"]["method"] == "ocr"
            pages = s.execute(select(PageImage.page, PageImage.width_px).where(
                PageImage.attachment_id == task.attachment_pk).order_by(PageImage.page)).all()
            assert pages and pages[0].page == 1 and pages[0].width_px > 900, stem
            (receipt,) = [r for r in replies if r.task_id == task.id]
            assert receipt.kind == "receipt" and "skannet bilde" in receipt.body_text, stem
    assert not expected  # every fixture became a message
