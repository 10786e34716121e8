"""Decide from ENVELOPE and BODYSTRUCTURE alone whether a message can carry a form (pure).

Only such messages are downloaded: a shared, busy mailbox is mostly other mail, and reading it all
would cost bandwidth and look like someone reading people's mail.

A form file's name or type is enough. A picture may be a photo or scan of the form (an iPhone sends
the photo inline as image0.jpeg, exactly like a signature logo, often under a subject that says
nothing): it counts when its part is big enough to hold a readable page, which a logo is not. Its
pixel size is not in BODYSTRUCTURE; the mail reader checks that after the download
(pipeline.forms.ocr.images.looks_like_page).
"""

from __future__ import annotations

import contextlib
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


def _text(value: Any) -> str:
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
        out.append(_text(node).lower())


def _pairs(node: Any, out: set[tuple[str, str]]) -> None:
    """(type, subtype) of every part, found as two adjacent strings at the start of a part tuple."""
    if isinstance(node, (list, tuple)):
        if len(node) >= 2 and isinstance(node[0], (bytes, str)) and isinstance(node[1], (bytes, str)):
            out.add((_text(node[0]).lower(), _text(node[1]).lower()))
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
    if _text(part[0]).lower() != "image" or _text(part[1]).lower() not in PICTURE_TYPES:
        return False
    try:
        octets = int(part[6])
    except (TypeError, ValueError):
        return False
    encoding = _text(part[5]).lower() if part[5] is not None else ""
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
        text = _text(subject).casefold()
        if any(word in text for word in SUBJECT_WORDS):
            return True
    return False
