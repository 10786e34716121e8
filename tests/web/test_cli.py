"""`pipeline operators add|list|password|unlock` against a real database."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from pipeline.adapters.db.models import AuditEvent, OperatorAccount
from pipeline.adapters.db.session import unit_of_work
from pipeline.entrypoints.cli import main


def _run(monkeypatch, capsys, settings, *argv: str, stdin: str = "") -> tuple[int, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main([*argv, "--data-dir", str(settings.data_dir), "--database-url", settings.db_url])
    return code, capsys.readouterr().out


def test_operators_add_list_unlock(monkeypatch, capsys, settings, db):
    code, out = _run(monkeypatch, capsys, settings, "operators", "add", "ola.operator", "--password-stdin",
                     stdin="et-langt-passord\n")
    assert code == 0 and "ola.operator" in out
    with db() as s:
        account = s.scalar(select(OperatorAccount))
        assert account.password_hash.startswith("$argon2id$")
        assert "et-langt-passord" not in account.password_hash
    code, _ = _run(monkeypatch, capsys, settings, "operators", "add", "ola.operator", "--password-stdin",
                   stdin="et-langt-passord\n")
    assert code == 1  # exists already: a refusal, not a usage error
    code, _ = _run(monkeypatch, capsys, settings, "operators", "add", "kort", "--password-stdin", stdin="kort\n")
    assert code == 2  # password too short
    from datetime import UTC, datetime, timedelta
    with unit_of_work(db) as s:
        s.scalar(select(OperatorAccount)).locked_until = datetime.now(UTC) + timedelta(minutes=5)
    code, out = _run(monkeypatch, capsys, settings, "operators", "list", "--json")
    assert json.loads(out)[0]["locked"] is True
    code, out = _run(monkeypatch, capsys, settings, "operators", "unlock", "ola.operator")
    assert code == 0
    code, out = _run(monkeypatch, capsys, settings, "operators", "list")
    assert [line.split()[:2] for line in out.splitlines()] == [["Navn", "Status"], ["ola.operator", "aktiv"]]
    with db() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["operator.added", "operator.unlocked"]


def test_operators_password_sets_a_new_one_and_ends_open_sessions(monkeypatch, capsys, settings, db, app):
    from tests.web.conftest import login

    browser = app.test_client()
    assert login(browser).status_code == 302 and browser.get("/").status_code == 200
    code, _ = _run(monkeypatch, capsys, settings, "operators", "password", "kari.saksbehandler", "--password-stdin",
                   stdin="kort\n")
    assert code == 2  # too short; nothing changed
    assert browser.get("/").status_code == 200
    code, out = _run(monkeypatch, capsys, settings, "operators", "password", "kari.saksbehandler",
                     "--password-stdin", stdin="et-helt-nytt-passord\n")
    assert code == 0 and "åpne økter i nettleseren er avsluttet" in out
    assert browser.get("/").status_code == 302  # the open session is gone
    assert login(browser).status_code == 401  # the old password no longer works
    assert login(browser, password="et-helt-nytt-passord").status_code == 302
    code, _ = _run(monkeypatch, capsys, settings, "operators", "password", "finnes.ikke", "--password-stdin",
                   stdin="et-helt-nytt-passord\n")
    assert code == 2
    with db() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "operator.password_changed" in actions
