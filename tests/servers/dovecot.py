"""A throwaway Dovecot IMAP server on 127.0.0.1 for the tests and the ingest benchmark.

Debian's dovecot-imapd with a config of our own in a temporary folder: a random free port, plain text
login allowed (loopback only), a static passdb (any user name, one password) so that every test gets a
fresh, empty mailbox by logging in as a new user, Maildir under the folder. Mail processes run as the
'dovecot' system user, since Dovecot refuses uid 0 for mail access.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "test-password"

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0 secs
login_trusted_networks = 127.0.0.1/32
default_login_user = dovenull
default_internal_user = {mail_user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
mail_uid = {mail_user}
mail_gid = {mail_group}
imap_idle_notify_interval = 1 secs
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    root: Path
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    password: str = PASSWORD
    tls: bool = False  # a self-signed certificate for 127.0.0.1 (ca_file), STARTTLS and IMAPS (imaps_port)
    imaps_port: int = 0
    _pid: int | None = None

    @property
    def ca_file(self) -> Path:
        return self.root / "cert.pem"

    def _make_cert(self) -> str:
        if not self.ca_file.exists():
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", str(self.root / "key.pem"), "-out", str(self.ca_file)],
                           check=True, capture_output=True)
            if not self.imaps_port:
                self.imaps_port = free_port()
        return f"ssl = yes\nssl_cert = <{self.ca_file}\nssl_key = <{self.root / 'key.pem'}"

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    def start(self) -> None:
        user = pwd.getpwnam("dovecot")
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("mail", "home"):
            os.chown(self.root / sub, user.pw_uid, user.pw_gid)
        ssl = self._make_cert() if self.tls else "ssl = no"
        self.config.write_text(_CONFIG.format(
            root=self.root, port=self.port, password=self.password, ssl=ssl, imaps_port=self.imaps_port,
            mail_user="dovecot", mail_group=_group_name(user.pw_gid),
        ))
        # Dovecot forks into the background; captured pipes would stay open in the daemon.
        with open(self.root / "start.log", "ab") as out:
            subprocess.run([DOVECOT, "-c", str(self.config)], check=True, stdin=subprocess.DEVNULL,
                           stdout=out, stderr=out)
        self._wait_listening()
        pidfile = self.root / "run" / "master.pid"
        deadline = time.monotonic() + 10
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        self._pid = int(pidfile.read_text().strip())

    def stop(self) -> None:
        if self._pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGTERM)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and _alive(self._pid):
            time.sleep(0.05)
        if _alive(self._pid):  # still closing connections of killed clients: not worth waiting for
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            time.sleep(0.2)
        self._pid = None
        # Wait until the port is free again, so a restart can listen on the same one.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    pass
                time.sleep(0.05)
            except OSError:
                break

    def restart(self) -> None:
        self.stop()
        self.start()

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start; log:\n{self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def new_user(self) -> str:
        return f"u{uuid.uuid4().hex[:12]}"

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user

    def client(self, user: str):  # type: ignore[no-untyped-def]
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.login(user, self.password)
        return client


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of ours counts as gone.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def start_dovecot(*, tls: bool = False) -> Iterator[Dovecot]:
    """Generator for a fixture: a running server, stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="pipeline-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root, tls=tls)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
