"""Header access that never raises: policy.default first, the raw value decoded by hand on failure.

policy.default parses a header lazily when it is read, and some junk (broken encoded words, stray
bytes, odd address lists) makes that raise deep inside the header registry. The fallback decodes
the raw value with the older, forgiving `email.header.decode_header` -- except for addresses:
an encoded display name can decode to text that looks like another address
(`=?utf-8?q?Kari=0D=0A=3A_kari=40x=2Eno=2C?= <evil@y.example>`), so a malformed address header
falls back to the addr-spec between the LAST <...> of the raw header, never to decoded text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parsedate_to_datetime

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


def raw_all(msg: Message, name: str) -> list[str]:
    """The raw (undecoded) value of every header of this name, topmost first; never raises."""
    try:
        return [str(v) for k, v in msg.raw_items() if k.lower() == name.lower()]
    except Exception:  # noqa: BLE001 - never raise on junk
        return []


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


@dataclass(frozen=True)
class SenderAddress:
    """Who a mail is from: the addr-spec of one address header, never its display text.

    `how` says how it was read: "parsed" (the header registry), "raw" (the header was malformed, so
    the addr-spec between its last <...>), or "bare" (a malformed header that is one addr-spec).
    `count` is how many addresses the header named (From may list several; then nobody is verified).
    """

    address: str
    display_name: str | None
    header: str  # From, Sender or Reply-To
    how: str
    count: int = 1


_ADDR_SPEC = re.compile(r"^[^\s@<>()\[\],;:\"\\]+@(?:[^\s@<>()\[\],;:\"\\]+|\[[0-9A-Fa-f:.IPv]+\])$")
_ANGLE = re.compile(r"<([^<>]*)>")


def _unescaped(text: str) -> str | None:
    """Text with the parser's surrogate escapes (undecodable header bytes) read as UTF-8, or None."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeError:
        return None


def _addr_spec(text: str | None) -> str | None:
    """A plausible addr-spec, lowercased, or None. An encoded word is display text, not an address."""
    if not text:
        return None
    addr = _unescaped(text.strip())
    if addr is None or "=?" in addr or _CTRL.search(addr) or len(addr) > 320 or not _ADDR_SPEC.match(addr):
        return None
    return addr.lower()


def _from_raw(raw: str) -> str | None:
    """The addr-spec between the LAST <...> of the raw header; failing that, a header that is one bare
    addr-spec. Never the decoded text: an encoded display name can spell out any address."""
    unfolded = raw.replace("\r", " ").replace("\n", " ")
    angles = _ANGLE.findall(unfolded)
    if angles:
        return _addr_spec(angles[-1])
    return _addr_spec(unfolded)


def address_header(msg: Message, name: str) -> SenderAddress | None:
    """The first address of one header (From, Sender, Reply-To), or None. Never raises."""
    raw = _raw(msg, name)
    if raw is None:
        return None
    parsed: list[tuple[str, str]] = []
    malformed = False
    try:
        value = msg[name]
        defects = list(getattr(value, "defects", ()))
        for addr in getattr(value, "addresses", ()):
            spec = _addr_spec(addr.addr_spec)
            if spec:
                parsed.append((spec, addr.display_name))
            else:
                malformed = True
        malformed = malformed or bool(defects)
    except Exception:  # noqa: BLE001 - the registry refuses it (e.g. CR/LF in a decoded display name)
        malformed = True
    if parsed and not malformed:
        display = _unescaped(parsed[0][1] or "")
        return SenderAddress(parsed[0][0], clean(display, 300) if display else None, name, "parsed", len(parsed))
    fallback = _from_raw(raw)
    if fallback:
        how = "raw" if _ANGLE.search(raw) else "bare"
        return SenderAddress(fallback, None, name, how, max(len(parsed), 1))
    if parsed:  # malformed, no <...> to fall back on, but the registry found an address
        return SenderAddress(parsed[0][0], None, name, "parsed", len(parsed))
    return None


def sender_address(msg: Message) -> SenderAddress | None:
    """The sender: From, else Sender, else Reply-To (verification counts only From)."""
    for name in ("From", "Sender", "Reply-To"):
        found = address_header(msg, name)
        if found is not None:
            return found
    return None


def sender(msg: Message) -> tuple[str | None, str | None]:
    """(address lowercased, display name) of the sender; see `sender_address`."""
    found = sender_address(msg)
    return (found.address, found.display_name) if found else (None, None)


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
