"""Proposed changes: an operator sees the difference on the case page and accepts or refuses it; each
decision is audited, and a proposal of another case cannot be decided through this one's URL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, ProposedChange, Reply, Task
from pipeline.errors import PipelineError
from pipeline.settings import Settings
from pipeline.usecases import proposals
from pipeline.usecases.ingest import ingest_message
from tests.security import hostile
from tests.web.conftest import csrf_token

SETTINGS = Settings()  # the documented defaults, given explicitly as every use case and step asks

ANSWER = ("Hei,\n\nMobiltelefonnummer: 917 23 456\nStilling: Miljøarbeider\n"
          "Hvilke mottak / akuttinnkvarteringer: Gol asylmottak\n\nHilsen Kari\n")


@pytest.fixture
def proposed(db, settings, open_case):  # type: ignore[no-untyped-def]
    """A forged answer (DMARC fail for fjellbu.no) that carries the missing mobile."""
    task, request = open_case
    ingest_message(db, hostile.spoofed(f"SV: {request.subject}", ANSWER), source=None, settings=settings)
    with db() as s:
        proposal = s.scalars(select(ProposedChange)).one()
        return s.get(Task, task.id), proposal


def test_accepting_applies_the_values_checks_again_and_answers_the_case_sender(db, settings, proposed):
    task, proposal = proposed
    done = proposals.accept(db, proposal.id, actor="kari.saksbehandler", task_id=task.id,
                            expect_version=task.version, settings=settings)
    assert (done.state, done.data["applicant"]["mobile"]) == ("review", "+4791723456")
    with db() as s:
        assert s.get(ProposedChange, proposal.id).state == "accepted"
        actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.entity == "task"))]
        # The receipt goes to the case's own sender, on the case's thread.
        receipt = s.scalars(select(Reply).where(Reply.kind == "receipt")).one()
    assert {"task.accept_change", "proposal.accepted", "task.clear"} <= set(actions)
    assert receipt.to_addr == hostile.CASE_SENDER and receipt.message_pk == task.message_pk
    with pytest.raises(PipelineError):  # decided once
        proposals.refuse(db, proposal.id, actor="kari.saksbehandler", task_id=task.id)


def test_refusing_changes_nothing(db, proposed):
    task, proposal = proposed
    proposals.refuse(db, proposal.id, actor="kari.saksbehandler", task_id=task.id)
    with db() as s:
        assert (s.get(Task, task.id).mobile, s.get(ProposedChange, proposal.id).state) == (None, "refused")
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.refused")).one().actor == \
            "kari.saksbehandler"


def test_a_proposal_is_decided_only_through_its_own_case(db, proposed):
    task, proposal = proposed
    with pytest.raises(PipelineError) as err:
        proposals.accept(db, proposal.id, actor="x", task_id=task.id + 1, settings=SETTINGS)
    assert err.value.code == "proposal.not_found"
    with pytest.raises(PipelineError):
        proposals.accept(db, proposal.id, actor="x", task_id=task.id, expect_version=task.version - 1, settings=SETTINGS)


def test_the_case_page_shows_the_difference_and_decides_it(logged_in, db, proposed):
    task, proposal = proposed
    html = logged_in.get(f"/oppgave/{task.id}").get_data(as_text=True)
    section = html[html.index('id="forslag"'):]
    assert "ubekreftet avsender" in section and hostile.CASE_SENDER in section
    assert re.search(r"Mobiltelefonnummer</th><td>–</td><td><strong>917 23 456</strong>", section)
    token = csrf_token(html)
    # Without the CSRF token nothing happens.
    assert logged_in.post(f"/oppgave/{task.id}/forslag/{proposal.id}/godta").status_code == 400
    # Another case's URL: refused, nothing changed.
    logged_in.post(f"/oppgave/{task.id + 1}/forslag/{proposal.id}/godta", data={"csrf_token": token})
    with db() as s:
        assert s.get(ProposedChange, proposal.id).state == "proposed"
    resp = logged_in.post(f"/oppgave/{task.id}/forslag/{proposal.id}/godta",
                          data={"csrf_token": token, "version": str(task.version)}, follow_redirects=True)
    assert "Forslaget er tatt i bruk" in resp.get_data(as_text=True)
    with db() as s:
        assert s.get(Task, task.id).mobile == "+4791723456"
