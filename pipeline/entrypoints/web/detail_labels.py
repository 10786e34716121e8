"""Norwegian words for the details the checks attach to a finding and the details of audit events.

Shown generically (key: value), so that a new key from the checks or the services still shows up;
the words here only make the known ones readable for a driftsoperatør's case handler.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.core.domain import KIND_LABELS, ORIGINS
from pipeline.core.labels import FINDINGS  # finding codes in a few words, shared with the CLI
from pipeline.entrypoints.web.labels import OUTCOMES, REPLY_KINDS, REPLY_STATES, STATES, short

KEYS: dict[str, str] = {
    "suggestions": "Forslag", "candidates": "Kandidater", "holder": "Registrert på", "holders": "Registrert på",
    "user": "Bruker", "users": "Brukere", "task": "Sak-ID", "tasks": "Ventende saker", "pending": "Ventende saker",
    "written": "Skrevet", "mottaksnummer": "Mottaksnummer", "name": "Navn", "score": "Likhet",
    "operator_id": "Driftsoperatør", "user_id": "Bruker-ID", "case_ref": "Sak", "first_name": "Fornavn",
    "last_name": "Etternavn", "email": "E-post", "mobile": "Mobil", "count": "Antall", "admins": "Administratorer",
    "domain": "Domene", "expected": "Forventet", "value": "Verdi", "how": "Funnet ved",
    "centre_operator_id": "Mottakets driftsoperatør", "holder_user_id": "Bruker-ID", "task_id": "Sak-ID",
    "kind": "Type", "region": "Land", "country": "Land", "e164": "Nummer", "type": "Nummertype",
    "reason": "Grunn", "reasons": "Grunner", "number": "Nummer", "label": "Felt", "field": "Felt",
    "sender": "Avsender", "position": "Stilling", "organisation": "Firma", "manager": "Ansvarlig leder",
    "phone": "Telefon", "limit": "Grense",
    # Audit events
    "state": "Status", "message": "Melding", "attachment": "Vedlegg", "findings": "Funn", "automatic": "Automatisk",
    "outcome": "Utfall", "attempts": "Forsøk", "changes": "Endringer", "note": "Merknad til avsender",
    "override_reason": "Begrunnelse for overstyring", "superseded": "Erstatter sak", "superseded_by": "Erstattet av sak",
    "reply": "Svar", "subject": "Emne", "error": "Feil", "to": "Til", "minutes": "Minutter",
    "failed_logins": "Mislykkede forsøk", "username": "Brukernavn", "internal_note": "Intern merknad",
    "owner": "Saksbehandler", "bulk": "Godkjent sammen med andre", "by": "Etter", "blocking": "Overstyrte feil",
    "body_text": "Tekst", "corrections_dropped": "Rettelser som falt bort", "gave_up": "Gitt opp",
    "origin": "Bedt om av", "centres": "Mottak", "role": "Rolle", "already_gone": "Allerede fjernet",
    "review": "Gjennomgang-ID", "review_ref": "Gjennomgang", "unclear": "Uklart", "roles": "Roller",
    "before": "Før", "after": "Etter", "import": "Import", "replaced_by": "Erstattet av",
}
# Database ids and the like: for "Tekniske detaljer", not for the one-line summary of an event.
TECHNICAL = frozenset({"message", "attachment", "reply", "task", "task_id", "superseded", "superseded_by",
                       "automatic", "extra", "review"})



def finding_words(code: str) -> str:
    base, _, path = code.partition(":")
    words = FINDINGS.get(base, code)
    if path and base == "field.missing":
        from pipeline.core.domain import field_label

        return f"mangler «{field_label(path)}»"
    return words


# Values of a few keys that are codes rather than text.
VALUES: dict[str, dict[str, str]] = {
    "kind": {"registry": "bruker i registeret", "task": "ventende sak", **REPLY_KINDS, **KIND_LABELS},
    "origin": ORIGINS,
    "how": {"exact": "nøyaktig navn", "number": "mottaksnummer", "fuzzy": "lignende navn"},
    "type": {"landline": "fasttelefon", "toll-free number": "grønt nummer", "premium-rate number": "spesialnummer",
             "shared-cost number": "delt-kostnad-nummer", "VoIP number": "IP-telefoni", "pager": "personsøker",
             "personal number": "personlig nummer", "company number": "bedriftsnummer",
             "voicemail": "talepostnummer", "number that is not a mobile": "ikke et mobilnummer"},
    "outcome": OUTCOMES,
    "state": {"new": "ny", **STATES, **REPLY_STATES},
    "by": {"answer": "svar fra avsender", "correction": "rettelse"},
    "reason": {"superseded": "erstattet av en nyere sak", "answered": "avsenderen svarte",
               "corrected": "rettet av saksbehandler"},
}
# Positions in a list, counted from 0 by the code: people count from 1.
_ONE_BASED = {"index"}


# Why a reply was held or not sent (the reply service's words for the log) in the operator's words.
_REASONS: tuple[tuple[str, str], ...] = (
    (r"^loop guard: (\d+) replies to this address in the last hour$",
     r"\1 automatiske svar til samme adresse den siste timen"),
    (r"^no sender address$", "ingen avsenderadresse"),
    (r"^sender address is not a plain address$", "avsenderadressen er ikke en vanlig e-postadresse"),
    (r"^no-reply address$", "avsenderen er en «ikke svar»-adresse"),
    (r"^the message is an auto-reply or a bounce$", "e-posten er et automatisk svar eller en returmelding"),
)


def reason_text(value: str) -> str:
    for pattern, words in _REASONS:
        if re.match(pattern, value):
            return re.sub(pattern, words, value)
    return value


def key(name: str) -> str:
    return "Nr. i listen" if name in _ONE_BASED else KEYS.get(name, name)


def scalar(name: str, value: Any) -> str:
    if value is True:
        return "ja"
    if value is False:
        return "nei"
    if value is None or value == "":
        return "–"
    if name in _ONE_BASED and isinstance(value, int):
        return str(value + 1)
    if name == "score" and isinstance(value, int | float):
        return f"{value:.0f} %"
    if name in ("findings", "blocking") and isinstance(value, str):
        return finding_words(value)
    if name == "reason" and isinstance(value, str) and value not in VALUES["reason"]:
        return reason_text(value)
    return VALUES.get(name, {}).get(str(value), str(value))


def audit_text(details: dict[str, Any] | None) -> str:
    """An audit event's details on one line: 'Status: ny → Til vurdering; Funn: ukjent mottak' (ids left out)."""
    parts: list[str] = []
    for name, value in (details or {}).items():
        if value is None or name in TECHNICAL:
            continue
        if isinstance(value, dict) and set(value) <= {"before", "after"}:
            text = f"{scalar(name, value.get('before'))} → {scalar(name, value.get('after'))}"
        elif isinstance(value, list | tuple):
            text = ", ".join(scalar(name, v) if not isinstance(v, dict | list) else str(v) for v in value) or "–"
        elif isinstance(value, dict):
            text = ", ".join(f"{key(k)}: {scalar(k, v) if not isinstance(v, dict | list) else v}"
                             for k, v in value.items())
        else:
            text = scalar(name, value)
        parts.append(f"{key(name)}: {short(text)}")
    return "; ".join(parts)
