"""One raw message in, its parts out (pure): `parse_message(raw) -> ParsedMail`. Never raises on junk.

The headers are read first, from the header block alone (`parse_head`), so that who sent a mail and
what it is about survive a body the parser cannot take (5,000 nested multiparts). The sender is the
From address as parsed (`headers.sender_address`), judged against the Authentication-Results of
IMDi's own receiving host (`pipeline.checks.authentication`).

Every MIME part is walked: forwarded messages (message/rfc822) are descended into to a bounded depth,
a .zip and a TNEF winmail.dat are opened (bounded) and their files become parts of their own, and
each part's format is sniffed from its bytes, since the names and content types senders' mail
programs give are often wrong. Parts that can hold a form are `candidate`; the rest (logos,
signatures, invoices as images) are kept for the record (name, type, size, sha256: not their bytes,
which the raw mail holds) but never read as forms. The whole walk runs under the mail's budget
(`pipeline.adapters.mail.budget`): parts, archive members, unpacked bytes, nesting and size.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesParser

from pipeline.adapters.mail import headers as h
from pipeline.adapters.mail.archive import tnef_attachments, zip_members
from pipeline.adapters.mail.autoreply import auto_reply_reason
from pipeline.adapters.mail.body_text import html_to_text, part_text
from pipeline.adapters.mail.budget import MessageBudget, OverBudget
from pipeline.checks import authentication
from pipeline.errors import FormError
from pipeline.forms import sniff_format
from pipeline.settings import Limits

log = logging.getLogger(__name__)

FORM_EXTENSIONS = (".docx", ".pdf", ".doc", ".docm", ".dotx", ".odt", ".rtf")
FORM_FORMATS = ("docx", "pdf", "doc", "rtf")
MAX_MIME_DEPTH = 50  # multiparts nested deeper than this are junk (and would exhaust the stack)
HEADER_BLOCK_MAX = 1024 * 1024  # headers beyond this are not read


@dataclass
class MailPart:
    """One attached file (or a file inside a zip, a winmail.dat or a forwarded message)."""

    filename: str | None
    content_type: str
    data: bytes
    origin: str  # "attachment", "rfc822>attachment", "zip:name", "tnef", "rfc822>zip:name" ...
    format: str = "unknown"  # sniffed: docx, pdf, doc, rtf, zip, unknown
    candidate: bool = False  # can hold the form: read it
    error: FormError | None = None  # could not even be unpacked (a zip bomb, a broken winmail.dat)
    size: int = -1
    sha256: str = ""

    def __post_init__(self) -> None:
        if self.size < 0:
            self.size = len(self.data)
        if not self.sha256:
            self.sha256 = hashlib.sha256(self.data).hexdigest()
        if not self.candidate and self.format != "image":
            # Only a form's bytes are kept: a zip member of zeros need not stay in memory. A picture is
            # kept until the whole mail is walked (it may be a photo of the form: _image_candidates).
            self.data = b""


@dataclass
class ParsedMail:
    sender: str | None = None
    sender_name: str | None = None
    subject: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    auth: dict[str, object] | None = None  # the trusted Authentication-Results and the verdict (JSON)
    verified: bool = False  # the sender is the From address and IMDi's receiving host vouched for it
    verification: str = ""  # why (not), in English
    auto_reply: str | None = None  # the reason, when the message is an auto-reply or bounce
    body_text: str = ""
    forwarded_text: list[str] = field(default_factory=list)  # bodies of forwarded messages
    parts: list[MailPart] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    over_budget: str | None = None  # the first reason the mail ran out of its budget

    @property
    def candidates(self) -> list[MailPart]:
        return [p for p in self.parts if p.candidate or p.error is not None]


def parse_head(raw: bytes, *, authserv_id: str | None = None) -> ParsedMail:
    """The headers only (sender, subject, threading, verification, auto-reply), from the header block."""
    out = ParsedMail()
    block = _header_block(raw)
    try:
        msg = BytesParser(policy=policy.default).parsebytes(block, headersonly=True)
    except Exception as exc:  # noqa: BLE001 - the parser is forgiving, but never trust that
        out.defects.append(f"unparseable headers: {exc}")
        return out
    found = h.sender_address(msg)
    out.sender, out.sender_name = (found.address, found.display_name) if found else (None, None)
    out.subject = h.header(msg, "Subject")
    out.message_id = h.message_id(msg)
    irt = h.message_ids(h.header(msg, "In-Reply-To"))
    out.in_reply_to = irt[0] if irt else None
    out.references = h.message_ids(h.header(msg, "References"))[-50:]
    out.date = h.date(msg)
    trusted = authentication.trusted_results(h.raw_all(msg, "Authentication-Results"), authserv_id)
    # Two From headers, or one naming several people, verify nobody (DMARC would not know whom to judge).
    from_count = found.count + len(h.raw_all(msg, "From")) - 1 if found else 0
    verdict = authentication.verify(trusted, out.sender, from_count=from_count,
                               from_header=bool(found and found.header == "From"))
    out.auth = verdict.to_json() if trusted is not None else {"verified": False, "reason": verdict.reason,
                                                             "rule": None}
    # The display name is kept for the record; replies greet by it only a verified sender.
    out.verified, out.verification = verdict.verified, verdict.reason
    try:
        out.auto_reply = auto_reply_reason(msg, out.sender)
    except Exception as exc:  # noqa: BLE001
        out.defects.append(f"auto-reply check: {exc}")
    return out


def parse_message(raw: bytes, limits: Limits | None = None, *, authserv_id: str | None = None,
                  budget: MessageBudget | None = None, head: ParsedMail | None = None) -> ParsedMail:
    """The headers (`head`, or read here) and every part, under the mail's budget."""
    limits = limits or Limits()
    budget = budget or MessageBudget(limits)
    out = head or parse_head(raw, authserv_id=authserv_id)
    try:
        budget.check_size(len(raw))
    except OverBudget:
        out.over_budget = budget.exceeded
        return out
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except RecursionError:
        budget.over("MIME parts nested too deeply to parse")
        out.over_budget = budget.exceeded
        out.defects.append("MIME parts nested too deeply to parse")
        return out
    except Exception as exc:  # noqa: BLE001 - the parser is forgiving, but never trust that
        out.defects.append(f"unparseable: {exc}")
        return out
    try:
        _Walker(out, limits, budget).walk(msg, prefix="", depth=0, top=True)
    except RecursionError:
        budget.over("MIME parts nested too deeply")
        out.defects.append("MIME parts nested too deeply")
    _image_candidates(out.parts)
    out.over_budget = budget.exceeded
    return out


