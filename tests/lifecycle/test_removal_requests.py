"""A driftsoperatør asks by e-mail that a person's access end: through ingest, with the real registry."""

from __future__ import annotations

from sqlalchemy import select

from pipeline.adapters.db.models import Message, RegistryUser, RegistryUserRole, Reply, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.steps import tasks
from pipeline.usecases.ingest import ingest_message
from tests.lifecycle.conftest import audit_actions
from tests.mail.builders import mail, raw

GORIL = "Gøril Strand <goril.strand@solbakken-drift.no>"  # DRO1014's manager; Flisa (0402) has U10132
FAILED_AUTH = {"Authentication-Results": "mx.imdi.no; spf=pass smtp.mailfrom=solbakken-drift.no; "
                                         "dkim=fail header.d=solbakken-drift.no; dmarc=fail header.from=solbakken-drift.no"}


def _ingest(registry, lsettings, subject: str, body: str, **kw) -> Message:  # type: ignore[no-untyped-def]
    return ingest_message(registry, raw(mail(subject, sender=kw.pop("sender", GORIL), body=body, **kw)),
                          source=None, settings=lsettings)


def _removals(registry) -> list[Task]:  # type: ignore[no-untyped-def]
    with registry() as s:
        found = s.scalars(select(Task).where(Task.kind == "removal").order_by(Task.id)).all()
        for t in found:
            _ = (t.centres, t.findings)
        return list(found)


def _replies(registry, task_id: int) -> list[Reply]:  # type: ignore[no-untyped-def]
    with registry() as s:
        return list(s.scalars(select(Reply).where(Reply.task_id == task_id).order_by(Reply.id)))


def test_a_request_naming_a_user_gives_a_removal_task_in_review_and_a_receipt(registry, lsettings):
    msg = _ingest(registry, lsettings, "Sluttet", "Hei,\n\nSigrid Hagen har sluttet hos oss. Kan dere fjerne "
                                                 "tilgangen hennes i IMDinett?\n\nMvh\nGøril Strand\n")
    assert msg.outcome == "queued"
    [task] = _removals(registry)
    assert (task.state, task.user_id, task.origin, task.message_pk, task.sender) == (
        "review", "U10132", "email", msg.id, "goril.strand@solbakken-drift.no")
    assert [(c.mottaksnummer, c.name) for c in task.centres] == [("0402", "Flisa asylmottak")]
    # Sigrid is Flisa's only administrator: the removal says so, and approval asks a reason.
    assert [f.code for f in task.findings] == ["centre.last_admin"] and "Sigrid Hagen har sluttet hos oss." in task.reason
    [receipt] = _replies(registry, task.id)
    assert receipt.kind == "removal_receipt" and receipt.state == "queued"
    assert "Sigrid Hagen ikke lenger skal ha rollen" in receipt.body_text and "Flisa asylmottak" in receipt.body_text
    assert f"[IMDi-skjema {task.case_ref}]" in receipt.subject
    with registry() as s:
        assert audit_actions(s, "task", task.id) == ["task.open"]
        # Nothing changes in the registry until a person marks it done.
        assert s.get(RegistryUser, "U10132").status == "active"
    with unit_of_work(registry) as s:
        tasks.approve(s, task.id, actor="ola", override_reason="Driftsoperatøren sender nytt skjema")
        tasks.mark_provisioned(s, task.id, actor="ola", settings=lsettings)
    with registry() as s:
        assert s.get(RegistryUser, "U10132").status == "removed"
        assert s.scalars(select(RegistryUserRole).where(RegistryUserRole.user_id == "U10132")).all() == []
    confirmation = _replies(registry, task.id)[-1]
    assert confirmation.kind == "removal_confirmation" and confirmation.to_addr == "goril.strand@solbakken-drift.no"
    assert "Sigrid Hagen har ikke lenger rollen Mottaksadministrator" in confirmation.body_text


