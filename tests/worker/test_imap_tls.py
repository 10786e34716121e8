"""TLS to the IMAP server: IMAPS and STARTTLS against Dovecot with a self-signed certificate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.errors import SourceError
from pipeline.worker import Worker
from tests.mail.builders import doc_form
from tests.servers.dovecot import Dovecot, start_dovecot

pytestmark = pytest.mark.imap


@pytest.fixture(scope="module")
def tls_dovecot() -> Iterator[Dovecot]:
    yield from start_dovecot(tls=True)


@pytest.mark.parametrize("mode", ["ssl", "starttls"])
def test_worker_over_tls(tls_dovecot, settings, db, monkeypatch, mode):
    user = tls_dovecot.new_user()
    client = tls_dovecot.client(user)
    client.append("INBOX", doc_form())
    client.logout()
    port = tls_dovecot.imaps_port if mode == "ssl" else tls_dovecot.port
    for key, value in {"HOST": "127.0.0.1", "PORT": str(port), "SSL": mode, "USER": user,
                       "PASSWORD": tls_dovecot.password, "TIMEOUT": "10"}.items():
        monkeypatch.setenv(f"PIPELINE_IMAP_{key}", value)
    with pytest.raises(SourceError):  # a certificate nobody vouches for is refused
        Worker(settings, source="imap").run(once=True)
    monkeypatch.setenv("PIPELINE_IMAP_CA_FILE", str(tls_dovecot.ca_file))
    stats = Worker(settings, source="imap").run(once=True)
    assert dict(stats.outcomes) == {"unreadable": 1} and stats.marked == 1