def _header_block(raw: bytes) -> bytes:
    """The bytes up to the blank line that ends the headers (bounded)."""
    window = raw[:HEADER_BLOCK_MAX]
    ends = [i for i in (window.find(b"\r\n\r\n"), window.find(b"\n\n")) if i >= 0]
    return window[:min(ends) + 2] if ends else window


def _image_candidates(parts: list[MailPart]) -> None:
    """A scan or photo of the form is read (by OCR) only when the message carries no Word or PDF
    file that could be the form: then a picture is the form, or a signature logo. An iPhone sends
    the photo inline (image0.jpeg) exactly like a logo, so size decides, not the disposition."""
    from pipeline.forms.ocr.images import looks_like_page

    if not any(p.candidate or p.error is not None for p in parts):
        for p in parts:
            if p.format == "image" and looks_like_page(p.data):
                p.candidate = True
    for p in parts:
        if not p.candidate:
            p.data = b""  # a picture kept until now to be looked at: only a form's bytes stay in memory


class _Walker:
    def __init__(self, out: ParsedMail, limits: Limits, budget: MessageBudget) -> None:
        self.out = out
        self.limits = limits
        self.budget = budget
        self.body_html: str | None = None

    def walk(self, msg: Message, *, prefix: str, depth: int, top: bool) -> None:
        self._walk(msg, prefix, depth, top)
        if top and not self.out.body_text and self.body_html:
            self.out.body_text = html_to_text(self.body_html)

    def _walk(self, part: Message, prefix: str, depth: int, top: bool, mime_depth: int = 0) -> None:
        if not self.budget.take_part():
            if self.budget.parts == self.limits.max_parts + 1:
                self.out.defects.append(f"more than {self.limits.max_parts} parts")
            return
        try:
            ctype = part.get_content_type()
        except Exception:  # noqa: BLE001
            ctype = "application/octet-stream"
        if part.is_multipart() and ctype != "message/rfc822":
            if mime_depth >= MAX_MIME_DEPTH:
                self.budget.over(f"multiparts nested more than {MAX_MIME_DEPTH} deep")
                self.out.defects.append("multiparts nested too deeply")
                return
            payload = part.get_payload()
            for sub in payload if isinstance(payload, list) else []:
                if isinstance(sub, Message):
                    self._walk(sub, prefix, depth, top, mime_depth + 1)
            return
        if ctype.startswith("multipart/"):  # broken: a multipart whose boundary was never found
            self.out.defects.append(f"{ctype} without parts")
            if top and not self.out.body_text:
                self.out.body_text = part_text(part)
            return
        if ctype == "message/rfc822" or (ctype.startswith("message/") and part.is_multipart()):
            self._forwarded(part, prefix, depth)
            return
        filename = _filename(part)
        disposition = _disposition(part)
        if ctype.startswith("text/") and not filename and disposition != "attachment":
            text = part_text(part)
            if ctype == "text/html":
                if top and self.body_html is None:
                    self.body_html = text
                elif not top:
                    self.out.forwarded_text.append(html_to_text(text))
            elif ctype == "text/plain":
                if top and not self.out.body_text:
                    self.out.body_text = text
                elif not top:
                    self.out.forwarded_text.append(text)
            return
        data = _payload_bytes(part)
        self._file(filename, ctype, data, (prefix or "") + "attachment", depth)

    def _forwarded(self, part: Message, prefix: str, depth: int) -> None:
        if depth >= self.limits.max_nesting:
            self.out.defects.append("forwarded messages nested too deeply")
            return
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message):
            self._walk(inner, prefix + "rfc822>", depth + 1, False)
            return
        # A message/rfc822 part the parser left as bytes (e.g. base64-encoded): parse it ourselves.
        data = _payload_bytes(part)
        if data:
            try:
                inner = BytesParser(policy=policy.default).parsebytes(data)
                self._walk(inner, prefix + "rfc822>", depth + 1, False)
            except Exception as exc:  # noqa: BLE001
                self.out.defects.append(f"forwarded message: {exc}")

    def _file(self, filename: str | None, ctype: str, data: bytes, origin: str, depth: int) -> None:
        name = (filename or "").lower()
        fmt = sniff_format(data, filename)
        if name == "winmail.dat" or ctype in ("application/ms-tnef", "application/vnd.ms-tnef"):
            self._container(filename, ctype, data, origin, depth, "tnef")
            return
        is_zip_name = name.endswith(".zip") or ctype in ("application/zip", "application/x-zip-compressed")
        if fmt == "zip" and not name.endswith(FORM_EXTENSIONS) and (is_zip_name or depth < self.limits.max_nesting):
            self._container(filename, ctype, data, origin, depth, "zip")
            return
        if ctype == "message/rfc822" or name.endswith(".eml"):
            try:
                inner = BytesParser(policy=policy.default).parsebytes(data)
                if depth < self.limits.max_nesting and (inner.get("From") or inner.get("Subject")):
                    self._walk(inner, origin.rsplit("attachment", 1)[0] + "rfc822>", depth + 1, False)
                    return
            except Exception:  # noqa: BLE001 - not a message after all: keep it as a file
                pass
        candidate = fmt in FORM_FORMATS or (name.endswith(FORM_EXTENSIONS) and not ctype.startswith("image/"))
        self.out.parts.append(MailPart(filename, ctype, data, origin, fmt, candidate))

    def _container(self, filename: str | None, ctype: str, data: bytes, origin: str, depth: int,
                   kind: str) -> None:
        if depth >= self.limits.max_nesting:
            self.out.parts.append(MailPart(filename, ctype, data, origin, "zip", False,
                                           _nesting_error(filename)))
            return
        base = origin.rsplit("attachment", 1)[0]
        try:
            members = zip_members(data, self.limits, self.budget) if kind == "zip" else \
                tnef_attachments(data, self.budget)
            for member, blob in members:  # one member at a time: a zip is never all in memory
                label = f"zip:{member}" if kind == "zip" else "tnef"
                self._file(member, _guess_type(member), blob, base + label, depth + 1)
        except FormError as exc:
            self.out.parts.append(MailPart(filename, ctype, data, origin, kind, False, exc))


