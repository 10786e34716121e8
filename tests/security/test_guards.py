"""The guards that held in the first review, kept: through the whole intake (a hostile file in a mail is a
typed outcome), and on the page and in the reply (no markup, no header, no SQL gets through). The file
readers' own guards are in tests/forms, CSRF and the login's in tests/web."""

from __future__ import annotations

import zlib
from dataclasses import replace

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import Attachment, Reply, Task
from pipeline.usecases.ingest import ingest_message
from tests.forms.pdf_samples import many_pages
from tests.forms.test_robustness_docx import BILLION_LAUGHS, _with_document
from tests.mail.builders import DOCX_TYPE
from tests.security import hostile
from tests.web.conftest import csrf_token

XXE = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
       b"<w:p><w:r><w:t>Skjema om mottaksadministrativ bruker i IMDinett mottak &x;</w:t></w:r></w:p>"
       b"</w:body></w:document>")


def flate_bomb(megabytes: int = 400) -> bytes:
    """A one-page PDF whose content stream inflates to `megabytes` of zeros (a few hundred KB as sent)."""
    from tools.fixtures.cases_pdf_build import assemble

    packer = zlib.compressobj(9)
    chunk = b"\0" * (1024 * 1024)
    data = b"".join(packer.compress(chunk) for _ in range(megabytes)) + packer.flush()
    return assemble([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                     b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
                     b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"])


# The files are made when the test runs, not when the file is collected (the bombs cost a second to make, in
# every process that collects them).
@pytest.mark.one_database  # reading a hostile file is the same on either database; each only records the outcome
@pytest.mark.parametrize(("name", "make", "ctype", "codes"), [
    ("billion-laughs.docx", lambda: _with_document(BILLION_LAUGHS), DOCX_TYPE, {"limit.exceeded", "unreadable.corrupt"}),
    ("xxe.docx", lambda: _with_document(XXE), DOCX_TYPE, {"unreadable.corrupt"}),
    ("page-bomb.pdf", lambda: many_pages(100_000), "application/pdf", {"limit.exceeded"}),
    ("flate-bomb.pdf", flate_bomb, "application/pdf", {"limit.exceeded", "unreadable.corrupt", "not_a_form"}),
], ids=["billion-laughs", "xxe", "page-bomb", "flate-bomb"])
def test_hostile_files_in_a_mail_are_typed_outcomes(db, settings, name, make, ctype, codes):
    raw = hostile.message(from_header=hostile.CASE_SENDER, subject="Skjema", auth=hostile.auth_results("fjellbu.no"),
                          attachments=((name, make(), ctype),), message_id=f"<{name}@fjellbu.no>")
    # The bombs need no more; the flate bomb is stopped by the time limit, so less still will do for it.
    quick = replace(settings, limits=replace(settings.limits, parse_seconds=2.0 if name == "flate-bomb.pdf" else 5.0))
    msg = ingest_message(db, raw, source=None, settings=quick)
    with db() as s:
        att = s.scalars(select(Attachment).where(Attachment.message_pk == msg.id)).one()
        replies = [r.body_text for r in s.scalars(select(Reply))]
    assert att.code in codes and msg.error is None
    assert msg.outcome in ("unreadable", "no_form", "limit.exceeded")
    assert all("root:" not in text for text in replies)  # no file's content ever reaches a reply


def test_markup_in_every_field_is_text_on_the_page_and_in_the_reply(logged_in, db, settings, registry):
    from tools.fixtures.docx_variants import Applicant, filled

    evil = '<script>alert("x")</script>'
    form = filled(Applicant("Fjellbu Mottak AS", evil, hostile.CASE_SENDER, "61 26 24 35", evil, "Lunde",
                            "jonas.lunde@fjellbu.no", "917 23 456", evil, ["Gol asylmottak", evil])).to_bytes()
    raw = hostile.message(from_header=hostile.CASE_SENDER, subject="Skjema", auth=hostile.auth_results("fjellbu.no"),
                          attachments=(("skjema.docx", form, DOCX_TYPE),), message_id="<xss@fjellbu.no>")
    ingest_message(db, raw, source=None, settings=settings)
    with db() as s:
        task = s.scalars(select(Task)).one()
        reply = s.scalars(select(Reply)).one()
    html = logged_in.get(f"/oppgave/{task.id}").get_data(as_text=True)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>" not in (reply.body_html or "")


def test_a_line_break_in_the_subject_adds_no_header_to_the_reply(db, settings, tmp_path):
    from email import message_from_bytes, policy

    from pipeline.adapters.outbox import FolderOutbox
    from pipeline.usecases.reply_sending import send_due
    from tests.mail.builders import OLE_DOC

    raw = hostile.message(from_header=hostile.CASE_SENDER, subject="=?utf-8?q?Skjema=0D=0ABcc=3A_x=40evil=2Eexample?=",
                          auth=hostile.auth_results("fjellbu.no"),
                          attachments=(("skjema.doc", OLE_DOC, "application/msword"),))
    ingest_message(db, raw, source=None, settings=settings)
    assert send_due(db, FolderOutbox(tmp_path)) == 1
    sent = message_from_bytes(next(tmp_path.glob("*.eml")).read_bytes(), policy=policy.default)
    assert sent["Bcc"] is None and "evil.example" not in str(sent["To"])


@pytest.mark.parametrize("q", ["' OR 1=1 --", '"; DROP TABLE task; --', "%' UNION SELECT password_hash --"])
def test_sql_in_the_searches_is_only_text(logged_in, db, q):
    for path in ("/", "/meldinger"):
        resp = logged_in.get(path, query_string={"q": q})
        assert resp.status_code == 200
    with db() as s:
        assert s.scalars(select(Task)).all() == []  # the table is still there, and empty


def test_a_decision_without_the_csrf_token_is_refused(logged_in, db, settings, open_case):
    task, _ = open_case
    assert logged_in.post(f"/oppgave/{task.id}/godkjenn", data={"version": str(task.version)}).status_code == 400
    html = logged_in.get(f"/oppgave/{task.id}").get_data(as_text=True)
    assert csrf_token(html)
