"""The CLI as the people who install and run it meet it: the env file read as systemd reads it, `serve`'s refusal
of a key anyone could forge, the exit codes the README gives, a closed pipe, columns that fit the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.entrypoints.cli import exit_code
from pipeline.entrypoints.cli.output import table
from pipeline.errors import ConfigError
from pipeline.settings import parse_env, read_env_file
from tests.conftest import FIXTURES, REPO

EXAMPLE = REPO / "deploy" / "pipeline.env.example"


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
        cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=cwd,
                          input=stdin, timeout=120, env={**clean, **(env or {})})


@pytest.mark.pure
def test_the_env_file_is_read_by_systemds_rules() -> None:
    values = parse_env(
        "# a comment\n; another\n\n  PIPELINE_A=1\nPIPELINE_B = two words \nPIPELINE_C=\"quoted \\\"x\\\" $HOME\"\n"
        "PIPELINE_D='single $HOME'\nPIPELINE_E=a#b\nPIPELINE_F=one\\\n two\n")
    assert values == {"PIPELINE_A": "1", "PIPELINE_B": "two words", "PIPELINE_C": 'quoted "x" $HOME',
                      "PIPELINE_D": "single $HOME", "PIPELINE_E": "a#b", "PIPELINE_F": "one two"}
    # The example file as shipped: its comments and blank lines are no settings (`env $(cat ...)` broke on them).
    example = read_env_file(EXAMPLE)
    assert all(k.startswith("PIPELINE_") for k in example) and example["PIPELINE_DATA_DIR"] == "/var/lib/imdi-pipeline"
    with pytest.raises(ConfigError, match=r"bad\.env:2: not a KEY=VALUE line"):
        parse_env("PIPELINE_A=1\nexport\n", "bad.env")


def test_every_command_reads_the_env_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env_file = tmp_path / "pipeline.env"
    env_file.write_text(f"# settings\n\nPIPELINE_DATA_DIR={data}\nPIPELINE_REPLY_MAX_PER_HOUR=7\n", encoding="utf-8")
    done = run("--env-file", str(env_file), "settings", "--json")
    assert done.returncode == 0, done.stderr
    assert '"PIPELINE_REPLY_MAX_PER_HOUR": "7"' in done.stdout and str(data) in done.stdout
    done = run("settings", "--json", env={"PIPELINE_ENV_FILE": str(env_file), "PIPELINE_REPLY_MAX_PER_HOUR": "3"})
    assert '"PIPELINE_REPLY_MAX_PER_HOUR": "7"' in done.stdout  # the file wins over the environment
    done = run("settings", "--env-file", str(tmp_path / "missing.env"))
    assert done.returncode == 2 and done.stderr.startswith("error [config.invalid]: cannot read the env file")


@pytest.mark.parametrize("key, why", [
    (None, "is not set"),
    ("change-me-to-64-random-hex-characters", "placeholder"),  # the example's own
    ("kort-nokkel", "is 11 characters"),
])
def test_serve_refuses_a_key_anyone_could_forge_in_one_line(tmp_path: Path, key: str | None, why: str) -> None:
    env_file = tmp_path / "pipeline.env"
    text = EXAMPLE.read_text().replace("PIPELINE_DATABASE_URL=", "#").replace("/var/lib/imdi-pipeline", str(tmp_path))
    if key is None:
        text = "\n".join(line for line in text.splitlines() if not line.startswith("PIPELINE_WEB_SECRET_KEY"))
    elif key != "change-me-to-64-random-hex-characters":
        text = text.replace("change-me-to-64-random-hex-characters", key)
    env_file.write_text(text)
    done = run("serve", "--port", "1", "--env-file", str(env_file))
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("error [config.secret_key]: PIPELINE_WEB_SECRET_KEY ") and why in line
    assert "secrets.token_hex(32)" in line


def test_serve_says_how_to_add_an_operator_when_there_is_none(settings) -> None:  # type: ignore[no-untyped-def]
    from tests.web.server import serve

    with serve(settings.data_dir, settings.db_url):
        pass
    log = (settings.data_dir / "serve.log").read_text()
    assert "Ingen operatørkontoer ennå: legg til en med `pipeline operators add NAVN`" in log


@pytest.mark.pure
def test_exit_codes_as_the_readme_gives_them() -> None:
    # 2: the command could not run as asked; 1: it ran and refused or found something.
    for code in ("cli.usage", "config.invalid", "config.secret_key", "db.unreachable", "file.unreadable",
                 "file.not_found", "task.not_found", "operator.invalid", "registry.empty", "mail.source"):
        assert exit_code(code) == 2, code
    for code in ("task.illegal_transition", "operator.exists", "registry.mobile_taken", "registry.no_role",
                 "message.not_retryable", "not_a_form", "unreadable.corrupt"):
        assert exit_code(code) == 1, code
    readme = " ".join((REPO / "README.md").read_text().split())
    assert "## Exit status" in (REPO / "README.md").read_text()
    assert "`0` done" in readme and "`1` the command ran and found something or refused" in readme
    assert "`2` it could not run as asked" in readme


def test_exit_codes_of_real_commands(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = ["--data-dir", str(settings.data_dir), "--database-url", settings.db_url]
    assert run("operators", "add", "ola", "--password-stdin", *args, stdin="et langt passord\n").returncode == 0
    taken = run("operators", "add", "ola", "--password-stdin", *args, stdin="et langt passord\n")
    assert taken.returncode == 1 and taken.stderr.startswith("error [operator.exists]: operator 'ola' already exists")
    assert run("operators", "unlock", "nobody", *args).returncode == 2
    assert run("queue", "show", "2026-9999", *args).returncode == 2
    assert run("queue", "list", "--state", "nonsense", *args).returncode == 2  # argparse: usage
    assert run("parse", str(tmp_path / "missing.docx")).returncode == 2
    assert run("parse", str(FIXTURES / "docx-plain.eml")).returncode == 1  # a mail, not a form: a finding


def test_registry_import_of_an_empty_file_or_dev_null(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = ["--data-dir", str(settings.data_dir), "--database-url", settings.db_url]
    empty = tmp_path / "operators.csv"
    empty.write_text("")
    for path in (str(empty), "/dev/null"):
        done = run("registry", "import", "--operators", path, *args)
        assert done.returncode == 1 and "no such file" not in done.stderr, done.stderr
        assert "the file is empty" in done.stdout and "--partial" not in done.stdout, done.stdout
        assert "IKKE importert (rett filen og prøv igjen)" in done.stdout
    done = run("registry", "import", "--operators", str(tmp_path / "nowhere.csv"), *args)
    assert done.returncode == 2 and done.stderr.startswith("error [file.not_found]:")


@pytest.mark.pure
def test_a_closed_pipe_ends_quietly() -> None:
    # `pipeline parse ... | head -1`: the reader is gone after one line.
    form = REPO / "reference" / "forms" / "mottaksadministrator-blank.docx"
    done = subprocess.run(f"{sys.executable} -m pipeline parse --json {' '.join([str(form)] * 100)} | head -1",
                          shell=True, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.stdout.strip() in ("{", "[")
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


@pytest.mark.pure
@pytest.mark.parametrize("columns", [60, 100, 200])
def test_columns_have_headers_fit_the_terminal_and_never_cut_a_label(columns: int) -> None:
    rows = [["2026-0001", "Til vurdering", "Fjern tilgang", "U10548 Elin Knutsen med et veldig langt navn", "+4740574335",
             "avsender ikke bekreftet, mange administratorer"],
            ["2026-0002", "Mangler opplysninger", "Gi tilgang", "Ola", "–", "–"]]
    lines = table(rows, widths=(9, 0, 0, None, 12, None), total=columns,
                  header=("Sak", "Status", "Type", "Navn", "Mobil", "Funn"))
    assert lines[0].split() == ["Sak", "Status", "Type", "Navn", "Mobil", "Funn"]
    assert all(len(line) <= max(columns, 9 + 20 + 13 + 12 + 10 + 24) for line in lines)
    if columns >= 100:
        assert all(len(line) <= columns for line in lines)
    assert "Mangler opplysninger" in lines[2] and "Fjern tilgang" in lines[1]  # labels whole, never "Fjern t…"
    assert table([], widths=(5, None), header=("Nr", "Emne")) == []
