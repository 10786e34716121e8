"""`pipeline check FILE... --json`: the parse JSON plus findings and resolved centres (DESIGN.md)."""

from __future__ import annotations

import json

from pipeline.entrypoints.cli import main
from tests.checks.conftest import GOOD
from tests.registry.helpers import reference


def _reading(**changes) -> dict:  # type: ignore[no-untyped-def]
    g = {**GOOD, **changes}
    return {"form": "mottaksadministrator",
            "operator": {"organisation": g["organisation"], "manager": g["manager"], "email": g["op_email"],
                         "phone": g["op_phone"]},
            "applicant": {"first_name": g["first_name"], "last_name": g["last_name"], "email": g["email"],
                          "mobile": g["mobile"], "position": g["position"]},
            "centres": g["centres"]}


def _args(settings) -> list[str]:  # type: ignore[no-untyped-def]
    return ["--data-dir", str(settings.data_dir), "--database-url", settings.db_url]


def test_check_says_when_the_registry_is_empty(settings, tmp_path, capsys):
    path = tmp_path / "form.json"
    path.write_text(json.dumps(_reading()), encoding="utf-8")
    assert main(["check", str(path), *_args(settings)]) == 2
    assert "registry is empty" in capsys.readouterr().err
    assert main(["check", str(path), "--json", *_args(settings)]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "registry.empty"


def test_check_json_contract(settings, reference_dir, tmp_path, capsys):
    files = reference(reference_dir)
    assert main(["registry", "import", *_args(settings), *[f"--{k}={v}" for k, v in files.items()]]) == 0
    capsys.readouterr()
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(_reading()), encoding="utf-8")
    bad.write_text(json.dumps(_reading(mobile="22 33 44 55", centres=["Dale", "Alta mottak"])), encoding="utf-8")
    assert main(["check", str(good), str(bad), "--json", *_args(settings)]) == 1  # bad has errors
    first, second = json.loads(capsys.readouterr().out)
    # The parse contract's keys plus findings (more keys are allowed: the normalised values, the state).
    assert {"form", "source", "operator", "applicant", "centres", "findings"} <= set(first)
    assert set(first["operator"]) == {"organisation", "manager", "email", "phone"}
    assert set(first["applicant"]) == {"first_name", "last_name", "email", "mobile", "position"}
    assert first["operator"]["email"] == GOOD["op_email"] and first["applicant"]["position"] == "Mottaksleder"
    assert first["findings"] == [] and first["applicant"]["mobile"] == "415 55 123"
    assert first["centres"][0] == {"written": "Alta asylmottak", "mottaksnummer": "2005", "name": "Alta asylmottak"}
    assert {f["code"] for f in second["findings"]} == {"mobile.not_mobile", "centre.ambiguous"}
    assert set(second["findings"][0]) == {"code", "severity", "field", "message"}
    assert second["centres"][0] == {"written": "Dale", "mottaksnummer": None, "name": None}
    assert second["centres"][1]["name"] == "Alta asylmottak"
    assert second["state"] == "needs_info"
    # Text output for people, in the web UI's words, and a file that cannot be opened exits 2.
    missing = tmp_path / "missing.docx"
    assert main(["check", str(bad), str(missing), *_args(settings)]) == 2
    out = capsys.readouterr().out
    assert "Mottak: Alta mottak → Alta asylmottak (2005)" in out and "[feil] " in out and "(uklart mottak)" in out
    assert "file.unreadable" in out


def test_check_a_word_form_from_the_fixtures(settings, reference_dir, tmp_path, capsys):
    import email
    import email.policy

    from tests.conftest import FIXTURES

    eml = FIXTURES / "docx-closed-centre.eml"
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    docx = tmp_path / "form.docx"
    docx.write_bytes(next(iter(msg.iter_attachments())).get_content())
    files = reference(reference_dir)
    assert main(["registry", "import", *_args(settings), *[f"--{k}={v}" for k, v in files.items()]]) == 0
    capsys.readouterr()
    # A closed centre is an error finding: the form would not pass as it is (exit 1).
    assert main(["check", str(docx), "--json", "--sender", msg["From"].addresses[0].addr_spec, *_args(settings)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["source"]["format"] == "docx"
    assert out["centres"] == [{"written": "Gausdal asylmottak", "mottaksnummer": "0504", "name": "Gausdal asylmottak"}]
    assert [f["code"] for f in out["findings"]] == ["centre.inactive"]


def test_text_output_says_when_the_applicant_extends_a_user_or_has_a_mobile_abroad(settings, reference_dir, tmp_path,
                                                                                    capsys):
    files = reference(reference_dir)
    assert main(["registry", "import", *_args(settings), *[f"--{k}={v}" for k, v in files.items()]]) == 0
    same = tmp_path / "same.json"
    same.write_text(json.dumps(_reading(first_name="Amra", last_name="Rønning", mobile="+4798503224",
                                        email="amra.ronning@nordkalotten-mottak.no")), encoding="utf-8")
    abroad = tmp_path / "abroad.json"
    abroad.write_text(json.dumps(_reading(mobile="+46 70 123 45 67")), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", str(same), str(abroad), *_args(settings)]) == 0
    out = capsys.readouterr().out
    assert "Søkeren er registerbruker U10011: skjemaet utvider den brukeren" in out
    assert "Mobilnummeret er registrert i SE" in out
