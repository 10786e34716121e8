"""Building messages, readings and check results directly, for tests that need a task."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

from sqlalchemy.orm import Session

from pipeline.adapters.db.models import Message
from pipeline.checks.findings import CheckResult, Finding, ResolvedCentre
from pipeline.forms.reading import FieldValue, FormReading
from pipeline.settings import Settings

_seq = itertools.count(1)

SETTINGS = Settings(reply_from="IMDi <post@imdi.no>", signature="Med vennlig hilsen\nIMDi støtte")

PERSON = {"first_name": "Kari", "last_name": "Fjelltun", "email": "kari.fjelltun@fjordtun-mottak.no",
          "mobile": "+4791234567", "position": "Avdelingsleder"}
OPERATOR = {"organisation": "Fjordtun Mottaksdrift AS", "manager": "Thomas Johannessen",
            "email": "thomas.johannessen@fjordtun-mottak.no", "phone": "+4757816472"}


def make_message(session: Session, *, sender: str = "thomas.johannessen@fjordtun-mottak.no",
                 subject: str = "Skjema mottaksadministrator", sender_name: str | None = "Thomas Johannessen",
                 in_reply_to: str | None = None, references: str | None = None, raw: bytes | None = None,
                 outcome: str = "queued", message_id: str | None = None, verified: bool = True) -> Message:
    n = next(_seq)
    msg = Message(sha256=hashlib.sha256(f"msg-{n}-{id(session)}-{subject}".encode()).hexdigest(),
                  message_id=message_id or f"<orig-{n}@fjordtun-mottak.no>", sender=sender, sender_name=sender_name,
                  subject=subject, in_reply_to=in_reply_to, references=references, raw=raw, size=0,
                  outcome=outcome, sender_verified=verified,
                  # What ingest stores for a mail IMDi's receiving host passed (DMARC for the sender's domain).
                  auth_results={"verified": True, "reason": "DMARC pass", "rule": "dmarc"} if verified else None)
    session.add(msg)
    session.flush()
    return msg


def make_reading(**overrides: Any) -> FormReading:
    values = {f"applicant.{k}": v for k, v in PERSON.items()}
    values.update({f"operator.{k}": v for k, v in OPERATOR.items()})
    centres = overrides.pop("centres", ["Askim asylmottak"])
    values.update(overrides)
    return FormReading(form="mottaksadministrator", filename="skjema.docx", format="docx", method="docx",
                       fields={k: FieldValue(v) for k, v in values.items()},
                       centres=[FieldValue(c) for c in centres])


def finding(code: str, field: str | None = None, severity: str = "error",
            message_no: str | None = None) -> Finding:
    return Finding(code=code, severity=severity, field=field,  # type: ignore[arg-type]
                   message_no=message_no or f"Problem med {field or code}.", message_en=f"problem {code}")


def make_result(findings: list[Finding] | None = None, **applicant: Any) -> CheckResult:
    person = {**PERSON, **applicant}
    return CheckResult(findings=list(findings or []),
                       centres=[ResolvedCentre("Askim asylmottak", "0101", "Askim asylmottak")],
                       applicant=person, operator=dict(OPERATOR), operator_id="DRO1007")


def open_one(session: Session, *, findings: list[Finding] | None = None, message: Message | None = None,
             reading: FormReading | None = None, extra: list[Finding] | None = None, **applicant: Any):  # type: ignore[no-untyped-def]
    from pipeline.steps.tasks import open_task

    message = message or make_message(session)
    return open_task(session, message=message, attachment=None, reading=reading or make_reading(),
                     result=make_result(findings, **applicant), extra_findings=extra or (), settings=SETTINGS)
