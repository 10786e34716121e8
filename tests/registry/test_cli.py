"""`pipeline registry import|stats|show` through the CLI entry point."""

from __future__ import annotations

import json

from pipeline.entrypoints.cli import main
from tests.registry.helpers import edited, reference


def _args(settings) -> list[str]:  # type: ignore[no-untyped-def]
    return ["--data-dir", str(settings.data_dir), "--database-url", settings.db_url]


def _import(settings, files, *extra):  # type: ignore[no-untyped-def]
    return main(["registry", "import", *_args(settings), "--operators", str(files["operators"]),
                 "--centres", str(files["centres"]), "--users", str(files["users"]), *extra])


def test_import_prints_a_summary_and_is_idempotent(settings, reference_dir, capsys):
    files = reference(reference_dir)
    assert _import(settings, files) == 0
    out = capsys.readouterr().out
    assert "Brukere: " in out and "600 lagt til, 0 endret, 0 uendret, 0 avvist; importert" in out
    assert _import(settings, files, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and [f["unchanged"] for f in report["files"]] == [25, 132, 600]
    assert main(["registry", "stats", "--json", *_args(settings)]) == 0
    assert json.loads(capsys.readouterr().out)["users"] == 600
    assert main(["registry", "show", "Dale", "Torshov (0301)", *_args(settings)]) == 0
    out = capsys.readouterr().out
    assert "«Dale»: flere mulige" in out and "Torshov asylmottak (0301)" in out
    assert main(["registry", "stats", *_args(settings)]) == 0
    assert "Aktive brukere:" in capsys.readouterr().out  # the web UI's words, not the JSON's keys


def test_rejected_rows_exit_non_zero_with_file_and_line(settings, reference_dir, tmp_path, capsys):
    files = reference(reference_dir)
    files["centres"] = edited(files["centres"], tmp_path / "centres.csv", {5: "0104,Mysen asylmottak,ordinaer,0125,Eidsberg,DRO1043,kanskje"})
    assert _import(settings, files) == 1
    out = capsys.readouterr().out
    assert f"{files['centres']}:5: active 'kanskje' is not true or false" in out
    assert "IKKE importert (alt eller ingenting; --partial tar med de gyldige radene)" in out
    assert _import(settings, files, "--partial") == 1
    assert "131 lagt til" in capsys.readouterr().out


def test_import_needs_a_file(settings, capsys):
    assert main(["registry", "import", *_args(settings)]) == 2
    assert "registry.invalid" in capsys.readouterr().err
