"""One seeded database for a whole test file: the inbox fixtures through the worker once, a forged
answer that became a proposal, and the day's decisions (made by operators and by the command line), so
that many pages can be visited without building anything again.

`build(settings, db)` fills the database and returns what the tests look for, by name.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pipeline.adapters.db.models import (
    AccessCampaign,
    AccessReview,
    FindingRow,
    Message,
    ProposedChange,
    Reply,
    Task,
)
from pipeline.adapters.db.session import unit_of_work
from pipeline.settings import Settings
from tests.conftest import FIXTURES, REFERENCE
from tests.web import seed

# OCR costs seconds a page and reads the same way on every scan: one scanned PDF and one phone photo
# stand for them (tests/forms/test_ocr_reader.py reads them all).
OCR_KEPT = ("scan-pdf-300dpi", "photo-iphone-inline")
OPERATOR = "kari.saksbehandler"


@dataclass
class World:
    refs: dict[str, int] = field(default_factory=dict)  # a name for a case -> its id
    all_ids: list[int] = field(default_factory=list)


def _task_of(session, slug: str) -> Task:  # type: ignore[no-untyped-def]
    msg = session.scalars(select(Message).where(Message.mailbox.like(f"%/{slug}.eml"))).one()
    return session.scalars(select(Task).where(Task.message_pk == msg.id)).first()


def build(settings: Settings, db) -> World:  # type: ignore[no-untyped-def]
    from pipeline.adapters.registry_store import import_registry
    from pipeline.entrypoints.worker import Worker
    from pipeline.usecases import case_decisions as cases
    from pipeline.usecases.ingest import ingest_message
    from tests.security import hostile

    reg = REFERENCE / "registry"
    with unit_of_work(db) as s:
        seed.operator(s)
        seed.operator(s, "ola.saksbehandler")
        import_registry(s, reg / "operators.csv", reg / "centres.csv", reg / "users.csv")
    inbox = settings.data_dir / "inbox"
    inbox.mkdir(exist_ok=True)
    for eml in sorted(FIXTURES.glob("*.eml")):
        if eml.name.startswith(("scan-", "photo-")) and eml.stem not in OCR_KEPT:
            continue
        shutil.copy(eml, inbox / eml.name)
    Worker(settings, source=f"dir:{inbox}").run(once=True)

    world = World()
    # A verified form without a mobile (asks for it), then a forged answer with it: a proposal.
    asked = ingest_message(db, hostile.good_form_mail(mobile=None), source=None, settings=settings)
    with db() as s:
        task = s.scalars(select(Task).where(Task.message_pk == asked.id)).one()
        request = s.scalars(select(Reply).where(Reply.task_id == task.id)).one()
        world.refs["proposal"] = task.id
    ingest_message(db, hostile.spoofed(f"SV: {request.subject}",
                                       "Hei,\n\nMobiltelefonnummer: 917 23 456\nStilling: Miljøarbeider\n"
                                       "Hvilke mottak / akuttinnkvarteringer: Gol asylmottak\n\nHilsen Kari\n"),
                   source=None, settings=settings)
    with db() as s:
        assert s.scalars(select(ProposedChange).where(ProposedChange.task_id == world.refs["proposal"])).all()
        world.refs["word"] = _task_of(s, "docx-plain").id
        world.refs["pdf"] = _task_of(s, "pdf-word-basic").id
        world.refs["ocr"] = _task_of(s, "scan-pdf-300dpi").id
        removals = {t.first_name: t.id for t in s.scalars(select(Task).where(Task.kind == "removal"))}
        world.refs["removal"] = removals["Jon"]
        world.refs["removal_pending"] = removals["Bente"]
        world.refs["removal_nobody"] = next(t.id for t in s.scalars(select(Task).where(
            Task.kind == "removal", Task.user_id.is_(None))))
        needs_info = [t.id for t in s.scalars(select(Task).where(Task.state == "needs_info", Task.kind == "grant")
                                              .order_by(Task.id))]
    # The day's decisions: an operator in the browser, another through the command line ($USER root).
    cases.confirm_reading(db, world.refs["ocr"], actor=OPERATOR)
    cases.correct(db, world.refs["word"], actor="root", changes={"applicant.position": "Mottaksleder"},
                  settings=settings)
    # The centre keeps no other administrator (centre.last_admin): the operator gives a reason, as asked.
    cases.approve(db, world.refs["removal"], actor=OPERATOR, override_reason="Ny administrator er bestilt")
    cases.mark_done(db, world.refs["removal"], actor=OPERATOR, settings=settings)
    cases.take(db, world.refs["proposal"], actor="ola.saksbehandler")
    with unit_of_work(db) as s:
        # A reply the cap held back (as replies.draft_reply leaves it), and a request reminded but unanswered.
        held, reminded = needs_info[0], needs_info[1]
        world.refs["held"], world.refs["reminded"] = held, reminded
        reply = s.scalars(select(Reply).where(Reply.task_id == held).order_by(Reply.id)).first()
        reply.state = "draft"
        reply.automatic = True
        s.get(Task, reminded).reminder_sent_at = datetime.now(UTC) - timedelta(days=1)
        # A review answered by a sender nobody could verify: its removal waits with sender.unverified.
        done, pending = s.get(Task, world.refs["removal"]), s.get(Task, world.refs["removal_pending"])
        campaign = AccessCampaign(started_at=datetime.now(UTC), started_by=OPERATOR, due_days=10)
        s.add(campaign)
        s.flush()
        review = AccessReview(ref="2026-G900", campaign_id=campaign.id, operator_id="DRO1048",
                              to_addr="kari.berg@fjellbu.no", state="changes", listing=[
                                  {"mottaksnummer": "0504", "name": "Gol asylmottak", "admins": [
                                      {"user_id": done.user_id, "first_name": done.first_name,
                                       "last_name": done.last_name, "email": done.email},
                                      {"user_id": pending.user_id, "first_name": pending.first_name,
                                       "last_name": pending.last_name, "email": pending.email},
                                      {"user_id": "U19999", "first_name": "Siri", "last_name": "Stayer",
                                       "email": "siri@fjellbu.no"}]}],
                              sent_at=datetime.now(UTC), due_at=datetime.now(UTC) + timedelta(days=14),
                              answer={"verdict": "changes", "verified": False, "sender": "kari.berg@fjellbu.no"})
        s.add(review)
        s.flush()
        untrusted = s.get(Task, world.refs["removal_nobody"])
        untrusted.review_id = review.id
        s.add(FindingRow(task_id=untrusted.id, code="sender.unverified", severity="warning", field=None,
                         message_no="Avsenderen er ikke bekreftet.", message_en="sender not verified",
                         details={"sender": "kari.berg@fjellbu.no", "reasons": ["DMARC fail"]}))
        world.refs["untrusted"] = untrusted.id
    with db() as s:
        world.all_ids = list(s.scalars(select(Task.id).order_by(Task.id)))
    return world
