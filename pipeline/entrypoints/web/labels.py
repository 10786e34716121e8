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

__all__ = ["REPLY_KINDS", "REPLY_STATES", "field_label"]

OSLO = ZoneInfo("Europe/Oslo")

STATES: dict[str, str] = dict(STATE_LABELS)
OPEN_STATES: tuple[str, ...] = tuple(s for s in TASK_STATES if s in PENDING)

OUTCOMES: dict[str, str] = {
    "queued": "Lagt i kø",
    "needs_info": "Mangler opplysninger",
    "no_form": "Uten skjema",
    "unreadable": "Kunne ikke leses",
    "duplicate": "Duplikat",
    "auto_reply": "Automatisk svar",
    "limit.exceeded": "For stor eller sammensatt",
    "failed": "Feilet",
}

CENTRE_KINDS: dict[str, str] = {
    "ordinaer": "Ordinært mottak",
    "em": "Enslige mindreårige",
    "transitt": "Transittmottak",
    "fa": "Tilrettelagt avdeling",
    "akutt": "Akuttmottak",
    "akuttinnkvartering": "Akuttinnkvartering",
}

# Outcomes that processing again can change (the mail part's retry_message refuses the others).
RETRYABLE_OUTCOMES: tuple[str | None, ...] = (None, "failed", "unreadable", "no_form", "limit.exceeded")

FIELDS: dict[str, str] = dict(FIELD_LABELS)

ATTACHMENT_CODES: dict[str, str] = {
    "read": "Lest",
    "body": "Skjema i e-postteksten",
    "unreadable.corrupt": "Skadet fil",
    "unreadable.encrypted": "Passordbeskyttet",
    "unreadable.scanned": "Skannet bilde uten tekst",
    "unsupported.format": "Filformat støttes ikke",
    "not_a_form": "Ikke skjemaet",
    "limit.exceeded": "For stor eller kompleks",
}

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


AUDIT_ACTIONS: dict[str, str] = {
    "task.open": "Sak opprettet",
    "task.correct": "Felt rettet",
    "task.rechecked": "Kontrollert på nytt",
    "task.clear": "Klar til vurdering",
    "task.block": "Mangler opplysninger",
    "task.request_info": "Ba om opplysninger",
    "task.answer": "Svar fra avsender",
    "task.answered_without_form": "Svar fra avsender uten skjema",
    "task.approve": "Godkjent",
    "task.reject": "Avslått",
    "task.provision": "Utført i IMDinett",
    "task.take": "Saken tatt",
    "task.confirm_reading": "Opplesningen bekreftet",
    "reply.released": "Svar lagt i utboksen av saksbehandler",
    "reply.not_repeated": "Svar ikke sendt igjen",
    "registry.user_granted": "Bruker lagt inn i registeret",
    "registry.roles_added": "Roller lagt til i registeret",
    "registry.user_updated": "Brukeren oppdatert i registeret",
    "registry.user_reactivated": "Brukeren aktiv igjen i registeret",
    "registry.roles_removed": "Roller fjernet i registeret",
    "registry.user_removed": "Brukeren fjernet fra registeret",
    "task.supersede": "Erstattet av ny sak",
    "task.assign": "Bruker og mottak valgt",
    "task.removal_already_pending": "Fjerning allerede under behandling",
    "reply.drafted": "Svar laget",
    "reply.edited": "Svar redigert",
    "reply.sent": "Svar sendt",
    "reply.failed": "Sending feilet",
    "reply.suppressed": "Svar ikke sendt",
    "task.reminded": "Påminnelse sendt",
    "task.supersedes": "Erstatter eldre sak",
    "reply.cancelled": "Svar avbrutt",
    "reply.held": "Svar holdt tilbake",
    "reply.resend_after_crash": "Svar sendt på nytt etter avbrudd",
    "message.ingested": "E-post tatt inn",
    "message.failed": "Behandling feilet",
    "message.retried": "Kjørt på nytt",
    "operator.password_changed": "Nytt passord",
    "message.retry_failed": "Ny kjøring feilet",
    "message.retry_queued": "Lagt i kø for ny kjøring",
    "message.parked": "Gitt opp etter flere forsøk",
    "task.change_proposed": "Svar fra ubekreftet avsender (forslag)",
    "task.answer_not_trusted": "Svar fra ubekreftet avsender",
    "task.accept_change": "Forslag godtatt",
    "proposal.accepted": "Forslag godtatt",
    "proposal.refused": "Forslag avvist",
    "message.purged": "E-post slettet (oppbevaringstid)",
}


def audit_label(action: str) -> str:
    # An action this table does not know yet still shows, as its code (the history keeps it in a title too).
    return AUDIT_ACTIONS.get(action, action)


def short(value: object, limit: int = 160) -> str:
    """A value for a one-line summary: long texts (a whole reply body) are cut."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def state_label(state: str | None, kind: str | None = None) -> str:
    return domain_state_label(state, kind)


def outcome_label(outcome: str | None) -> str:
    return OUTCOMES.get(outcome or "", outcome or "Under behandling")




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
