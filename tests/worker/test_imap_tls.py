"""TLS to the IMAP server: IMAPS and STARTTLS against Dovecot with a self-signed certificate."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from pipeline.entrypoints.worker import Worker
from pipeline.errors import SourceError
from pipeline.settings import ImapSettings
from tests.mail.builders import doc_form
from tests.servers.dovecot import Dovecot, start_dovecot

pytestmark = pytest.mark.imap


@pytest.fixture(scope="module")
def tls_dovecot() -> Iterator[Dovecot]:
    yield from start_dovecot(tls=True)


@pytest.mark.parametrize("mode", ["ssl", "starttls"])
def test_worker_over_tls(tls_dovecot, settings, db, mode):
    user = tls_dovecot.new_user()
    client = tls_dovecot.client(user)
    client.append("INBOX", doc_form())
    client.logout()
    port = tls_dovecot.imaps_port if mode == "ssl" else tls_dovecot.port
    imap = ImapSettings(host="127.0.0.1", port=port, ssl_mode=mode, user=user, password=tls_dovecot.password,
                        timeout=10)
    with pytest.raises(SourceError):  # a certificate nobody vouches for is refused
        Worker(replace(settings, imap=imap), source="imap").run(once=True)
    imap = replace(imap, ca_file=str(tls_dovecot.ca_file))
    stats = Worker(replace(settings, imap=imap), source="imap").run(once=True)
    assert dict(stats.outcomes) == {"unreadable": 1} and stats.marked == 1
