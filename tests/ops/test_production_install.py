"""README's production steps, run as written under a throwaway prefix and a throwaway system user.

Each line of the block under "## Production install" runs in bash with /opt/imdi-pipeline, /etc/imdi-pipeline,
/var/lib/imdi-pipeline and /etc/systemd/system moved under a temporary folder and the user `pipeline` renamed.
Three things differ from a real server, each said where it happens: the Debian packages are checked as installed
rather than installed (no network), the wheel is installed without its dependencies (borrowed from the test
environment through a .pth line) and the password comes from stdin. It also shows that the wheel carries
the templates and static files (what tests/test_install.py checked before). systemd is not running here: its
units are checked by `systemd-analyze verify`, and their ExecStart= lines are run as systemd would run
them: as User=, with the environment read from EnvironmentFile= by systemd's rules.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.settings import read_env_file
from tests.conftest import FIXTURES, REPO
from tests.web.server import free_port

pytestmark = [pytest.mark.slow]

PASSWORD = "et-langt-passord-for-ola"


def readme_steps() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Production install\n", 1)[1]
    lines = section.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("    "))
    steps = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        steps.append(line.strip())
    return steps


@pytest.fixture
def prefix() -> Iterator[Path]:
    # Not under pytest's tmp_path: that is root's alone (0700), and the service's user must reach its files.
    root = Path(tempfile.mkdtemp(prefix="imdi-prod-", dir="/tmp"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def system_user(prefix: Path) -> Iterator[str]:
    name = f"imdi-t{secrets.token_hex(3)}"
    yield name
    subprocess.run(["userdel", name], capture_output=True)
    subprocess.run(["groupdel", name], capture_output=True)


def _moved(line: str, root: Path, user: str) -> str:
    for path in ("/opt/imdi-pipeline", "/etc/imdi-pipeline", "/var/lib/imdi-pipeline", "/etc/systemd/system"):
        line = line.replace(path, f"{root}{path}")
    line = re.sub(r"(-[ogu] |useradd .* )pipeline\b", rf"\g<1>{user}", line)
    return line


# A root shell on a Debian server: Debian's python3 (python3-venv), not the test environment's interpreter.
ROOT_SHELL = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
              "HOME": "/root"}


def _bash(line: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", line], cwd=cwd, capture_output=True, text=True,
                          input=stdin, timeout=300, env=ROOT_SHELL)
    assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
    return done


def _edit_env(path: Path, values: dict[str, str]) -> None:
    """What the operator does in the editor: the example's values replaced; its comments stay."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = [f"{line.partition('=')[0]}={values[line.partition('=')[0]]}" if line.partition("=")[0] in values
           else line for line in lines]
    path.write_text("\n".join(out) + "\n\n; a comment systemd allows as well\n", encoding="utf-8")


def _unit(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines()
                if "=" in line and not line.startswith(("#", ";")))


