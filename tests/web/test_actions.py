"""The task page's buttons through the test client, against the real task and reply services."""

from __future__ import annotations

from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, Reply, Task
from pipeline.adapters.db.session import unit_of_work
from tests.web import seed
from tests.web.conftest import csrf_token

BLOCKING = [{"code": "mobile.duplicate", "field": "applicant.mobile", "message_no": "Mobilnummeret er i bruk.",
             "details": {"holder": {"user_id": "U10002"}}}]


def _post(client, task_id: int, action: str, **data: str) -> str:  # type: ignore[no-untyped-def]
    token = csrf_token(client.get(f"/oppgave/{task_id}").get_data(as_text=True))
    resp = client.post(f"/oppgave/{task_id}/{action}", data={"csrf_token": token, **data}, follow_redirects=True)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _task(db, task_id: int) -> Task:  # type: ignore[no-untyped-def]
    with db() as s:
        return s.get(Task, task_id)


def _my_actions(db) -> list[str]:  # type: ignore[no-untyped-def]
    with db() as s:
        return [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.actor == "kari.saksbehandler")
                                            .order_by(AuditEvent.id)) if not e.action.startswith("login")]


def test_approve_needs_an_override_reason_while_something_blocks(logged_in, db):
    with unit_of_work(db) as s:
        task_id = seed.task(s, 1, state="needs_info", findings=BLOCKING).id
    html = _post(logged_in, task_id, "godkjenn")
    assert "Godkjenning krever en begrunnelse fordi mobilnummeret er allerede i bruk" in html
    assert _task(db, task_id).state == "needs_info"
    html = _post(logged_in, task_id, "godkjenn", override_reason="Nummeret er flyttet, bekreftet på telefon.")
    assert "Sak 2026-00001 er godkjent." in html
    task = _task(db, task_id)
    assert task.state == "approved" and task.override_reason.startswith("Nummeret er flyttet")
    assert _my_actions(db) == ["task.approve"]


def test_reject_with_reason_drafts_the_rejection(logged_in, db):
    with unit_of_work(db) as s:
        task_id = seed.task(s, 2, state="review").id
    assert "Fyll inn en begrunnelse" in _post(logged_in, task_id, "avvis", reason="  ")
    html = _post(logged_in, task_id, "avvis", reason="Personen skal ikke ha rollen.")
    assert "Sak 2026-00002 er avslått" in html  # and on to the next case (here: none, so the queue)
    with db() as s:
        kinds = [r.kind for r in s.scalars(select(Reply).where(Reply.task_id == task_id))]
    assert "rejection" in kinds
    assert _my_actions(db)[0] == "task.reject"


def test_request_info_provision_and_an_illegal_step(logged_in, db):
    with unit_of_work(db) as s:
        a = seed.task(s, 3, state="review").id
        b = seed.task(s, 4, state="approved").id
    assert "Forespørselen om opplysninger" in _post(logged_in, a, "be-om-opplysninger", note="Hvilket mottak?")
    assert _task(db, a).state == "needs_info"
    assert "merket som utført" in _post(logged_in, b, "opprettet", user_id="U55555")
    assert _task(db, b).provisioned_user_id == "U55555"
    # Provisioned is an end: approving it again is refused with the service's Norwegian reason.
    token = csrf_token(logged_in.get(f"/oppgave/{b}").get_data(as_text=True))
    html = logged_in.post(f"/oppgave/{b}/godkjenn", data={"csrf_token": token},
                          follow_redirects=True).get_data(as_text=True)
    assert "kan ikke gjøres nå" in html
    assert _task(db, b).state == "provisioned"
    assert {"task.request_info", "task.provision"} <= set(_my_actions(db))


def test_edit_a_reply_before_it_goes(logged_in, db):
    with unit_of_work(db) as s:
        task_id = seed.task(s, 5, state="review", reply=("Kvittering [IMDi-skjema 2026-00005]", "Hei!\n\nTakk.")).id
        reply_id = s.scalar(select(Reply.id).where(Reply.task_id == task_id))
    html = _post(logged_in, task_id, f"svar/{reply_id}", subject="Kvittering for skjemaet",
                 body_text="Hei!\r\n\r\nTakk for skjemaet, «Åse».")
    assert "Svarutkastet er lagret." in html
    with db() as s:
        reply = s.get(Reply, reply_id)
        assert reply.body_text == "Hei!\n\nTakk for skjemaet, «Åse»."
        assert "[IMDi-skjema 2026-00005]" in reply.subject  # the service keeps the case reference
    assert _my_actions(db) == ["reply.edited"]
    # Shown as it will be sent, escaped.
    assert "Takk for skjemaet, «Åse»." in logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)


def test_a_held_draft_is_sent_from_the_task_page(logged_in, db):
    with unit_of_work(db) as s:
        task_id = seed.task(s, 7, state="review", reply=("Kvittering [IMDi-skjema 2026-00007]", "Hei!")).id
        reply = s.scalars(select(Reply).where(Reply.task_id == task_id)).one()
        reply.state = "draft"  # as the loop guard leaves it
        reply_id = reply.id
    page = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    # One editor: "Send" posts the same text as "Lagre", to the send action.
    assert f'formaction="/oppgave/{task_id}/svar/{reply_id}/send"' in page
    html = _post(logged_in, task_id, f"svar/{reply_id}/send")
    assert "Svaret er lagt i utboksen" in html
    with db() as s:
        assert s.get(Reply, reply_id).state == "queued"
    assert _my_actions(db) == ["reply.released"]
    # a second press is refused: it is no longer a draft
    html = _post(logged_in, task_id, f"svar/{reply_id}/send")
    assert "Bare et svarutkast kan sendes herfra." in html
    assert _my_actions(db) == ["reply.released"]


def test_an_unexpected_failure_saves_nothing_and_says_so(logged_in, db, monkeypatch):
    from pipeline.steps import tasks

    with unit_of_work(db) as s:
        task_id = seed.task(s, 6, state="review").id

    def broken(*_a, **_k):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(tasks, "approve", broken)
    html = _post(logged_in, task_id, "godkjenn")
    assert "ingenting ble lagret" in html
    assert _task(db, task_id).state == "review"


def test_correct_a_field_and_a_centre_by_hand(logged_in, db, reference_dir):
    from tests.web.test_browser import load_registry

    with unit_of_work(db) as s:
        load_registry(s, reference_dir)
        task_id = seed.task(s, 1, state="needs_info", centres=[("Dale mottak", None, None)],
                            findings=[{"code": "centre.unknown", "field": "centres", "message_no": "Ukjent mottak.",
                                       "details": {"written": "Dale mottak", "index": 0, "suggestions": [
                                           {"mottaksnummer": "1103", "name": "Dale asylmottak"}]}}]).id
    page = logged_in.get(f"/oppgave/{task_id}").get_data(as_text=True)
    # The suggestion's one-click form sends the whole list with that line replaced.
    assert '<textarea name="centres" hidden>Dale asylmottak</textarea>' in page
    assert "Bruk Dale asylmottak (1103)" in page
    html = _post(logged_in, task_id, "korriger", centres="Dale asylmottak\n", **{"applicant.position": "Nattleder"})
    assert "Rettelsene er lagret" in html
    task = _task(db, task_id)
    assert task.state == "review" and task.position == "Nattleder"
    assert "Bruk Dale asylmottak" not in html
    assert "Mottakslisten er rettet. I skjemaet stod:" in html  # what the form said stays visible
    assert _my_actions(db)[0] == "task.correct"
