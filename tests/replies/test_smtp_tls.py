"""SMTP with STARTTLS or implicit TLS, and AUTH, against aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import ssl

import pytest

from pipeline.adapters.outbox import SmtpOutbox
from pipeline.core.clock import aware
from pipeline.errors import OutboxError
from pipeline.usecases.reply_sending import send_due
from tests.replies.test_outbox import _reply, _state
from tests.servers.smtp import SmtpServer, make_cert

# Over implicit TLS aiosmtpd cannot tell that the session is encrypted, so AUTH is allowed "without TLS".
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def cert(tmp_path):  # type: ignore[no-untyped-def]
    return make_cert(tmp_path)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_login(db, cert, security):
    server = SmtpServer(tls=security, cert=cert, users={"imdi": "hemmelig"})
    server.start()
    try:
        trust = ssl.create_default_context(cafile=cert[0])
        reply_id = _reply(db)
        wrong = SmtpOutbox(server.host, server.port, security=security, user="imdi", password="feil",
                           ssl_context=trust, timeout=5)
        assert send_due(db, wrong) == 0
        r = _state(db, reply_id)
        assert r.state == "failed" and "535" in r.last_error and r.next_attempt_at is not None
        right = SmtpOutbox(server.host, server.port, security=security, user="imdi", password="hemmelig",
                           ssl_context=trust, timeout=5)
        assert send_due(db, right) == 0  # not due yet
        assert send_due(db, right, now=aware(r.next_attempt_at)) == 1
        [got] = server.received
        assert got.message["Message-ID"] == r.rfc_message_id
    finally:
        server.stop()


def test_an_untrusted_certificate_is_refused(cert):
    server = SmtpServer(tls="ssl", cert=cert)
    server.start()
    try:
        from email.message import EmailMessage

        msg = EmailMessage()
        msg["To"] = "a@x.no"
        with pytest.raises(OutboxError, match="cannot reach SMTP"):
            SmtpOutbox(server.host, server.port, security="ssl", timeout=5).send(msg, 1)
        assert server.received == []
    finally:
        server.stop()
