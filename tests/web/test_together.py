"""Two operators on one case, each in their own logged-in session: whoever acts on a page drawn before
the other's change is refused, nothing is saved or sent, and the page shows the case as it is now."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from pipeline.adapters.db.models import AuditEvent, Reply, Task
from pipeline.adapters.db.session import unit_of_work
from tests.web import seed
from tests.web.conftest import csrf_token, login

KARI, OLA = "kari.saksbehandler", "ola.saksbehandler"


@pytest.fixture
def two(app, db) -> tuple[FlaskClient, FlaskClient]:  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        seed.operator(s, OLA)
    kari, ola = app.test_client(), app.test_client()
    assert login(kari, KARI).status_code == 302 and login(ola, OLA).status_code == 302
    return kari, ola


def _form(client: FlaskClient, path: str) -> dict[str, str]:
    """The CSRF token and the case's version as the page shows them now."""
    html = client.get(path).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html)
    return {"csrf_token": csrf_token(html), **({"version": version.group(1)} if version else {})}


def _snapshot(db, task_id: int) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    with db() as s:
        task = s.get(Task, task_id)
        replies = [(r.id, r.state, r.subject, r.body_text) for r in s.scalars(
            select(Reply).where(Reply.task_id == task_id).order_by(Reply.id))]
        return task.state, task.version, dict(task.corrections or {}), task.owner, replies


def _kari_did_nothing(db) -> None:  # type: ignore[no-untyped-def]
    with db() as s:
        mine = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.actor == KARI))
                if not e.action.startswith("login")]
    assert mine == []


def _case(db, state: str = "review"):  # type: ignore[no-untyped-def]
    with unit_of_work(db) as s:
        t = seed.task(s, 8, first="Åse", last="Ødegård", state=state,
                      reply=("Kvittering [IMDi-skjema 2026-00008]", "Hei!\n\nTakk for skjemaet."))
        return t.id, s.scalar(select(Reply.id).where(Reply.task_id == t.id))


# What Kari tries from her stale page, after Ola changed the case: (path after /oppgave/<id>/, form).
STALE = {
    "approve": ("godkjenn", {}),
    "reject": ("avvis", {"reason": "Personen skal ikke ha rollen."}),
    "request_info": ("be-om-opplysninger", {"note": "Hvilket mottak gjelder det?"}),
    "correct": ("korriger", {"applicant.position": "Nattvakt"}),
    "take": ("ta-saken", {}),
    "reply_edit": ("svar/{reply}", {"subject": "Kvittering", "body_text": "Karis tekst.", "reply": "{reply}"}),
    "reply_send": ("svar/{reply}/send", {"subject": "Kvittering", "body_text": "Karis tekst.", "reply": "{reply}"}),
}


@pytest.mark.parametrize("action", sorted(STALE))
def test_an_action_from_a_stale_page_is_refused_and_changes_nothing(two, db, action):  # type: ignore[no-untyped-def]
    kari, ola = two
    task_id, reply_id = _case(db)
    with unit_of_work(db) as s:  # a draft the operators may edit and send
        s.get(Reply, reply_id).state = "draft"
    kari_form = _form(kari, f"/oppgave/{task_id}")
    # Ola edits the reply (a change to the case like any other) while Kari's page stays open.
    ola_form = _form(ola, f"/oppgave/{task_id}")
    resp = ola.post(f"/oppgave/{task_id}/svar/{reply_id}", data={**ola_form, "subject": "Kvittering",
                                                                "body_text": "Olas tekst."})
    assert resp.status_code == 302
    before = _snapshot(db, task_id)
    path, data = STALE[action]
    data = {k: v.format(reply=reply_id) for k, v in data.items()}
    resp = kari.post(f"/oppgave/{task_id}/{path.format(reply=reply_id)}", data={**kari_form, **data})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409, html[:500]
    assert "er endret siden du åpnet den: ola.saksbehandler endret svaret" in html
    assert "Ingenting er lagret eller sendt" in html and "Til vurdering" in html  # the case as it is now
    assert "Olas tekst." in html  # the reply as Ola left it
    if "body_text" in data:
        assert "Karis tekst." in html  # what Kari typed is kept in her editor, not lost
    assert _snapshot(db, task_id) == before
    _kari_did_nothing(db)
    # Kari has seen the case as it is now: from this page her action goes through.
    resp = kari.post(f"/oppgave/{task_id}/{path.format(reply=reply_id)}",
                     data={**_form(kari, f"/oppgave/{task_id}"), **data})
    assert resp.status_code == 302


