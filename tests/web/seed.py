"""Rows for the web tests and the UI benchmark, inserted directly (as the task service would leave them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from pipeline.adapters.db.models import (
    Attachment,
    FindingRow,
    Message,
    OperatorAccount,
    Reply,
    Task,
    TaskCentre,
)
from pipeline.steps.credentials import add_operator

PASSWORD = "riktig-passord-123"


def operator(session: Session, name: str = "kari.saksbehandler") -> OperatorAccount:
    return add_operator(session, name, PASSWORD)


def reading(first: str | None, last: str | None, email: str | None, mobile: str | None,
            centres: Sequence[str], *, organisation: str = "Fjordtun Mottaksdrift AS",
            fmt: str = "docx", filename: str | None = "skjema.docx") -> dict[str, Any]:
    def cell(row: int) -> dict[str, Any]:
        return {"kind": "table_cell", "table": 0, "row": row, "cell": 1}

    values = {"operator.organisation": organisation, "applicant.first_name": first,
              "applicant.last_name": last, "applicant.email": email, "applicant.mobile": mobile}
    prov: dict[str, Any] = {p: cell(i) for i, (p, v) in enumerate(values.items()) if v}
    prov["centres"] = [{"kind": "table_cell", "table": 1, "row": i, "cell": 0} for i in range(len(centres))]
    return {
        "form": "mottaksadministrator",
        "source": {"filename": filename, "format": fmt, "method": fmt, "provenance": prov},
        "operator": {"organisation": organisation, "manager": "Thomas Johannessen",
                     "email": "thomas.johannessen@fjordtun-mottak.no", "phone": "+4757816472"},
        "applicant": {"first_name": first, "last_name": last, "email": email, "mobile": mobile,
                      "position": "Mottaksleder"},
        "centres": list(centres),
    }


def task(session: Session, n: int, *, first: str = "Ola", last: str = "Nordmann", email: str | None = None,
         mobile: str | None = None, state: str = "review",
         centres: Sequence[tuple[str, str | None, str | None]] = (("Askim asylmottak", "0101", "Askim asylmottak"),),
         findings: Sequence[dict[str, Any]] = (), attachment: tuple[str, bytes] | None = None,
         created_at: datetime | None = None, reply: tuple[str, str] | None = None,
         sender: str = "thomas.johannessen@fjordtun-mottak.no") -> Task:
    email = email or f"{first.lower()}.{last.lower()}{n}@fjordtun-mottak.no"
    mobile = mobile or f"+479{n:07d}"
    msg = Message(sha256=f"{n:064x}", message_id=f"<m{n}@fjordtun-mottak.no>", sender=sender,
                  subject=f"Skjema for {first} {last}", received_at=created_at or datetime.now(UTC),
                  raw=b"", size=0, outcome="needs_info" if state == "needs_info" else "queued",
                  sender_verified=True, auth_results={"verified": True, "reason": "DMARC pass", "rule": "dmarc"})
    session.add(msg)
    session.flush()
    att = None
    if attachment is not None:
        att = Attachment(message_pk=msg.id, filename=attachment[0], content_type="application/octet-stream",
                         size=len(attachment[1]), data=attachment[1], code="read")
        session.add(att)
        session.flush()
    t = Task(case_ref=f"2026-{n:05d}", state=state, message_pk=msg.id, attachment_pk=att.id if att else None,
             sender=sender, first_name=first, last_name=last, email=email, mobile=mobile,
             position="Mottaksleder", operator={"organisation": "Fjordtun Mottaksdrift AS"}, operator_id="DRO1007",
             reading=reading(first, last, email, mobile, [c[0] for c in centres],
                             filename=attachment[0] if attachment else None,
                             fmt="pdf" if attachment and attachment[0].endswith(".pdf") else "docx"),
             )
    if created_at is not None:
        t.created_at = created_at
    session.add(t)
    session.flush()
    for i, (written, number, name) in enumerate(centres):
        session.add(TaskCentre(task_id=t.id, position=i, written=written, mottaksnummer=number, name=name))
    for f in findings:
        session.add(FindingRow(task_id=t.id, code=f["code"], severity=f.get("severity", "error"),
                               field=f.get("field"), message_no=f.get("message_no", "Må rettes."),
                               message_en=f.get("message_en", "Needs fixing."), details=f.get("details", {})))
    if reply is not None:
        session.add(Reply(task_id=t.id, message_pk=msg.id, kind="receipt", to_addr=sender, subject=reply[0],
                          body_text=reply[1], rfc_message_id=f"<r{n}@imdi.no>", state="draft"))
    return t


def fixture_file(slug: str) -> tuple[str, bytes]:
    """The first attached file of inbox_fixtures/<slug>.eml: (filename, bytes)."""
    from email import message_from_bytes, policy

    from tests.conftest import FIXTURES

    msg = message_from_bytes((FIXTURES / f"{slug}.eml").read_bytes(), policy=policy.default)
    for part in msg.walk():
        if part.get_filename() and not part.is_multipart():
            return part.get_filename(), part.get_payload(decode=True)
    raise LookupError(f"no attachment in {slug}.eml")


def read_task(session: Session, n: int, slug: str, **kw: Any) -> Task:
    """A task whose attachment and reading are a real fixture's, read by the real reader (pictures stored
    as ingest stores them)."""
    from pipeline.forms import read_form
    from pipeline.steps.pictures import store_pictures

    filename, data = fixture_file(slug)
    reading = read_form(data, filename)
    t = task(session, n, attachment=(filename, data), **kw)
    t.reading = reading.to_json()
    if reading.pictures and t.attachment_pk:
        store_pictures(session, t.attachment_pk, reading.pictures)
    session.flush()
    return t