def _nesting_error(filename: str | None) -> FormError:
    from pipeline.errors import LimitExceeded

    return LimitExceeded(f"{filename or 'archive'} is nested too deeply")


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
    if not name:
        try:
            name = part.get_param("name")  # type: ignore[assignment]
            if isinstance(name, tuple):
                name = name[2]
        except Exception:  # noqa: BLE001
            name = None
    if not name:
        name = _raw_filename(part)
    if not name:
        return None
    name = str(name)
    if "=?" in name:  # an encoded word that a quoted parameter kept undecoded
        name = h.decode_words(name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return h.clean(name, 500)


_RAW_NAME = re.compile(r'(?:file)?name\*?\s*=\s*"?([^";\r\n]+)', re.IGNORECASE)


def _raw_filename(part: Message) -> str | None:
    """The name parameter read from the raw header (e.g. an unquoted encoded word, which the
    header parser drops)."""
    for header_name in ("Content-Disposition", "Content-Type"):
        try:
            raw = next((str(v) for k, v in part.raw_items() if k.lower() == header_name.lower()), None)
        except Exception:  # noqa: BLE001
            raw = None
        match = _RAW_NAME.search(raw or "")
        if match and match.group(1).strip():
            return match.group(1).strip()
    return None


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:  # noqa: BLE001
        return None


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if isinstance(data, bytes):
        return data
    try:
        payload = part.get_payload()
        if isinstance(payload, str):
            return payload.encode("utf-8", "surrogateescape")
    except Exception:  # noqa: BLE001
        pass
    return b""


_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".zip": "application/zip",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".txt": "text/plain",
}


def _guess_type(name: str) -> str:
    ext = "." + name.lower().rsplit(".", 1)[-1] if "." in name else ""
    return _TYPES.get(ext, "application/octet-stream")
