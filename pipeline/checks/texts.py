"""The texts of each finding: Norwegian bokmål for the sender, English for the log and the operator.

The Norwegian text goes into the reply to the sender, so it never names another person (who holds a
mobile number); the English text and the details are for IMDi's operators.
"""

from __future__ import annotations

from typing import Any

from pipeline.checks.model import Finding, blocks_approval
from pipeline.domain import FIELD_LABELS

_TEXTS: dict[str, tuple[str, str]] = {
    "field.missing": (
        "Feltet «{label}» er ikke fylt ut. Fyll det ut og send skjemaet på nytt.",
        "Required field {field} is empty.",
    ),
    "email.invalid": (
        "E-postadressen «{value}» i feltet «{label}» er ikke gyldig.",
        "{field}: {value!r} is not a valid e-mail address ({reason}).",
    ),
    "mobile.invalid": (
        "«{value}» er ikke et gyldig mobilnummer. Oppgi et mobilnummer med 8 siffer, "
        "eventuelt med landkode (for eksempel +47).",
        "applicant.mobile: {value!r} is not a phone number ({reason}).",
    ),
    "mobile.not_mobile": (
        "Nummeret «{value}» er ikke et mobilnummer. Innlogging i IMDinett krever et mobilnummer "
        "som kan motta SMS.",
        "applicant.mobile: {e164} is a {kind}, which cannot receive SMS.",
    ),
    "mobile.duplicate": (
        # Only "already in use", never by whom; and the reply says even that to a verified sender only.
        "Mobilnummeret er allerede i bruk. Hver bruker i IMDinett må ha sitt eget mobilnummer. "
        "Oppgi et annet mobilnummer for den som skal ha rollen.",
        "applicant.mobile: {e164} already belongs to {holder}.",
    ),
    "centre.unknown": (
        "Vi fant ikke «{written}» blant mottakene og akuttinnkvarteringene.{hint} Oppgi mottakets "
        "fulle navn eller mottaksnummer.",
        "Centre {written!r} is not in the registry (nearest: {nearest}).",
    ),
    "centre.ambiguous": (
        "«{written}» kan være flere mottak: {candidates}. Oppgi hvilket det gjelder, med fullt navn "
        "eller mottaksnummer.",
        "Centre {written!r} is ambiguous: {candidates_en}.",
    ),
    "centre.inactive": (
        "{name} ({number}) er ikke lenger i drift, og det kan ikke gis nye brukere der.",
        "Centre {name} ({number}) is closed (active=false).",
    ),
    "centre.duplicate": (
        "{name} er oppgitt mer enn én gang i skjemaet.",
        "Centre {name} ({number}) is named more than once ({written!r}).",
    ),
    "centre.admin_limit": (
        "{name} har allerede {count} mottaksadministratorer, registrert eller under behandling. "
        "IMDi anbefaler høyst to per mottak.",
        "Centre {name} ({number}) would have {after} Mottaksadministrator users "
        "({count} in the registry and open tasks); IMDi recommends at most 2.",
    ),
    "centre.other_operator": (
        "{name} er registrert med en annen driftsoperatør enn den som står i skjemaet. IMDi vil "
        "kontrollere dette.",
        "Centre {name} ({number}) is run by {centre_operator}, not by the asking operator {operator}.",
    ),
    "form.ocr": (
        "Skjemaet kom som et skannet bilde eller et bilde av skjemaet. IMDi leser det maskinelt og "
        "kontrollerer opplysningene manuelt.",
        "The values were read by OCR from a scan or photo ({filename}): an operator confirms them against "
        "the page before the case can be approved.",
    ),
    "sender.unverified": (
        "Vi kunne ikke bekrefte at e-posten kommer fra driftsoperatøren. IMDi kontrollerer "
        "henvendelsen manuelt.",
        "Sender {sender} is not verified: {reason}.",
    ),
}


def finding(code: str, field: str | None, details: dict[str, Any] | None = None, **params: Any) -> Finding:
    """A Finding with both texts filled in; "error" when it blocks approval (DESIGN.md), else "warning"."""
    base = code.split(":", 1)[0]
    no, en = _TEXTS[base]
    values = {"field": field, "label": FIELD_LABELS.get(field or "", field), **params}
    return Finding(
        code=code,
        severity="error" if blocks_approval(code) else "warning",
        field=field,
        message_no=no.format(**values),
        message_en=en.format(**values),
        details=details or {},
    )


def names_no(names: list[str]) -> str:
    """'A', 'A eller B', 'A, B eller C'."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " eller " + names[-1]
