"""A regular (not editable) install runs: the wheel carries the templates, the worker and the web UI start.

The wheel is built from this checkout and installed, without its dependencies, into a fresh virtual
environment that borrows the test environment's site-packages for them (a .pth line: the editable
install's own finder there is not activated, so `pipeline` can only come from the wheel).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO
from tests.web.server import serve

pytestmark = [pytest.mark.slow, pytest.mark.pure]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    # Build from a copy, so that the build leaves nothing (build/, *.egg-info) in the checkout.
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "var", "build", "test-artifacts", "__pycache__", "*.egg-info", ".*_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(root / "dist"), str(src)], check=True, capture_output=True)
    [wheel] = (root / "dist").glob("*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def test_the_wheel_carries_the_templates(installed: Path, tmp_path: Path) -> None:
    out = subprocess.run([str(installed / "bin" / "python"), "-c",
                          "import pipeline, pipeline.resources as r; print(pipeline.__file__); print(r.templates_dir())"],
                         cwd=tmp_path, check=True, capture_output=True, text=True).stdout.split()
    assert all(str(installed) in line for line in out), out  # the package and its templates come from the wheel
    assert (Path(out[1]) / "email" / "receipt.txt").is_file() and (Path(out[1]) / "web" / "static").is_dir()


def test_worker_and_web_ui_run_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    pipeline = str(installed / "bin" / "pipeline")
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    shutil.copy(FIXTURES / "docx-plain.eml", inbox)
    db_url = f"sqlite:///{data / 'pipeline.sqlite3'}"
    common = ["--data-dir", str(data), "--database-url", db_url]
    done = subprocess.run([pipeline, "worker", "--once", "--source", f"dir:{inbox}", "--json", *common],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    replies = list((data / "outbox").glob("*.eml"))
    assert len(replies) == 1 and b"IMDi" in replies[0].read_bytes()  # the receipt, rendered from the wheel
    with serve(data, db_url, command=[pipeline], cwd=tmp_path) as url:
        with urllib.request.urlopen(url + "/logg-inn", timeout=10) as page:
            assert page.status == 200 and "Logg inn" in page.read().decode()
        with urllib.request.urlopen(url + "/static/style.css", timeout=10) as css:
            assert css.status == 200 and b"{" in css.read()
