"""The sender is the address, and only IMDi's own receiving host can vouch for it; an answer from anyone
but the case's verified sender changes nothing by itself."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, Message, ProposedChange, Reply, Task
from pipeline.adapters.mail.parse import parse_message
from pipeline.usecases.ingest import ingest_message
from tests.mail.builders import AUTHSERV_ID
from tests.security import hostile


def test_a_display_name_never_decides_who_the_sender_is():
    p = parse_message(hostile.display_name_trick("Skjema", "Hei"), authserv_id=AUTHSERV_ID)
    assert p.sender == hostile.ATTACKER
    # DMARC passed -- for evil.example, the attacker's own domain: that is who sent it, and no one else.
    assert p.verified and p.auth and p.auth["header_from"] == "evil.example"


# What the case asked for, written in the answer's body as our request invites a sender to.
ANSWER = ("Hei,\n\nMobiltelefonnummer: 400 00 001\nStilling: Miljøarbeider\n"
          "Hvilke mottak / akuttinnkvarteringer: Gol asylmottak\n\nHilsen Kari\n")


@pytest.mark.parametrize("attack", [hostile.display_name_trick, hostile.spoofed, hostile.forged_pass,
                                    hostile.planted_below])
def test_an_outsiders_answer_cannot_rewrite_someone_elses_case(db, settings, open_case, attack):
    """The first version let "Mobiltelefonnummer: 400 00 001" in an outsider's mail, with the case's
    reference in the subject, rewrite the mobile (the new user's login factor) of an open case."""
    task, request = open_case
    raw = attack(f"SV: {request.subject}", ANSWER)
    msg = ingest_message(db, raw, source=None, settings=settings)
    with db() as s:
        case = s.get(Task, task.id)
        assert (case.state, case.mobile, case.answered_at, case.version) == ("needs_info", None, None, task.version)
        proposal = s.scalars(select(ProposedChange)).one()
        assert proposal.task_id == task.id and proposal.state == "proposed"
        assert proposal.changes["applicant.mobile"]["after"] == "400 00 001"
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "task.change_proposed")).one()
        replies = s.scalars(select(Reply).where(Reply.message_pk == msg.id)).all()
    if attack is hostile.display_name_trick:
        assert msg.sender == hostile.ATTACKER and msg.sender_verified  # verified, but not the case's sender
    else:
        assert msg.sender == hostile.CASE_SENDER and msg.sender_verified is False
    # Its sender gets a receipt that says nothing about the case: no reference, no values, no names.
    assert [r.kind for r in replies] == ["acknowledgement"]
    text = replies[0].subject + replies[0].body_text + (replies[0].body_html or "")
    for secret in (task.case_ref, "400 00 001", "Jonas", "Lunde", "Gol"):
        assert secret not in text


def test_a_verified_answer_from_the_case_sender_still_changes_the_case(db, settings, open_case):
    task, request = open_case
    raw = hostile.message(from_header=f"Kari Berg <{hostile.CASE_SENDER}>", subject=f"SV: {request.subject}",
                          body=ANSWER.replace("400 00 001", "917 23 456"), auth=hostile.auth_results("fjellbu.no"),
                          message_id="<answer@fjellbu.no>")
    ingest_message(db, raw, source=None, settings=settings)
    with db() as s:
        assert (s.get(Task, task.id).mobile, s.scalar(select(ProposedChange.id))) == ("+4791723456", None)


@pytest.mark.parametrize(("auth", "reason"), [
    (None, "no Authentication-Results from IMDi's receiving host"),
    (hostile.auth_results("fjellbu.no", authserv_id="mx.evil.example"), "no Authentication-Results"),
    (hostile.auth_results("fjellbu.no", dmarc="fail"), "DMARC fail"),
    (hostile.auth_results("evil.example"), "DMARC pass is for evil.example, not fjellbu.no"),
])
def test_an_unverified_new_form_is_marked_and_answered_with_a_bare_receipt(db, settings, registry, auth, reason):
    raw = hostile.message(from_header=f"Kari Berg <{hostile.CASE_SENDER}>", subject="Skjema", auth=auth,
                          attachments=(("Skjema.docx", hostile.form_docx(), "application/vnd.openxmlformats-"
                                        "officedocument.wordprocessingml.document"),))
    msg = ingest_message(db, raw, source=None, settings=settings)
    with db() as s:
        task = s.scalars(select(Task)).one()
        finding = next(f for f in task.findings if f.code == "sender.unverified")
        reply = s.scalars(select(Reply)).one()
    assert msg.sender_verified is False and reason in finding.message_en and finding.severity == "warning"
    assert reply.kind == "acknowledgement" and "917" not in reply.body_text and "Jonas" not in reply.body_text


def test_without_the_setting_nobody_is_verified_and_exchange_online_is_one_value(db, settings, registry):
    unset = replace(settings, authserv_id=None)
    msg = ingest_message(db, hostile.good_form_mail(), source=None, settings=unset)
    assert msg.sender_verified is False
    # Exchange Online writes no authserv-id: 'none' trusts the topmost header only, and only without an id.
    exchange = "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=fjellbu.no; dkim=pass header.d=fjellbu.no;" \
               "dmarc=pass action=none header.from=fjellbu.no;compauth=pass reason=100"
    p = parse_message(hostile.message(from_header=hostile.CASE_SENDER, subject="x", auth=exchange),
                      authserv_id="none")
    assert p.verified
    planted = parse_message(hostile.message(from_header=hostile.CASE_SENDER, subject="x",
                                            auth=[hostile.auth_results("fjellbu.no", authserv_id="mx.x"), exchange]),
                            authserv_id="none")
    assert not planted.verified


def test_two_from_addresses_verify_nobody():
    raw = hostile.message(from_header=f"{hostile.CASE_SENDER}, {hostile.ATTACKER}", subject="x",
                          auth=hostile.auth_results("fjellbu.no"))
    p = parse_message(raw, authserv_id=AUTHSERV_ID)
    assert (p.verified, p.verification) == (False, "From names 2 addresses")


def test_a_non_ascii_address_is_stored_and_answered_as_utf8(db, settings, tmp_path):
    """The first version wrote replies to =?utf-8?q?...?=@domain, which is no address at all."""
    from pipeline.adapters.outbox import FolderOutbox
    from pipeline.usecases.reply_sending import send_due
    from tests.mail.builders import OLE_DOC

    raw = hostile.message(from_header="=?utf-8?q?K=C3=A5ri?= <kåri@fjellbu.no>", subject="Skjema",
                          auth=hostile.auth_results("fjellbu.no"),
                          attachments=(("skjema.doc", OLE_DOC, "application/msword"),))
    msg = ingest_message(db, raw, source=None, settings=settings)
    assert msg.sender == "kåri@fjellbu.no" and msg.outcome == "unreadable"
    outbox = FolderOutbox(tmp_path / "out")
    assert send_due(db, outbox) == 1
    sent = next((tmp_path / "out").glob("*.eml")).read_bytes()
    to_line = next(line for line in sent.split(b"\r\n") if line.startswith(b"To:"))
    assert to_line == "To: kåri@fjellbu.no".encode()  # UTF-8 (RFC 6531), not an encoded word


def test_5000_nested_multiparts_keep_the_sender_and_the_subject(db, settings):
    msg = ingest_message(db, hostile.nested_multiparts(5000), source=None, settings=settings)
    assert (msg.sender, msg.subject, msg.outcome) == (hostile.CASE_SENDER, "Dypt nestet skjema", "limit.exceeded")
    with db() as s:
        assert s.get(Message, msg.id).sender_verified is True
