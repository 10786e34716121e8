"""Small builders of test e-mails (fictional people and companies only)."""

from __future__ import annotations

import functools
import hashlib
import io
import zipfile
from email.message import EmailMessage
from email.utils import parseaddr

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OLE_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600  # an old binary Word file (unsupported)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


# The authserv-id the test settings trust (tests/conftest.py): IMDi's receiving host in the tests.
AUTHSERV_ID = "mx.imdi.no"


def verified_by_mx(sender: str) -> str:
    """The Authentication-Results IMDi's receiving host writes for a mail that passed DMARC as `sender`."""
    domain = parseaddr(sender)[1].rpartition("@")[2].lower()
    return (f"{AUTHSERV_ID}; spf=pass smtp.mailfrom={domain}; dkim=pass header.d={domain}; "
            f"dmarc=pass (p=quarantine) header.from={domain}")


def mail(subject: str = "Skjema om mottaksadministrativ bruker", *, sender: str = "Kari Nordmann <kari@fjordmottak.no>",
         body: str = "Hei,\n\nVedlagt er skjemaet.\n\nHilsen Kari\n", attachments=(), headers=None,
         message_id: str | None = None, verified: bool = True) -> EmailMessage:  # type: ignore[no-untyped-def]
    """A mail from `sender`; `verified`: with the receiving host's DMARC pass for the sender's domain
    (unless `headers` bring an Authentication-Results of their own)."""
    msg = EmailMessage()
    if verified and not any(k.lower() == "authentication-results" for k in (headers or {})):
        msg["Authentication-Results"] = verified_by_mx(sender)
    msg["From"] = sender
    msg["To"] = "post@imdi.no"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Nov 2026 08:00:00 +0100"
    # Deterministic (no random ids or boundaries): building the same mail twice gives the same bytes.
    key = hashlib.sha1(repr((subject, sender, body, [a[:2] for a in attachments], headers)).encode()).hexdigest()
    msg["Message-ID"] = message_id or f"<{key[:20]}@fjordmottak.no>"
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    for filename, data, ctype in attachments:
        main, _, sub = ctype.partition("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=filename)
    if msg.is_multipart():
        msg.set_boundary(f"=_b{key[:16]}")
    return msg


def raw(msg: EmailMessage) -> bytes:
    return bytes(msg)


def zipped(*members: tuple[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def doc_form(subject: str = "Skjema mottaksadministrator", **kw) -> bytes:  # type: ignore[no-untyped-def]
    """A mail carrying the form as an old .doc: taken, but unreadable (no reader needed)."""
    return raw(mail(subject, attachments=[("skjema.doc", OLE_DOC, "application/msword")], **kw))


def ordinary(i: int = 0, **kw) -> bytes:  # type: ignore[no-untyped-def]
    """A mail about something else: a meeting, every third with a logo attached. Without `kw`, made from a
    template built once (a big mailbox asks for thousands; the email package takes 2 ms for each)."""
    if kw:
        return _ordinary(i, **kw)
    template, mark, message_id = _ordinary_template(i % 3 == 0)
    unique = hashlib.sha1(f"ordinary {i}".encode()).hexdigest()[:20].encode()
    return template.replace(mark, str(i).encode()).replace(message_id, unique)


def _ordinary(i: int, **kw) -> bytes:  # type: ignore[no-untyped-def]
    return raw(mail(f"Møte neste uke {i}", body=f"Hei, kan vi møtes tirsdag? ({i})\n",
                    attachments=[("logo.png", PNG, "image/png")] if i % 3 == 0 else (), **kw))


@functools.cache
def _ordinary_template(logo: bool) -> tuple[bytes, bytes, bytes]:
    """The mail for a number that stands out (divisible by 3 or not), that number, and its Message-ID's
    unique part: both are replaced for each mail."""
    number = 987654321 if logo else 987654322
    data = _ordinary(number)
    mark = str(number).encode()
    message_id = data.split(b"Message-ID: <", 1)[1].split(b"@", 1)[0]
    assert data.count(mark) == 2 and data.count(message_id) == 1, "the template's number must stand as written"
    return data, mark, message_id
