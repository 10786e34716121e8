"""Norwegian words for the codes the UI shows (states, outcomes, fields, provenance)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from pipeline.core.domain import (
    FIELD_LABELS,
    PENDING,
    REPLY_KINDS,
    REPLY_STATES,
    STATE_LABELS,
    TASK_STATES,
    field_label,
)
from pipeline.core.domain import state_label as domain_state_label
from pipeline.core.labels import (
    ATTACHMENT_CODES,
    AUDIT_ACTIONS,
    CENTRE_KINDS,
    OUTCOMES,
    audit_label,
    outcome_label,
)

__all__ = ["ATTACHMENT_CODES", "AUDIT_ACTIONS", "CENTRE_KINDS", "OUTCOMES", "REPLY_KINDS", "REPLY_STATES",
           "audit_label", "field_label", "outcome_label"]

OSLO = ZoneInfo("Europe/Oslo")

STATES: dict[str, str] = dict(STATE_LABELS)
OPEN_STATES: tuple[str, ...] = tuple(s for s in TASK_STATES if s in PENDING)



# Outcomes that processing again can change (the mail part's retry_message refuses the others).
RETRYABLE_OUTCOMES: tuple[str | None, ...] = (None, "failed", "unreadable", "no_form", "limit.exceeded")

FIELDS: dict[str, str] = dict(FIELD_LABELS)


# What an attachment's outcome means, for the person at the support desk. The stored error_message is the
# reader's English text for the logs; the page shows it too, marked as technical.
ATTACHMENT_HELP: dict[str, str] = {
    "unreadable.corrupt": "Filen er skadet og kan ikke åpnes. Be avsenderen sende skjemaet på nytt.",
    "unreadable.encrypted": "Filen er passordbeskyttet. Be om skjemaet uten passord.",
    "unreadable.scanned": "Et skannet bilde som ikke kunne leses maskinelt. Be om det utfylte Word-skjemaet (.docx).",
    "unsupported.format": "Filformatet kan ikke leses (for eksempel gammel Word .doc). Be om .docx eller PDF.",
    "not_a_form": "Vedlegget er ikke skjemaet for mottaksadministrativ bruker.",
    "limit.exceeded": "Filen er for stor eller for sammensatt til å leses trygt.",
}






def short(value: object, limit: int = 160) -> str:
    """A value for a one-line summary: long texts (a whole reply body) are cut."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def state_label(state: str | None, kind: str | None = None) -> str:
    return domain_state_label(state, kind)






COUNTED_FROM_ONE = frozenset({"page", "line"})
_CODE_LIKE = re.compile(r"^[A-Za-z0-9]*[_.][A-Za-z0-9_.]*$|^[a-z]+[A-Z][A-Za-z]*$")


def provenance_text(where: Any) -> str:
    """Where a value was found, in words: 'tabell 1, rad 3, celle 2', 'side 1', 'skjemafelt «x»'."""
    if not isinstance(where, dict):
        return ""
    parts: list[str] = []
    names = {"page": "side", "table": "tabell", "row": "rad", "cell": "celle", "line": "linje",
             "paragraph": "avsnitt"}
    for key, word in names.items():
        value = where.get(key)
        if isinstance(value, int):
            # Pages and lines are counted from 1 in the reading already; indexes into the document's
            # structure (table, row, cell, paragraph) from 0 (forms.model.Provenance).
            parts.append(f"{word} {value if key in COUNTED_FROM_ONE else value + 1}")
    # A PDF form field's name is the form maker's internal one ("operator_name"): for "Tekniske detaljer",
    # not for the operator's line; a Word control's alias or tag is what its author called it.
    # A tag written like a code ("first_name", "op_email") is the form maker's too: only words are shown.
    for key in () if where.get("kind") == "acroform" else ("alias", "field", "name", "tag"):
        if where.get(key) and not _CODE_LIKE.match(str(where[key])):
            parts.append(f"felt «{where[key]}»")
            break
    kind = {"table_cell": "tabellcelle", "paragraph": "avsnitt", "content_control": "innholdskontroll",
            "form_field": "skjemafelt", "acroform": "PDF-skjemafelt", "page_text": "sidetekst",
            "body": "e-posttekst", "ocr": "maskinlest (OCR)"}.get(str(where.get("kind")), str(where.get("kind") or ""))
    return f"{kind}: {', '.join(parts)}" if parts else kind


def local_time(value: datetime | None) -> str:
    """Oslo time; SQLite hands back naive datetimes, which are UTC here."""
    if value is None:
        return "–"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(OSLO).strftime("%d.%m.%Y %H:%M")


def age_text(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "–"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - value).total_seconds()
    days = int(seconds // 86400)
    if days >= 1:
        return "1 dag" if days == 1 else f"{days} dager"
    hours = int(seconds // 3600)
    if hours >= 1:
        return "1 time" if hours == 1 else f"{hours} timer"
    return "under 1 time"


def breakable_address(address: str | None) -> Markup:
    """An e-mail address that may break before its @ and dots when the column is narrow (never inside a
    name): escaped, with <wbr> at those places."""
    if not address:
        return Markup("–")
    text = str(escape(address))
    return Markup(re.sub(r"([@.])", r"<wbr>\1", text))