def test_a_rejection_after_a_colleagues_approval_is_refused_and_nothing_is_queued(two, db):
    kari, ola = two
    task_id, _ = _case(db)
    kari_form = _form(kari, f"/oppgave/{task_id}")
    assert ola.post(f"/oppgave/{task_id}/godkjenn", data=_form(ola, f"/oppgave/{task_id}")).status_code == 302
    resp = kari.post(f"/oppgave/{task_id}/avvis", data={**kari_form, "reason": "Ikke godkjent av leder."})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "ola.saksbehandler godkjente den" in html and "Den har nå status «Godkjent»" in html
    assert "Ikke godkjent av leder." in html  # her reason stays in the form
    with db() as s:
        assert s.get(Task, task_id).state == "approved"
        assert s.scalar(select(func.count()).select_from(Reply).where(Reply.kind == "rejection")) == 0
    _kari_did_nothing(db)


def test_mark_done_from_a_stale_page_is_refused(two, db):
    kari, ola = two
    task_id, _ = _case(db, state="approved")
    kari_form = _form(kari, f"/oppgave/{task_id}")
    assert ola.post(f"/oppgave/{task_id}/ta-saken", data=_form(ola, f"/oppgave/{task_id}")).status_code == 302
    before = _snapshot(db, task_id)
    resp = kari.post(f"/oppgave/{task_id}/opprettet", data={**kari_form, "user_id": "U55555"})
    assert resp.status_code == 409 and "ola.saksbehandler tok saken" in resp.get_data(as_text=True)
    assert _snapshot(db, task_id) == before
    _kari_did_nothing(db)


def test_bulk_approval_leaves_a_case_that_changed_since_the_list_was_shown(two, db):
    kari, ola = two
    with unit_of_work(db) as s:
        ids = [seed.task(s, n, last=f"Ren{n}").id for n in (1, 2)]
    queue = kari.get("/?status=review").get_data(as_text=True)
    boxes = re.findall(r'name="sak" value="(\d+:\d+)"', queue)
    assert len(boxes) == 2
    assert ola.post(f"/oppgave/{ids[0]}/ta-saken", data=_form(ola, f"/oppgave/{ids[0]}")).status_code == 302
    resp = kari.post("/godkjenn-valgte?status=review", data={"csrf_token": csrf_token(queue), "sak": boxes},
                     follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "1 sak er godkjent: 2026-00002." in html
    assert "1 sak ble ikke godkjent" in html and "ola.saksbehandler tok saken" in html
    with db() as s:
        assert [s.get(Task, i).state for i in ids] == ["review", "approved"]


def test_taking_over_a_case_is_shown_and_audited(two, db):
    kari, ola = two
    task_id, _ = _case(db)
    assert ola.post(f"/oppgave/{task_id}/ta-saken", data=_form(ola, f"/oppgave/{task_id}")).status_code == 302
    html = kari.get("/").get_data(as_text=True)
    assert "ola.saksbehandler" in html and "Ta over" in html  # the queue says who holds it
    page = kari.get(f"/oppgave/{task_id}").get_data(as_text=True)
    assert "<strong>Ola Saksbehandler</strong> har tatt saken" in page and "Ta over saken" in page
    resp = kari.post(f"/oppgave/{task_id}/ta-saken", data=_form(kari, f"/oppgave/{task_id}"), follow_redirects=True)
    assert "Du har tatt sak 2026-00008." in resp.get_data(as_text=True)
    assert "Du har saken." in resp.get_data(as_text=True)
    with db() as s:
        assert s.get(Task, task_id).owner == KARI
        takes = [e.details["owner"] for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "task.take")
                                                        .order_by(AuditEvent.id))]
    assert takes == [{"before": None, "after": OLA}, {"before": OLA, "after": KARI}]
    assert f'id="sak-{task_id}"' in kari.get("/?eier=meg").get_data(as_text=True)
    assert f'id="sak-{task_id}"' not in ola.get("/?eier=meg").get_data(as_text=True)
