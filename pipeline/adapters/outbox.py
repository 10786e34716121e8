"""The outbox: turn a stored Reply into a MIME message and hand it to a folder or an SMTP relay.

    outbox_from_settings(settings)   FolderOutbox(<data-dir>/outbox) unless settings.smtp.host is set
    FolderOutbox(dir).send(msg, reply_id)   writes <reply id>.eml atomically (tmp file + rename)
    SmtpOutbox(host, port, ...).send(msg, reply_id)   smtplib; ssl | starttls | none; optional login

Both raise only pipeline.errors.OutboxError (with `permanent` set when retrying cannot help, e.g. the
relay refused the recipient with a 5xx). Sending with state written before and after, retries and crash
recovery are in pipeline.usecases.reply_sending.send_due.

Header safety: values that come from outside (the sender's address, the original subject, threading ids)
are folded to one line and any "=?" is broken up before it reaches a header, because the email package
parses a string assigned to a header as if it came off the wire, so an encoded-word holding =0D=0A
would turn into a real line break in the output. The built message is parsed back and its header names
compared with what we set, as a last guard.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

from pipeline.adapters.db.models import Reply
from pipeline.errors import OutboxError
from pipeline.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_SENDER = "IMDi <post@imdi.no>"


Accepted = Callable[[], None]


class Outbox(Protocol):
    sender: str

    def send(self, message: EmailMessage, reply_id: int, accepted: Accepted | None = None) -> None:
        """Hand the message over; call `accepted` the moment the relay (or the folder) has taken it, before
        anything else (such as SMTP's QUIT), so that the caller records it as early as the protocol allows."""


def header_text(value: str | None) -> str:
    """One line, no control characters, no encoded-word opener: safe to assign to a header."""
    if not value:
        return ""
    text = "".join(ch if ch.isprintable() else " " for ch in value)
    return " ".join(text.split()).replace("=?", "= ?")


def _address(text: str) -> Address:
    name, addr = parseaddr(header_text(text))
    if not addr or "@" not in addr:
        raise OutboxError(f"not an e-mail address: {text!r}")
    local, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def build_message(reply: Reply, sender: str = DEFAULT_SENDER) -> EmailMessage:
    """The MIME message for a stored reply: text with an HTML alternative, threading, RFC 3834 marks."""
    from datetime import UTC, datetime

    # An address with a non-ASCII local part (kåri@...) is written as UTF-8 (RFC 6531), never as an
    # encoded word, which is no address at all; the relay must then offer SMTPUTF8.
    msg = EmailMessage(policy=policy.default if reply.to_addr.isascii() else policy.SMTPUTF8)
    msg["From"] = _address(sender)
    msg["To"] = _address(reply.to_addr)
    msg["Subject"] = header_text(reply.subject)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = header_text(reply.rfc_message_id)
    expected = ["From", "To", "Subject", "Date", "Message-ID"]
    if reply.in_reply_to:
        msg["In-Reply-To"] = header_text(reply.in_reply_to)
        expected.append("In-Reply-To")
    if reply.references:
        msg["References"] = header_text(reply.references)
        expected.append("References")
    if reply.automatic:
        # RFC 3834: mark it so that other responders do not answer it; ask Exchange not to either.
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
        expected += ["Auto-Submitted", "X-Auto-Response-Suppress"]
    msg.set_content(reply.body_text)
    if reply.body_html:
        msg.add_alternative(reply.body_html, subtype="html")
    expected += ["Content-Type", "MIME-Version"]
    # Headers are written on one line up to RFC 5322's limit of 998: at 78 the email package moves a subject
    # that is a little too long whole onto a continuation line ("Subject:" alone, then the text), which
    # some clients show as an empty subject. The body was encoded above and keeps its 76-character lines.
    msg.policy = msg.policy.clone(max_line_length=998)
    got = Counter(message_from_bytes(msg.as_bytes(), policy=policy.default).keys())
    if got != Counter(expected):
        raise OutboxError(f"reply {reply.id}: unexpected headers {sorted(got - Counter(expected))}",
                          code="mail.outbox")
    return msg


class FolderOutbox:
    """The embedded default: each reply as <dir>/<reply id>.eml. Writing twice replaces the same file."""

    def __init__(self, directory: str | Path, sender: str = DEFAULT_SENDER) -> None:
        self.directory = Path(directory)
        self.sender = sender

    def path_for(self, reply_id: int) -> Path:
        return self.directory / f"{reply_id}.eml"

    def send(self, message: EmailMessage, reply_id: int, accepted: Accepted | None = None) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{reply_id}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(message.as_bytes())
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path_for(reply_id))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise OutboxError(f"cannot write reply {reply_id} to {self.directory}: {exc}") from exc
        if accepted is not None:
            accepted()


class SmtpOutbox:
    """An SMTP relay. security: "ssl" (implicit TLS, port 465), "starttls" (587) or "none" (tests, port 25)."""

    def __init__(self, host: str, port: int | None = None, *, security: str = "starttls", user: str | None = None,
                 password: str | None = None, timeout: float = 30.0, sender: str = DEFAULT_SENDER,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        if security not in ("ssl", "starttls", "none"):
            raise OutboxError(f"SMTP security must be ssl, starttls or none, not {security!r}", code="config.invalid")
        self.host = host
        self.port = port or {"ssl": 465, "starttls": 587, "none": 25}[security]
        self.security = security
        self.user = user
        self.password = password
        self.timeout = timeout
        self.sender = sender
        self.ssl_context = ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.ssl_context)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            client.starttls(context=self.ssl_context)
        return client

    def send(self, message: EmailMessage, reply_id: int, accepted: Accepted | None = None) -> None:
        envelope_from = _address(self.sender).addr_spec
        rcpt = [a.addr_spec for a in message["To"].addresses]
        try:
            with self._connect() as client:
                if self.user:
                    client.login(self.user, self.password or "")
                client.send_message(message, from_addr=envelope_from, to_addrs=rcpt)
                # The relay has said 250 to the data: record that before QUIT, the one round trip left.
                if accepted is not None:
                    accepted()
        except smtplib.SMTPNotSupportedError as exc:  # a UTF-8 address and a relay without SMTPUTF8
            err = OutboxError(f"reply {reply_id}: the relay cannot take this address ({exc})")
            err.permanent = True  # type: ignore[attr-defined]
            raise err from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            err = OutboxError(f"reply {reply_id}: recipient refused {codes}")
            err.permanent = all(500 <= c < 600 for c in codes)  # type: ignore[attr-defined]
            raise err from exc
        except smtplib.SMTPResponseException as exc:
            err = OutboxError(f"reply {reply_id}: SMTP {exc.smtp_code} {exc.smtp_error!r}")
            # Only a refusal of this message is final; a refused login or sender is our configuration,
            # which an administrator fixes, so those replies keep being retried.
            err.permanent = isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600  # type: ignore[attr-defined]
            raise err from exc
        except (TimeoutError, smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise OutboxError(f"reply {reply_id}: cannot reach SMTP {self.host}:{self.port}: {exc}") from exc


def outbox_from_settings(settings: Settings) -> FolderOutbox | SmtpOutbox:
    """SMTP when settings.smtp.host is set, else the folder <data-dir>/outbox."""
    smtp = settings.smtp
    if not smtp.host:
        return FolderOutbox(settings.outbox_dir, sender=settings.reply_from)
    return SmtpOutbox(smtp.host, smtp.port, security=smtp.security, user=smtp.user, password=smtp.password,
                      timeout=smtp.timeout, sender=settings.reply_from)

