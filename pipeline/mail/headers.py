"""Header access that never raises: policy.default first, the raw value decoded by hand on failure.

policy.default parses a header lazily when it is read, and some junk (broken encoded words, stray
bytes, odd address lists) makes that raise deep inside the header registry. The fallback decodes
the raw value with the older, forgiving `email.header.decode_header`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MSGID = re.compile(r"<[^<>\s]+>")


def _raw(msg: Message, name: str) -> str | None:
    try:
        for key, value in msg.raw_items():
            if key.lower() == name.lower():
                return str(value)
    except Exception:  # noqa: BLE001 - never raise on junk
        return None
    return None


def decode_words(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # noqa: BLE001
        return value


def clean(value: str | None, limit: int = 998) -> str | None:
    if value is None:
        return None
    value = _CTRL.sub("", value).replace("\r", " ").replace("\n", " ").strip()
    return value[:limit] or None


def header(msg: Message, name: str) -> str | None:
    """The header's decoded text, or None; never raises."""
    try:
        value = msg.get(name)
        if value is None:
            return None
        return clean(str(value))
    except Exception:  # noqa: BLE001
        raw = _raw(msg, name)
        return clean(decode_words(raw)) if raw is not None else None


def header_all(msg: Message, name: str) -> list[str]:
    try:
        return [str(v) for v in (msg.get_all(name) or [])]
    except Exception:  # noqa: BLE001
        try:
            return [decode_words(str(v)) for k, v in msg.raw_items() if k.lower() == name.lower()]
        except Exception:  # noqa: BLE001
            return []


def sender(msg: Message) -> tuple[str | None, str | None]:
    """(address lowercased, display name) from From (else Sender, Reply-To)."""
    for name in ("From", "Sender", "Reply-To"):
        value = header(msg, name)
        if not value:
            continue
        try:
            pairs = getaddresses([value])
        except Exception:  # noqa: BLE001
            pairs = []
        for display, addr in pairs:
            addr = (addr or "").strip().strip("<>").lower()
            if "@" in addr and " " not in addr:
                return clean(addr, 320), clean(display, 300)
    return None, None


def message_ids(value: str | None) -> list[str]:
    return _MSGID.findall(value or "")


def message_id(msg: Message) -> str | None:
    ids = message_ids(header(msg, "Message-ID"))
    return ids[0] if ids else clean(header(msg, "Message-ID"))


def date(msg: Message) -> datetime | None:
    value = header(msg, "Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except Exception:  # noqa: BLE001
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


_VERDICT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)


def auth_results(msg: Message) -> dict[str, str | None] | None:
    """SPF, DKIM and DMARC verdicts from the topmost Authentication-Results header (the receiving
    server's own; headers further down were added elsewhere and could be forged by the sender)."""
    values = header_all(msg, "Authentication-Results") or header_all(msg, "ARC-Authentication-Results")
    if not values:
        return None
    out: dict[str, str | None] = {"spf": None, "dkim": None, "dmarc": None}
    for key, verdict in _VERDICT.findall(values[0]):
        key = key.lower()
        if out[key] is None:
            out[key] = verdict.lower()
    return out
