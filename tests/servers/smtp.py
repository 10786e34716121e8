"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), collecting what it receives.

`SmtpServer.start()` binds a free port once and keeps it across stop()/start(), so that a test can
take the server down, see sends fail, and bring it back on the same address.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients to refuse with 550
    stall: threading.Event = field(default_factory=threading.Event)  # while set, DATA is not answered
    in_data: threading.Event = field(default_factory=threading.Event)  # set when a client is in DATA

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address.lower() in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.in_data.set()
        while self.stall.is_set():  # a relay that takes the data and hangs before it answers
            await asyncio.sleep(0.05)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    """tls: None (plain), "starttls" (required before AUTH/MAIL) or "ssl" (implicit TLS), with a cert and
    key made by `make_cert`; users: {login: password} to require AUTH."""

    host = "127.0.0.1"

    def __init__(self, *, tls: str | None = None, cert: tuple[str, str] | None = None,
                 users: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.handler = _Handler()
        self.tls = tls
        self.users = users
        self._ctx = None
        if tls:
            assert cert, "TLS needs (certfile, keyfile)"
            self._ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._ctx.load_cert_chain(*cert)
        self._controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and self.users is not None and self.users.get(
            auth_data.login.decode()) == auth_data.password.decode()
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    def _kwargs(self) -> dict:  # type: ignore[type-arg]
        kw: dict = {}  # type: ignore[type-arg]
        if self.tls == "starttls":
            kw.update(tls_context=self._ctx, require_starttls=True)
        elif self.tls == "ssl":
            kw.update(ssl_context=self._ctx)
        if self.users is not None:
            kw.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=self.tls == "starttls")  # implicit TLS: aiosmtpd cannot tell
        return kw

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(self.handler, hostname=self.host, port=self.port, **self._kwargs())
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def make_cert(directory) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A self-signed certificate for 127.0.0.1 (certfile, keyfile); clients trust it as their CA file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = f"{directory}/cert.pem", f"{directory}/key.pem"
    with open(certfile, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(keyfile, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    return certfile, keyfile
