"""`pipeline queue …`, `pipeline replies …` and `pipeline reminders` end to end on the database."""

from __future__ import annotations

import csv
import io
import json

import pytest

from pipeline.adapters.db.session import unit_of_work
from pipeline.entrypoints.cli import main
from tests.queue.factory import finding, make_message, open_one


def run(settings, capsys, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--data-dir", str(settings.data_dir), "--database-url", settings.db_url])
    return code, capsys.readouterr().out


@pytest.fixture
def two_tasks(db):
    with unit_of_work(db) as s:
        a = open_one(s)
        b = open_one(s, findings=[finding("centre.unknown", "centres")],
                     message=make_message(s, sender="liv.bakken@nordlysomsorg.no"), first_name="Ola",
                     last_name="Berg", email="ola.berg@nordlysomsorg.no", mobile="+4790000002")
        return a.id, a.case_ref, b.id


def test_list_json_contract(settings, capsys, two_tasks):
    code, out = run(settings, capsys, "queue", "list", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["id"] for r in rows] == [two_tasks[0], two_tasks[2]]
    r = rows[0]
    assert {"id", "state", "message_id", "applicant", "operator", "centres", "findings"} <= set(r)
    assert r["applicant"] == {"first_name": "Kari", "last_name": "Fjelltun",
                              "email": "kari.fjelltun@fjordtun-mottak.no", "mobile": "+4791234567",
                              "position": "Avdelingsleder"}
    assert r["centres"] == [{"written": "Askim asylmottak", "mottaksnummer": "0101", "name": "Askim asylmottak"}]
    assert r["message_id"].startswith("<orig-")
    assert rows[1]["findings"] == [{"code": "centre.unknown", "severity": "error", "field": "centres"}]
    _, out = run(settings, capsys, "queue", "list", "--state", "needs_info", "--json")
    assert [r["id"] for r in json.loads(out)] == [two_tasks[2]]


def test_every_decision_from_the_command_line(settings, capsys, two_tasks):
    a, ref, b = two_tasks
    code, out = run(settings, capsys, "queue", "approve", str(b), "--json", "--actor", "kari")
    assert code == 1 and json.loads(out)["error"]["code"] == "task.illegal_transition"  # a refusal
    code, out = run(settings, capsys, "queue", "request-info", str(a), "--note", "Hvilken stilling?", "--json")
    assert code == 0 and json.loads(out)["state"] == "needs_info"
    code, out = run(settings, capsys, "queue", "approve", ref, "--override", "Stilling bekreftet på telefon",
                    "--actor", "kari", "--json")
    assert code == 0 and json.loads(out)["state"] == "approved"
    code, out = run(settings, capsys, "queue", "provisioned", ref, "--user-id", "U20001", "--json")
    assert json.loads(out)["state"] == "provisioned"
    code, out = run(settings, capsys, "queue", "reject", str(b), "--reason", "Ukjent mottak", "--json")
    assert json.loads(out)["state"] == "rejected"
    code, out = run(settings, capsys, "queue", "show", ref, "--json")
    shown = json.loads(out)
    assert shown["provisioned_user_id"] == "U20001"
    assert [e["action"] for e in shown["audit"]][-3:] == ["task.request_info", "task.approve", "task.provision"]
    assert shown["audit"][-2]["actor"] == "kari"
    assert [r["kind"] for r in shown["replies"]] == ["receipt", "needs_info", "confirmation"]
    code, out = run(settings, capsys, "queue", "show", "9999", "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "task.not_found"


def test_export_csv_and_json(settings, capsys, two_tasks):
    a, ref, b = two_tasks
    run(settings, capsys, "queue", "approve", str(a))
    code, out = run(settings, capsys, "queue", "export", "--state", "approved", "--format", "json")
    [row] = json.loads(out)
    assert row["name"] == "Kari Fjelltun" and row["mobile"] == "+4791234567" and row["role"] == "Mottaksadministrator"
    assert row["email"] == "kari.fjelltun@fjordtun-mottak.no"
    assert row["centres"] == [{"mottaksnummer": "0101", "name": "Askim asylmottak"}]
    code, out = run(settings, capsys, "queue", "export", "--format", "csv")
    [rec] = list(csv.DictReader(io.StringIO(out)))
    assert (rec["first_name"], rec["last_name"], rec["email"], rec["mobile"], rec["role"]) == (
        "Kari", "Fjelltun", "kari.fjelltun@fjordtun-mottak.no", "+4791234567", "Mottaksadministrator")
    assert (rec["mottaksnummer"], rec["centres"], rec["case_ref"]) == ("0101", "Askim asylmottak", ref)


def test_export_for_norwegian_excel(settings, capsys, two_tasks, tmp_path):
    import openpyxl

    a, ref, _ = two_tasks
    run(settings, capsys, "queue", "approve", str(a))
    target = tmp_path / "godkjente.xlsx"
    code, _ = run(settings, capsys, "queue", "export", "--format", "xlsx", "--output", str(target))
    sheet = openpyxl.load_workbook(target).active
    head, row = [[c.value for c in r] for r in sheet.iter_rows()]
    got = dict(zip(head, row, strict=True))
    assert code == 0 and (got["Saksnummer"], got["Mottaksnummer"], got["Mobil"]) == (ref, "0101", "+4791234567")
    assert sheet["I2"].data_type == "s" and sheet["I2"].number_format == "@"
    code, _ = run(settings, capsys, "queue", "export", "--format", "excel-csv", "--output", str(tmp_path / "e.csv"))
    text = (tmp_path / "e.csv").read_bytes()
    assert text.startswith("\ufeffSaksnummer;Handling;".encode()) and ';="0101";' in text.decode("utf-8")


def test_replies_send_to_the_outbox_folder_and_reminders(settings, capsys, two_tasks):
    code, out = run(settings, capsys, "replies", "list", "--json")
    assert [r["state"] for r in json.loads(out)] == ["queued", "queued"]
    code, out = run(settings, capsys, "replies", "send", "--json")
    assert json.loads(out) == {"sent": 2}
    files = sorted(p.name for p in (settings.data_dir / "outbox").iterdir())
    assert files == ["1.eml", "2.eml"]
    code, out = run(settings, capsys, "replies", "show", "1", "--json")
    assert json.loads(out)["state"] == "sent" and "Kari Fjelltun" in json.loads(out)["body_text"]
    code, out = run(settings, capsys, "reminders", "--json")
    assert json.loads(out) == {"reminders": 0}  # nothing has waited three working days


def test_replies_edit_before_sending(settings, capsys, two_tasks, tmp_path):
    body = tmp_path / "body.txt"
    body.write_text("Hei,\n\nVi trenger stillingstittel.\n", encoding="utf-8")
    code, out = run(settings, capsys, "replies", "edit", "2", "--subject", "Spørsmål om skjemaet",
                    "--body-file", str(body), "--actor", "kari", "--json")
    assert code == 0 and json.loads(out)["subject"].startswith("Spørsmål om skjemaet [IMDi-skjema ")
    _, out = run(settings, capsys, "replies", "show", "2", "--json")
    assert json.loads(out)["body_text"] == "Hei,\n\nVi trenger stillingstittel.\n"
    run(settings, capsys, "replies", "send")
    code, out = run(settings, capsys, "replies", "edit", "2", "--subject", "x", "--json")
    assert code == 1 and json.loads(out)["error"]["code"] == "task.illegal_transition"
    _, out = run(settings, capsys, "replies", "list", "--state", "sent", "--json")
    assert [r["id"] for r in json.loads(out)] == [1, 2]
