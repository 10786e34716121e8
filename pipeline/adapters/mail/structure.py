"""Decide from ENVELOPE, BODYSTRUCTURE and the References header alone whether a message can matter (pure).

Only such messages are downloaded: a shared, busy mailbox is mostly other mail, and reading it all
would cost bandwidth and look like someone reading people's mail. What can matter (`reason_to_read`):

- `operator`: anything from a driftsoperatør's registered address or domain (a removal request says
  "Sigrid Hagen har sluttet" and has no attachment and no form word);
- `answer`: an answer to a case or an access review: its subject carries [IMDi-skjema …] or
  [IMDi-gjennomgang …], or its In-Reply-To/References name one of our Message-IDs;
- `form`: a form file, a page-sized picture, or a form word in the subject (`can_carry_form`); the form's
  words in the body are searched on the server by the IMAP source.

Everything else is left unread, and listed (pipeline.adapters.mail.skipped), never silently skipped.

A form file's name or type is enough. A picture may be a photo or scan of the form (an iPhone sends
the photo inline as image0.jpeg, exactly like a signature logo, often under a subject that says
nothing): it counts when its part is big enough to hold a readable page, which a logo is not. Its
pixel size is not in BODYSTRUCTURE; the mail reader checks that after the download
(pipeline.forms.ocr.images.looks_like_page).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from typing import Any

from pipeline.forms.ocr.images import MIN_PAGE_BYTES

FORM_NAME_ENDINGS = (".docx", ".pdf", ".doc", ".docm", ".dotx", ".odt", ".rtf", ".zip", "winmail.dat", ".eml")
FORM_TYPES = frozenset({
    ("application", "pdf"), ("application", "msword"), ("application", "zip"),
    ("application", "x-zip-compressed"), ("application", "ms-tnef"), ("application", "vnd.ms-tnef"),
    ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("application", "octet-stream"), ("application", "x-pdf"), ("message", "rfc822"),
    ("application", "rtf"), ("text", "rtf"),
})
PICTURE_TYPES = frozenset({"jpeg", "jpg", "pjpeg", "png", "tiff", "heic", "heif"})  # image/<subtype>
SUBJECT_WORDS = ("skjema", "mottaksadministrat", "imdinett")
# Searched server-side in bodies (no download) for forms pasted into the text.
BODY_WORDS = ("mottaksadministrat", "IMDinett", "mobiltelefonnummer")


def decoded_text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value)
    if "=?" in text:
        with contextlib.suppress(Exception):  # a broken encoded word: keep it as it is
            text = str(make_header(decode_header(text)))
    return text


def _walk(node: Any, out: list[str]) -> None:
    if isinstance(node, (list, tuple)):
        for item in node:
            _walk(item, out)
    elif isinstance(node, (bytes, str)):
        out.append(decoded_text(node).lower())


def _pairs(node: Any, out: set[tuple[str, str]]) -> None:
    """(type, subtype) of every part, found as two adjacent strings at the start of a part tuple."""
    if isinstance(node, (list, tuple)):
        if len(node) >= 2 and isinstance(node[0], (bytes, str)) and isinstance(node[1], (bytes, str)):
            out.add((decoded_text(node[0]).lower(), decoded_text(node[1]).lower()))
        for item in node:
            _pairs(item, out)


def _parts(node: Any, out: list[tuple[Any, ...]]) -> None:
    """Every single (non-multipart) part: a tuple that starts with its type and subtype as strings."""
    if isinstance(node, (list, tuple)):
        if len(node) >= 7 and isinstance(node[0], (bytes, str)) and isinstance(node[1], (bytes, str)):
            out.append(tuple(node))
            return
        for item in node:
            _parts(item, out)


def _page_sized_picture(part: tuple[Any, ...]) -> bool:
    """An image part whose decoded size could hold a page (BODYSTRUCTURE gives the encoded octets)."""
    if decoded_text(part[0]).lower() != "image" or decoded_text(part[1]).lower() not in PICTURE_TYPES:
        return False
    try:
        octets = int(part[6])
    except (TypeError, ValueError):
        return False
    encoding = decoded_text(part[5]).lower() if part[5] is not None else ""
    decoded = octets * 3 // 4 if encoding == "base64" else octets
    return decoded >= MIN_PAGE_BYTES


def can_carry_form(bodystructure: Any, subject: Any = None) -> bool:
    tokens: list[str] = []
    _walk(bodystructure, tokens)
    if any(t.strip().strip('"').endswith(FORM_NAME_ENDINGS) for t in tokens):
        return True
    pairs: set[tuple[str, str]] = set()
    _pairs(bodystructure, pairs)
    if pairs & FORM_TYPES:
        return True
    parts: list[tuple[Any, ...]] = []
    _parts(bodystructure, parts)
    if any(_page_sized_picture(p) for p in parts):
        return True
    if subject is not None:
        text = decoded_text(subject).casefold()
        if any(word in text for word in SUBJECT_WORDS):
            return True
    return False


CASE_SUBJECT = re.compile(r"\[\s*IMDi-(?:skjema|gjennomgang)\s+[0-9A-Za-z-]+\s*\]", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


@dataclass(frozen=True)
class Interest:
    """Who and what the pre-filter takes whatever the mail looks like (all lower-case)."""

    addresses: frozenset[str] = frozenset()  # the driftsoperatører's registered addresses
    domains: frozenset[str] = frozenset()  # and their registered mail domains
    message_id_domains: frozenset[str] = frozenset()  # the domain part of our own Message-IDs


def sender_address(envelope: Any) -> str | None:
    """The first From address of an ENVELOPE as mailbox@host (lower-case), or None."""
    found = getattr(envelope, "from_", None) or ()
    for address in found:
        mailbox, host = getattr(address, "mailbox", None), getattr(address, "host", None)
        if mailbox and host:
            return f"{decoded_text(mailbox)}@{decoded_text(host)}".strip().lower()
    return None


def _ours(ids: str, interest: Interest) -> bool:
    for found in _MESSAGE_ID.findall(ids):
        local, _, domain = found.rpartition("@")
        if local.lower().startswith("reply-") and domain.lower() in interest.message_id_domains:
            return True
    return False


def reason_to_read(envelope: Any, bodystructure: Any, references: Any, interest: Interest) -> str | None:
    """Why this message is downloaded (`operator`, `answer`, `form`), or None: it is left unread."""
    sender = sender_address(envelope)
    if sender is not None and (sender in interest.addresses or sender.rpartition("@")[2] in interest.domains):
        return "operator"
    subject = getattr(envelope, "subject", None)
    if subject is not None and CASE_SUBJECT.search(decoded_text(subject)):
        return "answer"
    ids = " ".join(decoded_text(v) for v in (getattr(envelope, "in_reply_to", None), references) if v)
    if ids and _ours(ids, interest):
        return "answer"
    if can_carry_form(bodystructure, subject):
        return "form"
    return None
