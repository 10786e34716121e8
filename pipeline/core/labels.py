"""The operators' words for the pipeline's codes, shared by the web UI and the CLI's text output (pure).

The case states, kinds, origins, review and reply states and field labels are in pipeline.core.domain;
these are the rest: what became of a message and of each attachment, the kinds of centre, and the audit
trail's actions. Codes stay codes in --json and in logs.
"""

from __future__ import annotations

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

# Finding codes in a few words (the history lists which findings a check left).
FINDINGS: dict[str, str] = {
    "field.missing": "felt mangler", "email.invalid": "ugyldig e-post", "mobile.invalid": "ugyldig mobilnummer",
    "mobile.not_mobile": "ikke et mobilnummer", "mobile.duplicate": "mobilnummeret er i bruk",
    "centre.unknown": "ukjent mottak", "centre.ambiguous": "uklart mottak", "centre.inactive": "nedlagt mottak",
    "centre.duplicate": "mottak oppgitt to ganger", "centre.admin_limit": "mange administratorer",
    "centre.other_operator": "annen driftsoperatørs mottak", "sender.unverified": "avsender ikke bekreftet",
    "form.in_body": "skjema i e-postteksten", "form.duplicate": "skjema vedlagt flere ganger",
    "unreadable.scanned": "skannet uten tekst", "form.ocr": "lest med tekstgjenkjenning",
}


def audit_label(action: str) -> str:
    # An action this table does not know yet still shows, as its code (the history keeps it in a title too).
    return AUDIT_ACTIONS.get(action, action)


def outcome_label(outcome: str | None) -> str:
    return OUTCOMES.get(outcome or "", outcome or "Under behandling")