def test_a_request_that_names_nobody_with_confidence_asks_who_is_meant(registry, lsettings):
    msg = _ingest(registry, lsettings, "Tilgang", "Sigrid har sluttet, kan dere slette brukeren hennes?\n")
    assert msg.outcome == "needs_info"
    [task] = _removals(registry)
    assert (task.state, task.user_id, task.centres, task.operator_id) == ("needs_info", None, [], "DRO1014")
    [ask] = _replies(registry, task.id)
    assert ask.kind == "removal_needs_info" and "Sigrid" not in ask.body_text  # nothing guessed, nothing revealed
    with unit_of_work(registry) as s:
        try:
            tasks.approve(s, task.id, actor="ola", override_reason="x")
        except Exception as exc:  # noqa: BLE001
            assert "Velg hvilken bruker" in exc.message_no  # type: ignore[attr-defined]
        else:
            raise AssertionError("a removal without a user was approved")
    # The answer names her: the same task now names her, goes to review, and a receipt follows.
    answer = _ingest(registry, lsettings, f"SV: {ask.subject}", "Det gjelder Sigrid Hagen.\n\nHilsen Gøril\n",
                     headers={"In-Reply-To": ask.rfc_message_id})
    assert answer.outcome == "queued"
    [task] = _removals(registry)
    assert (task.state, task.user_id, [c.mottaksnummer for c in task.centres]) == ("review", "U10132", ["0402"])
    kinds = [(r.kind, r.state) for r in _replies(registry, task.id)]
    assert kinds[-1] == ("removal_receipt", "queued")
    with registry() as s:
        assert audit_actions(s, "task", task.id)[-2:] == ["task.assign", "task.clear"]


def test_an_unverified_sender_is_read_but_told_nothing_from_the_registry(registry, lsettings):
    _ingest(registry, lsettings, "Sluttet", "Sigrid Hagen har sluttet.\n", headers=FAILED_AUTH)
    [task] = _removals(registry)
    assert task.user_id == "U10132" and [f.code for f in task.findings] == ["sender.unverified", "centre.last_admin"]
    [receipt] = _replies(registry, task.id)
    assert "Sigrid" not in receipt.body_text and "Flisa" not in receipt.body_text
    # The same short receipt every stranger gets, whatever the registry holds.
    assert receipt.kind == "acknowledgement" and "Vi har mottatt den" in receipt.body_text


def test_ordinary_mail_and_answers_to_grant_cases_are_not_removal_requests(registry, lsettings):
    assert _ingest(registry, lsettings, "Møte", "Kan vi møtes tirsdag?\n").outcome == "no_form"
    assert _ingest(registry, lsettings, "Skjema", "Kan dere slette skjemaet jeg sendte i går?\n").outcome == "no_form"
    assert _removals(registry) == []


def test_another_operators_user_is_not_matched(registry, lsettings):
    # U10011 (Amra Rønning) is at Gratangen, run by Nordkalotten (DRO1032), not Solbakken.
    assert _ingest(registry, lsettings, "Sluttet", "Amra Rønning har sluttet.\n").outcome == "needs_info"
    [task] = _removals(registry)
    assert task.user_id is None and task.state == "needs_info"


def test_a_form_from_the_same_sender_never_supersedes_or_answers_a_removal(registry, lsettings):
    from tests.lifecycle.conftest import reading

    _ingest(registry, lsettings, "Sluttet", "Sigrid Hagen har sluttet.\n")
    [removal] = _removals(registry)
    receipt = _replies(registry, removal.id)[0]
    with unit_of_work(registry) as s:
        # Same sender, same person (her e-mail), threaded to the removal's receipt: a grant case of its own.
        from pipeline.adapters.registry_store import RegistryView
        from pipeline.checks import check_reading
        from pipeline.steps.tasks import open_task
        from tests.queue.factory import make_message

        form = reading(first_name="Sigrid", last_name="Hagen", email="sigrid.hagen@solbakken-drift.no",
                       mobile="406 58 646", centres=["Rena asylmottak"])
        message = make_message(s, sender="goril.strand@solbakken-drift.no", subject=f"Re: {receipt.subject}",
                               in_reply_to=receipt.rfc_message_id)
        grant = open_task(s, message=message, attachment=None, reading=form,
                          result=check_reading(form, RegistryView(s), sender=message.sender, settings=lsettings),
                              settings=lsettings)
        assert grant.id != removal.id and grant.kind == "grant"
    [still] = _removals(registry)
    assert still.state == "review" and still.superseded_by_id is None
