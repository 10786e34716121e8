"""The command line as IMDi support meets it: one-line errors (never a traceback), help for everything,
Oslo times, a summary on stdout, and sources that can be forgotten."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.entrypoints.cli import build_parser, main
from tests.conftest import FIXTURES, REPO


def run(*args: str, stdin: str | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=cwd,
                          input=stdin, timeout=120)


def _one_line_error(done: subprocess.CompletedProcess[str], code: str) -> None:
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error [{code}]: "), done.stderr


@pytest.mark.pure
@pytest.mark.parametrize("url, code", [
    ("nonsense", "db.url"),
    ("postgresql+psycopg://pipeline@127.0.0.1:1/nothing", "db.unreachable"),  # a closed port
    ("sqlite:////nonexistent/folder/pipeline.sqlite3", "db.unreachable"),
    ("mysql://user@127.0.0.1/db", "db.driver"),
])
def test_a_bad_database_url_is_one_line(url: str, code: str) -> None:
    _one_line_error(run("queue", "list", "--database-url", url), code)
    done = run("queue", "list", "--json", "--database-url", url)
    assert done.returncode == 2 and f'"code": "{code}"' in done.stdout


@pytest.mark.pure
def test_a_data_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    _one_line_error(run("queue", "list", "--data-dir", str(blocker / "data")), "os.error")


def test_operators_add_without_a_terminal(settings) -> None:  # type: ignore[no-untyped-def]
    args = ["--data-dir", str(settings.data_dir), "--database-url", settings.db_url]
    _one_line_error(run("operators", "add", "kari", *args, stdin=""), "cli.no_terminal")
    done = run("operators", "add", "kari", "--password-stdin", *args, stdin="et langt passord\n")
    assert done.returncode == 0, done.stderr


def test_a_mistyped_source_is_never_polled_and_can_be_forgotten(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = ["--data-dir", str(settings.data_dir), "--database-url", settings.db_url]
    done = run("worker", "--once", "--source", "dir:/nonexistent/inbox", *args)
    _one_line_error(done, "mail.source")
    status = run("status", *args)
    assert "Kilde dir:/nonexistent/inbox: aldri hentet" in status.stdout and "PROBLEM" not in status.stdout
    assert run("status", "--forget", "dir:/nonexistent/inbox", *args).returncode == 0
    assert "/nonexistent/inbox" not in run("status", *args).stdout
    _one_line_error(run("status", "--forget", "dir:/never/seen", *args), "status.unknown_source")


def test_the_worker_summary_is_on_stdout_and_times_are_oslo_with_offset(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes((FIXTURES / "docx-plain.eml").read_bytes())
    args = ["--data-dir", str(settings.data_dir), "--database-url", settings.db_url]
    done = run("worker", "--once", "--source", f"dir:{inbox}", *args)
    assert done.returncode == 0 and done.stdout.startswith("1 melding lest: ") and "1 svar sendt" in done.stdout
    shown = run(*args, "queue", "show", "1").stdout  # the options before the command work as well
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d system: Sak opprettet", shown), shown
    # The log lines on stderr carry the same clock.
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d INFO ", done.stderr, re.MULTILINE), done.stderr


@pytest.mark.pure
def test_choices_are_checked_and_a_group_alone_shows_its_actions() -> None:
    done = run("messages", "list", "--outcome", "bogus")
    assert done.returncode == 2 and "invalid choice: 'bogus'" in done.stderr
    done = run("queue")
    assert done.returncode == 2 and "approve" in done.stderr and "required" not in done.stderr


@pytest.mark.pure
def test_every_option_and_argument_has_help() -> None:
    missing = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "pipeline")
    assert not missing, missing


@pytest.mark.pure
def test_the_data_folder_and_database_go_before_or_after_the_command() -> None:
    parse = build_parser().parse_args
    before = parse(["--data-dir", "/srv/a", "--database-url", "sqlite:///a.db", "worker", "--once"])
    assert (before.data_dir, before.database_url, before.command) == ("/srv/a", "sqlite:///a.db", "worker")
    after = parse(["queue", "list", "--data-dir", "/srv/b"])
    assert after.data_dir == "/srv/b" and not hasattr(after, "database_url")
    both = parse(["--data-dir", "/srv/a", "status", "--data-dir", "/srv/b"])
    assert both.data_dir == "/srv/b"


@pytest.mark.pure
def test_parse_takes_no_database_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["parse", "--help"])
    assert "--database-url" not in capsys.readouterr().out


@pytest.mark.pure
def test_columns_are_cut_at_word_boundaries() -> None:
    from pipeline.entrypoints.cli.output import cut, table

    assert cut("Skjema om mottaksadministrativ bruker i IMDinett mottak", 40) == "Skjema om mottaksadministrativ bruker…"
    assert cut("Søknad om mottaksadministrator – Camilla Aasen", 27) == "Søknad om mottaksadministr…"  # no short stub
    lines = table([["1", "a" * 5, "Skjema om mottaksadministrativ bruker i IMDinett mottak"]],
                  widths=(3, 6, None), total=45)
    assert lines == ["1    aaaaa   Skjema om mottaksadministrativ…"]
