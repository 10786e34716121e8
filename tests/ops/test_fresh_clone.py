"""The repository holds all it needs: a fresh clone, alone in an empty folder, runs the demo, and a second run
changes nothing and mails nothing. Every path the README, the docs, the scripts and the code name is inside
the repository.

The demo runs with the test environment's interpreter (PIPELINE_DEMO_PYTHON) instead of installing one of its
own; the pipeline it runs is the clone's (checked below), and Tesseract's models are there already. Its OCR of
the fixture scans shares the run's kept readings (tests/memo.py), as the tests' own process does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import memo
from tests.conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.pure]


def _git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _demo(clone: Path, tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env["PIPELINE_DEMO_PYTHON"] = sys.executable
    # The fixture scans are read by OCR in the tests of the readers and the worker too: the demo takes the
    # run's readings of the same bytes (tests/memo.py) rather than reading each scan once more.
    env = memo.for_subprocess(env, tmp_path_factory)
    done = subprocess.run(["bash", "scripts/demo.sh"], cwd=clone, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


# The clone's own CLI (its working folder puts its pipeline first), each listing's --json, in one process.
_LISTINGS = """
import contextlib, io, json, sys
from pipeline.entrypoints.cli import main
out = {}
for name, args in json.loads(sys.argv[1]).items():
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main([*args, "--json"])
    assert code == 0, (args, code)
    out[name] = json.loads(printed.getvalue())
print(json.dumps(out))
"""


def _state(clone: Path) -> dict[str, object]:
    """What the demo left: every reply e-mail's bytes, and what the database holds, counted."""
    out = {p.name: p.read_bytes() for p in (clone / "var" / "outbox").glob("*.eml")}
    asked = {"messages": ["messages", "list"], "cases": ["queue", "list"], "replies": ["replies", "list"],
             "reviews": ["review", "list"]}
    listed = subprocess.run([sys.executable, "-c", _LISTINGS, json.dumps(asked)], cwd=clone, check=True,
                            capture_output=True, text=True).stdout
    return {"outbox": out, **json.loads(listed)}


def test_a_fresh_clone_alone_runs_the_demo_twice(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    empty = tmp_path / "nothing-else-here"
    empty.mkdir()
    clone = empty / "imdi"
    _git("clone", "--quiet", "--no-hardlinks", str(REPO), str(clone))
    assert [p.name for p in empty.iterdir()] == ["imdi"]  # no ../shared, nothing beside it
    # The demo's pipeline is the clone's own code, not this checkout's.
    where = subprocess.run([sys.executable, "-c", "import pipeline.entrypoints.cli as c; print(c.__file__)"],
                           cwd=clone, check=True, capture_output=True, text=True).stdout.strip()
    assert where.startswith(str(clone)), where

    first = _demo(clone, tmp_path_factory)
    out = first.stdout
    assert "Brukere: reference/registry/users.csv:" in out and "importert" in out
    assert "2026-G001" in out and "2026-G003" in out
    state = _state(clone)
    messages = state["messages"]
    assert isinstance(messages, list) and len(messages) == len(list((clone / "inbox_fixtures").glob("*.eml")))
    assert all(m["outcome"] for m in messages) and not any(m["outcome"] == "failed" for m in messages)
    assert len(state["outbox"]) > 10 and len(state["reviews"]) == 3  # type: ignore[arg-type]
    assert {r["state"] for r in state["reviews"]} <= {"confirmed", "changes", "unclear"}  # type: ignore[union-attr]
    # The suggestion shows the reply decoded, as the demo prints it.
    assert "replies show 3" in out and "less " not in out
    shown = subprocess.run([sys.executable, "-m", "pipeline", "replies", "show", "3"], cwd=clone, check=True,
                           capture_output=True, text=True).stdout
    assert "=C3" not in shown and re.search(r"[æøå]", shown)

    second = _demo(clone, tmp_path_factory)
    assert "ingen nye; 0 svar sendt" in second.stdout, second.stdout
    assert "Allerede startet" in second.stdout
    assert _state(clone) == state  # nothing changed, nothing mailed (the reviews are not mailed again)
    assert _git("status", "--porcelain", "--untracked-files=no", cwd=clone) == ""  # the demo edits no tracked file


# Paths outside the repository that the code or its documents may name by mistake: a sibling folder of the
# checkout ("../shared"), the folder that held the reference material before it moved in, or a path of the
# machine it was written on.
OUTSIDE = re.compile(r"(?<![\w.])\.\./(?!\.)[\w.-]+|(?<![\w/])shared/(?:registry|forms|design|robustness|DESIGN)\b"
                     r"|(?<![\w.])/work/[\w.-]+")
# Paths relative to the checkout that the text names as its own files and folders.
NAMED = re.compile(r"(?<![\w/.~$-])((?:reference|docs|deploy|scripts|templates|inbox_fixtures|pipeline|tests|bench|tools)"
                   r"/[\w./*-]*[\w*])")


def _texts() -> list[Path]:
    tracked = _git("ls-files").split("\n")
    # The benchmarks are scripts without a suffix (bench/check, bench/parse ...): read as code too.
    return [REPO / f for f in tracked if f and (Path(f).suffix in (".md", ".py", ".sh", ".toml", ".txt", ".cfg",
                                                                   ".service", ".example", ".yml", ".in")
                                                or (f.startswith("bench/") and not Path(f).suffix))
            and not f.startswith("reference/robustness/") and f != "tests/ops/test_fresh_clone.py"]


def test_every_path_named_is_inside_the_repository() -> None:
    outside, missing = [], []
    for path in _texts():
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(REPO)
        for match in OUTSIDE.finditer(text):
            outside.append(f"{rel}: {match.group(0)}")
        if path.suffix in (".md", ".sh", ".service", ".example", ".toml"):
            for name in NAMED.findall(text):
                name = name.rstrip(".")
                if "*" in name or "<" in name:
                    if not list(REPO.glob(name.replace("<", "*").replace(">", ""))):
                        missing.append(f"{rel}: {name}")
                elif not (REPO / name).exists():
                    missing.append(f"{rel}: {name}")
    assert not outside, outside
    assert not missing, missing
