"""Taking access away is as hard to forge as giving it (issue 16): each attack of the review, sent the way
the attacker sent it -- mail in through the ingest use case, decisions through the web routes and the CLI.

Fjellbu Mottak AS (DRO1048, fjellbu.no, registered address kari.berg@fjellbu.no) has four administrators in
the reference registry: Jon Dahl (U10231), Bente Sørensen (U10313), Sigrid Henriksen (U10334) and Elin
Knutsen (U10548)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import ProposedChange, RegistryUser, Reply, Task
from pipeline.entrypoints.cli import main
from pipeline.usecases.ingest import ingest_message
from tests.security import hostile
from tests.web.conftest import csrf_token

FJELLBU_ADMINS = {"U10231": "Jon Dahl", "U10313": "Bente Sørensen", "U10334": "Sigrid Henriksen",
                  "U10548": "Elin Knutsen"}
# What a stranger's answer names: every administrator, in full (and one who is nobody's).
FIVE_NAMES = "Det gjelder disse:\nJon Dahl\nBente Sørensen\nSigrid Henriksen\nElin Knutsen\nOla Nordmann\n"


def _ingest(db, settings, raw: bytes):  # type: ignore[no-untyped-def]
    return ingest_message(db, raw, source=None, settings=settings)


def _vague_request(db, settings, *, verified: bool = True):  # type: ignore[no-untyped-def]
    """Fjellbu asks, vaguely, that "Jon" lose access: a removal case asks the sender who is meant."""
    msg = _ingest(db, settings, hostile.message(
        from_header=f"Kari Berg <{hostile.CASE_SENDER}>", subject="Fjerne tilgang",
        body="Hei,\n\nKan dere fjerne tilgangen til Jon?\n\nHilsen Kari\n",
        auth=hostile.auth_results("fjellbu.no") if verified else None, message_id="<vague@fjellbu.no>"))
    assert msg.outcome == "needs_info"
    with db() as s:
        task = s.scalars(select(Task)).one()
        _ = task.findings
        ask = s.scalars(select(Reply).where(Reply.task_id == task.id)).one()
        return task, ask


def _tasks(db) -> list[Task]:  # type: ignore[no-untyped-def]
    with db() as s:
        found = list(s.scalars(select(Task).order_by(Task.id)))
        for t in found:
            _ = (t.findings, t.centres)
        return found


def _bulk_approve_everything(client, db) -> str:  # type: ignore[no-untyped-def]
    """What the attacker hoped an operator would do: one POST of every case id to /godkjenn-valgte."""
    token = csrf_token(client.get("/").get_data(as_text=True))
    ids = [f"{t.id}:{t.version}" for t in _tasks(db)]
    resp = client.post("/godkjenn-valgte", data={"csrf_token": token, "sak": ids}, follow_redirects=True)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _admins_active(db) -> set[str]:  # type: ignore[no-untyped-def]
    with db() as s:
        return {u for u in FJELLBU_ADMINS if s.get(RegistryUser, u).status == "active"}


# --- 1. a stranger steers a removal case -------------------------------------------------------------


def test_a_strangers_answer_to_who_is_meant_assigns_nobody_and_opens_no_case(db, settings, registry, logged_in):
    task, ask = _vague_request(db, settings)
    # The attacker quotes the guessable reference; DMARC passes -- for evil.example.
    answer = _ingest(db, settings, hostile.message(
        from_header=hostile.ATTACKER, subject=f"SV: {ask.subject}", body=FIVE_NAMES,
        auth=hostile.auth_results("evil.example"), message_id="<steer@evil.example>"))
    assert answer.sender_verified  # verified -- as itself, a stranger
    [still] = _tasks(db)  # no case opened for anyone named
    assert (still.id, still.user_id, still.state, still.version) == (task.id, None, "needs_info", task.version)
    assert [f.code for f in still.findings] == ["removal.person_unknown"]  # never clean while nobody is named
    with db() as s:
        proposals = s.scalars(select(ProposedChange).where(ProposedChange.task_id == task.id)).all()
        assert sorted(p.changes["removal.user_id"]["after"] for p in proposals) == sorted(FJELLBU_ADMINS)
        assert all(p.state == "proposed" and p.sender == hostile.ATTACKER for p in proposals)
        to_attacker = s.scalars(select(Reply).where(Reply.to_addr == hostile.ATTACKER)).all()
    # The stranger learns nothing: one short acknowledgement, no names, no centres, no role, no case.
    assert [r.kind for r in to_attacker] == ["acknowledgement"]
    text = to_attacker[0].subject + to_attacker[0].body_text + (to_attacker[0].body_html or "")
    for secret in (*FJELLBU_ADMINS.values(), "Mottaksadministrator", "asylmottak", "mottaksnummer", task.case_ref):
        assert secret not in text, secret
    # The case page shows the proposals as such; bulk approval takes nothing; nobody leaves the registry.
    page = logged_in.get(f"/oppgave/{task.id}").get_data(as_text=True)
    assert 'id="forslag"' in page and "Jon Dahl (U10231)" in page and "Bruker ikke valgt" in page
    html = _bulk_approve_everything(logged_in, db)
    assert "er godkjent" not in html and "ikke godkjent" in html
    assert all(t.state == "needs_info" for t in _tasks(db)) and _admins_active(db) == set(FJELLBU_ADMINS)


def test_an_accepted_proposal_names_the_person_and_the_picker_preselects_nobody(db, settings, registry, logged_in):
    task, ask = _vague_request(db, settings)
    page = logged_in.get(f"/oppgave/{task.id}").get_data(as_text=True)
    picker = page[page.index('id="assign_user"'):page.index("</select>", page.index('id="assign_user"'))]
    assert re.search(r'<option value="" selected disabled>', picker)
    assert len(re.findall(r"<option value=\"U\d+\"", picker)) == 4 and " selected" not in picker.split("</option>", 1)[1]
    _ingest(db, settings, hostile.spoofed(f"SV: {ask.subject}", "Det gjelder Jon Dahl.\n"))
    with db() as s:
        proposal = s.scalars(select(ProposedChange)).one()
    token = csrf_token(page)
    logged_in.post(f"/oppgave/{task.id}/forslag/{proposal.id}/godta",
                   data={"csrf_token": token, "version": str(_tasks(db)[0].version)})
    [case] = _tasks(db)
    assert case.user_id == "U10231" and "removal.person_unknown" not in [f.code for f in case.findings]


def test_a_case_raised_by_an_answer_inherits_the_distrust_of_a_forged_request(db, settings, registry, logged_in):
    """The vague first mail was forged (no Authentication-Results); the real Kari Berg answers it. The
    cases her answer raises still come from a request nobody verified: none of them can look clean."""
    task, ask = _vague_request(db, settings, verified=False)
    assert {f.code for f in task.findings} == {"sender.unverified", "removal.person_unknown"}
    _ingest(db, settings, hostile.message(
        from_header=f"Kari Berg <{hostile.CASE_SENDER}>", subject=f"SV: {ask.subject}",
        body="Det gjelder Jon Dahl og Elin Knutsen.\n", auth=hostile.auth_results("fjellbu.no"),
        message_id="<answer@fjellbu.no>", headers=(("In-Reply-To", ask.rfc_message_id),)))
    first, second = _tasks(db)
    assert (first.user_id, second.user_id) == ("U10231", "U10548")
    for case in (first, second):
        assert "sender.unverified" in [f.code for f in case.findings]
    html = _bulk_approve_everything(logged_in, db)
    assert "er godkjent" not in html and "avsenderen er ikke bekreftet" in html
    assert _admins_active(db) == set(FJELLBU_ADMINS)


# --- 2. a forged "Alt stemmer" closes an access review -------------------------------------------------


@pytest.fixture
def review(db, settings, registry):  # type: ignore[no-untyped-def]
    from pipeline.usecases import review_campaigns

    started = review_campaigns.start(db, operators=["DRO1048"], actor="kari.saksbehandler", settings=settings)
    [row] = started.reviews
    assert row["to"] == hostile.CASE_SENDER
    return row["ref"]


def _review_json(settings, capsys) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert main(["review", "list", "--json", "--data-dir", str(settings.data_dir),
                 "--database-url", settings.db_url]) == 0
    [row] = json.loads(capsys.readouterr().out)
    return row  # type: ignore[no-any-return]


@pytest.mark.parametrize("forged", ["stranger", "dmarc_fail"])
def test_a_forged_alt_stemmer_leaves_the_review_waiting(db, settings, review, logged_in, capsys, forged):
    from datetime import timedelta

    from pipeline.adapters.db.models import AccessReview
    from pipeline.adapters.db.session import unit_of_work
    from pipeline.core.clock import now_utc
    from pipeline.steps import reviews

    subject = f"SV: Gjennomgang [IMDi-gjennomgang {review}]"
    raw = (hostile.message(from_header=hostile.ATTACKER, subject=subject, body="Alt stemmer.\n",
                           auth=hostile.auth_results("evil.example"), message_id="<ok@evil.example>")
           if forged == "stranger" else hostile.spoofed(subject, "Alt stemmer.\n"))
    _ingest(db, settings, raw)
    with db() as s:
        row = s.scalars(select(AccessReview)).one()
        assert (row.state, row.answered_at) == ("sent", None)
        assert [u["verdict"] for u in row.answer["untrusted"]] == ["confirmed"]
    shown = _review_json(settings, capsys)
    assert (shown["state"], shown["answer_trusted"], shown["untrusted_answers"]) == ("sent", False, 1)
    # The campaign summary counts it apart: not answered, not confirmed, one untrusted answer.
    page = logged_in.get("/gjennomganger").get_data(as_text=True)
    assert "0 av 1" in page and 'data-untrusted="1"' in page and "ubekreftet svar" in page
    # The real driftsoperatør is still chased: the reminder falls due.
    with unit_of_work(db) as s:
        assert reviews.send_due_reminders(s, now=now_utc() + timedelta(days=30), settings=settings) == 1
    # ... and its own verified answer confirms the review.
    _ingest(db, settings, hostile.message(from_header=f"Kari Berg <{hostile.CASE_SENDER}>", subject=subject,
                                          body="Alt stemmer.\n", auth=hostile.auth_results("fjellbu.no"),
                                          message_id="<real@fjellbu.no>"))
    shown = _review_json(settings, capsys)
    assert (shown["state"], shown["answer_trusted"], shown["untrusted_answers"]) == ("confirmed", True, 1)


# --- 3. unverified removals approved in bulk, by the CLI, by one key ------------------------------------


def _spoofed_removals(db, settings) -> list[Task]:  # type: ignore[no-untyped-def]
    for i, name in enumerate(FJELLBU_ADMINS.values()):
        raw = hostile.message(from_header=f"Kari Berg <{hostile.CASE_SENDER}>", subject=f"Sluttet {i}",
                              body=f"Hei,\n\n{name} har sluttet hos oss.\n",
                              auth=hostile.auth_results("fjellbu.no", dmarc="fail"), message_id=f"<s{i}@evil.example>")
        assert _ingest(db, settings, raw).outcome == "queued"
    removals = _tasks(db)
    assert len(removals) == 4 and all("sender.unverified" in [f.code for f in t.findings] for t in removals)
    return removals


def test_unverified_removals_are_never_approved_in_bulk_whatever_ids_are_posted(db, settings, registry, logged_in):
    _spoofed_removals(db, settings)
    queue = logged_in.get("/").get_data(as_text=True)
    assert 'name="sak"' not in queue  # no case offered for bulk approval
    html = _bulk_approve_everything(logged_in, db)
    assert "er godkjent" not in html and "avsenderen er ikke bekreftet" in html
    assert all(t.state == "review" for t in _tasks(db))


def test_the_cli_approves_an_unverified_removal_only_with_override(db, settings, registry, capsys):
    task = _spoofed_removals(db, settings)[0]
    args = ["--data-dir", str(settings.data_dir), "--database-url", settings.db_url, "--actor", "ola"]
    assert main(["queue", "approve", task.case_ref, *args]) == 1  # a refusal (README: exit status)
    err = capsys.readouterr().err
    assert "sender.unverified" in err and "--override" in err
    assert main(["queue", "approve", task.case_ref, "--override", "Ringt Kari Berg og bekreftet", *args]) == 0
    with db() as s:
        approved = s.get(Task, task.id)
        assert (approved.state, approved.override_reason) == ("approved", "Ringt Kari Berg og bekreftet")


def test_the_approve_form_asks_a_reason_for_an_unverified_sender_and_a_colleagues_case(db, settings, registry,
                                                                                       logged_in):
    """What the `a` key opens is the approve form's own question: it is there whenever the policy asks."""
    from pipeline.usecases import case_decisions as cases

    task = _spoofed_removals(db, settings)[0]
    page = logged_in.get(f"/oppgave/{task.id}").get_data(as_text=True)
    assert 'name="override_reason"' in page and "avsenderen er ikke bekreftet som driftsoperatøren" in page
    # Without a reason the route refuses, whatever the browser sent.
    token = csrf_token(page)
    logged_in.post(f"/oppgave/{task.id}/godkjenn", data={"csrf_token": token, "version": str(task.version)})
    assert _tasks(db)[0].state == "review"
    # A clean case a colleague has taken asks too.
    _ingest(db, settings, hostile.good_form_mail())
    grant = next(t for t in _tasks(db) if t.kind == "grant")
    assert [f.code for f in grant.findings] == []
    cases.take(db, grant.id, actor="ola.kollega")
    page = logged_in.get(f"/oppgave/{grant.id}").get_data(as_text=True)
    assert 'name="override_reason"' in page and "ola.kollega har tatt saken" in page
    assert 'name="sak"' not in logged_in.get("/").get_data(as_text=True)


# --- 4. the mobile-taken oracle, for a verified stranger ------------------------------------------------


def test_a_verified_stranger_gets_the_same_receipt_whatever_the_registry_holds(db, settings, registry):
    # +4793761406 (937 61 406) belongs to a registry user; 917 23 456 to nobody.
    for i, mobile in enumerate(("917 23 456", "937 61 406")):
        _ingest(db, settings, hostile.message(
            from_header=hostile.ATTACKER, subject="Skjema", auth=hostile.auth_results("evil.example"),
            message_id=f"<probe{i}@evil.example>",
            attachments=(("Skjema.docx", hostile.form_docx(mobile=mobile), hostile.DOCX_TYPE),)))
    with db() as s:
        free, taken = s.scalars(select(Reply).order_by(Reply.id)).all()
    assert free.kind == taken.kind == "acknowledgement"
    assert (free.subject, free.body_text) == (taken.subject, taken.body_text)
    for secret in ("i bruk", "behandling", "917", "937", "Jonas", "Gol"):
        assert secret not in taken.body_text, secret
