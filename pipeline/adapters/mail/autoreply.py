"""Auto-replies and bounces (RFC 3834 and the headers mail systems use in practice): never a task."""

from __future__ import annotations

import re
from email.message import Message

from pipeline.adapters.mail.headers import header

_SUBJECTS = re.compile(
    r"^\s*(automatisk svar|autosvar|fraværsmelding|out of office|automatic reply|auto[- ]?reply|"
    r"undeliverable|undelivered mail|returned mail|delivery status notification|mail delivery failed|"
    r"ikke levert|kan ikke leveres|delivery failure|failure notice|abwesenheitsnotiz)\b",
    re.IGNORECASE,
)
_DAEMONS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)


def auto_reply_reason(msg: Message, sender: str | None = None) -> str | None:
    """Why this message is an automatic one (a short English reason), or None for mail from a person."""
    auto = (header(msg, "Auto-Submitted") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if header(msg, name):
            return name
    precedence = (header(msg, "Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    suppress = (header(msg, "X-Auto-Response-Suppress") or "").lower()
    if "all" in suppress and header(msg, "X-MS-Exchange-Inbox-Rules-Loop"):
        return "Exchange inbox rule (out of office)"
    return_path = header(msg, "Return-Path")
    if return_path is not None and return_path.replace(" ", "") in ("<>", ""):
        return "empty Return-Path"
    try:
        ctype = msg.get_content_type()
    except Exception:  # noqa: BLE001
        ctype = ""
    if ctype == "multipart/report":
        return "multipart/report"
    if sender and _DAEMONS.match(sender):
        return "mailer daemon"
    subject = header(msg, "Subject") or ""
    if _SUBJECTS.match(subject):
        return f"subject: {subject[:60]}"
    return None
