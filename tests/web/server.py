"""`pipeline serve` started as a real process on 127.0.0.1 and a free port, and Debian's Chromium, for the
browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import REPO

# Debian's chromium (scripts/test.sh installs it; a missing browser is a failure, not a skip).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium through Playwright, closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(data_dir: Path, database_url: str, *, extra_env: dict[str, str] | None = None,
          command: list[str] | None = None, cwd: Path = REPO) -> Iterator[str]:
    """`pipeline serve` (or `command` + serve's arguments) on a free port; yields its base URL."""
    port = free_port()
    # Plain HTTP on loopback: a Secure cookie (the default) would not come back from Chromium over it.
    env = {**os.environ, "PIPELINE_WEB_SECRET_KEY": "e2e-" + "5" * 60, "PIPELINE_WEB_COOKIE_SECURE": "0", **(extra_env or {})}
    log = open(data_dir / "serve.log", "wb")  # noqa: SIM115 (closed below, after the process)
    proc = subprocess.Popen(
        [*(command or [sys.executable, "-m", "pipeline"]), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(data_dir), "--database-url", database_url],
        cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/logg-inn", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("pipeline serve did not start: "
                                       + (data_dir / "serve.log").read_text(errors="replace")) from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