def test_the_production_steps_work_as_written(prefix: Path, system_user: str, database_url: str) -> None:
    steps = readme_steps()
    assert steps[-1].startswith("systemctl daemon-reload")
    work = prefix / "checkout"
    work.mkdir()
    shutil.copytree(REPO / "deploy", work / "deploy")
    # The wheel beside the checkout, built as the README says (from a copy: the build leaves files behind).
    src = prefix / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "var", "build", "test-artifacts", "__pycache__", "*.egg-info", ".*_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(work),
                    str(src)], check=True, capture_output=True)
    venv = prefix / "opt/imdi-pipeline/venv"
    env_file = prefix / "etc/imdi-pipeline/pipeline.env"
    data = prefix / "var/lib/imdi-pipeline"
    url = database_url if database_url.startswith("postgresql") else f"sqlite:///{data}/pipeline.sqlite3"
    (prefix / "etc/systemd/system").mkdir(parents=True)  # there on every server
    ran = []
    umask = ""
    for step in steps:
        line = umask + _moved(step, prefix, system_user)
        if step.startswith("umask"):
            umask = step + "; "  # the steps run in one root shell: what umask says holds for the rest
            ran.append(step)
            continue
        if step.startswith("apt-get install"):
            # No network here: every package the step names must be installed (scripts/test.sh installs them).
            packages = [w for w in shlex.split(step)[2:] if not w.startswith("-")]
            assert {"python3-venv", "tesseract-ocr-nor", "tesseract-ocr-script-latn"} <= set(packages)
            for package in packages:
                status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
                assert status.stdout == "install ok installed", package
        elif step.startswith(("$", "nano", "vi")) or "EDITOR" in step:
            # No relay here (and no traffic beyond loopback): an empty value is the default, the outbox folder.
            _edit_env(env_file, {"PIPELINE_DATA_DIR": str(data), "PIPELINE_DATABASE_URL": url,
                                 "PIPELINE_WEB_SECRET_KEY": secrets.token_hex(32), "PIPELINE_SMTP_HOST": ""})
        elif "/pip install" in step:
            assert '[m365]"' in step  # msal, for XOAUTH2 to Microsoft 365
            # Without its dependencies, which the test environment lends (a .pth line), and nothing fetched.
            _bash(line.replace("/pip install ", "/pip install -q --no-deps --no-index "), work)
            site = subprocess.run([str(venv / "bin/python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip()
            Path(site, "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
            [meta] = Path(site).glob("imdi_pipeline-*.dist-info/METADATA")
            assert "Provides-Extra: m365" in meta.read_text() and re.search(
                r"Requires-Dist: msal.*extra == \"m365\"", meta.read_text())
        elif "operators add" in step:
            done = _bash(line + " --password-stdin", work, stdin=PASSWORD + "\n")
            assert "er lagt til" in done.stdout
        elif step.startswith("systemctl"):
            continue  # no systemd here: below, the units are verified and their commands run as it would
        else:
            done = _bash(line, work)
            if "db upgrade" in step:
                assert done.stdout.startswith("Databasen er oppdatert"), done.stdout
        ran.append(step)

    # The env file: 0640 root:pipeline, as the README, the example and the units say.
    st = env_file.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_uid == 0
    assert st.st_gid == int(subprocess.run(["id", "-g", system_user], capture_output=True, text=True).stdout)
    assert "mode 0640, owner root, group pipeline" in " ".join((REPO / "deploy/pipeline.env.example").read_text().split()).lower()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert (venv / "bin/pipeline").is_file()
    # The package and its templates come from the wheel, not from a checkout (test_install.py before).
    where = subprocess.run([str(venv / "bin/python"), "-c", "import pipeline, pipeline.resources as r; "
                            "print(pipeline.__file__); print(r.templates_dir())"],
                           cwd=prefix, check=True, capture_output=True, text=True, env=ROOT_SHELL).stdout.split()
    assert all(line.startswith(str(venv)) for line in where), where
    assert (Path(where[1]) / "email" / "receipt.txt").is_file() and (Path(where[1]) / "web" / "static").is_dir()

    # The units as installed, pointing into the prefix: systemd's own checker has nothing to say.
    units = prefix / "etc/systemd/system"
    for name in ("pipeline-worker.service", "pipeline-web.service"):
        unit = units / name
        unit.write_text(_moved(unit.read_text(), prefix, system_user).replace("User=pipeline", f"User={system_user}")
                        .replace("Group=pipeline", f"Group={system_user}"))
        verify = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
        assert verify.returncode == 0 and not verify.stderr.strip(), verify.stderr
    worker, web = _unit(units / "pipeline-worker.service"), _unit(units / "pipeline-web.service")
    assert worker["Type"] == web["Type"] == "notify" and worker["WatchdogSec"] == "15min"
    assert worker["EnvironmentFile"] == web["EnvironmentFile"] == str(env_file)

    # Run as systemd runs them: as User=, with exactly the environment EnvironmentFile= gives.
    env = {"PATH": "/usr/bin:/bin", **read_env_file(env_file)}
    assert env["PIPELINE_DATABASE_URL"] == url and env["PIPELINE_WEB_SECRET_KEY"] != "change-me-to-64-random-hex-characters"
    inbox = prefix / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "docx-plain.eml", inbox)
    inbox.chmod(0o755)
    as_user = ["runuser", "-u", system_user, "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()]]
    exec_worker = shlex.split(worker["ExecStart"])
    done = subprocess.run([*as_user, *exec_worker[:2], "--once", "--source", f"dir:{inbox}"], capture_output=True,
                          text=True, timeout=300, cwd=prefix)
    assert done.returncode == 0 and done.stdout.startswith("1 melding lest"), done.stderr
    [receipt] = (data / "outbox").glob("*.eml")  # rendered from the wheel's templates
    assert b"IMDi" in receipt.read_bytes()
    port = free_port()
    exec_web = [a.replace("8000", str(port)) for a in shlex.split(web["ExecStart"])]
    proc = subprocess.Popen([*as_user, *exec_web], cwd=prefix, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
                    health = json.loads(resp.read())
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()  # type: ignore[union-attr]
                time.sleep(0.2)
        assert health["status"] == "ok" and health["database"] == "ok" and health["seconds_since_last_poll"] >= 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/style.css", timeout=10) as css:
            assert css.status == 200 and b"{" in css.read()  # the wheel's static files
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        err = proc.stderr.read().decode()  # type: ignore[union-attr]
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    assert "Ingen operatørkontoer" not in err  # `operators add` above made one
    # Everything it wrote belongs to the service's user, readable by it alone.
    owners = {p.stat().st_uid for p in data.rglob("*")}
    assert owners == {int(subprocess.run(["id", "-u", system_user], capture_output=True, text=True).stdout)}
    assert len(ran) == len(steps) - 1  # all but systemctl ran (or were checked) here
    assert os.access(env_file, os.R_OK)
