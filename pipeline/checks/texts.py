"""The texts of each finding: Norwegian bokmål for the sender, English for the log and the operator.

The Norwegian text goes into the reply to the sender, so it never names another person (who holds a
mobile number); the English text and the details are for IMDi's operators.
"""

from __future__ import annotations

from typing import Any

from pipeline.checks.findings import Finding, blocks_approval
from pipeline.core.domain import ADMIN_LIMIT, FIELD_LABELS

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
    # The two findings of a removal are for IMDi's operators only; a sender is never told them.
    "removal.person_unknown": (
        "IMDi kontrollerer hvem henvendelsen gjelder før noen tilgang fjernes.",
        "The removal names nobody with confidence: an operator chooses the registry user before approval.",
    ),
    "centre.last_admin": (
        "IMDi kontrollerer at mottaket fortsatt har en mottaksadministrator.",
        "Removing the role at {names} would leave no Mottaksadministrator there: the centre could then "
        "create no users.",
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


# --- texts for IMDi's operators ---------------------------------------------------------------------------
# The sender's text above speaks to the driftsoperatør and never names anyone else; the operator deciding
# the case needs the people and companies behind a finding. These are written from the finding's details
# and from names the case page looks up (`names`: "people" for a centre's administrators, "centre_operator"
# and "operator" for companies, "holder" for whoever has the mobile). A value that is missing leaves the
# sentence out, never a gap.

_NUMBER_KINDS = {
    "landline": "et fasttelefonnummer", "toll-free number": "et grønt nummer", "premium-rate number":
    "et spesialnummer", "shared-cost number": "et delt-kostnad-nummer", "VoIP number": "et IP-telefonnummer",
    "pager": "et personsøkernummer", "personal number": "et personlig nummer", "company number":
    "et bedriftsnummer", "voicemail": "et talepostnummer",
}

_OPERATOR: dict[str, str] = {
    "field.missing": "«{label}» er ikke fylt ut.",
    "email.invalid": "«{value}» i «{label}» er ikke en gyldig e-postadresse.",
    "mobile.invalid": "«{value}» er ikke et gyldig telefonnummer.",
    "mobile.not_mobile": "{e164} er {number_kind}, ikke et mobilnummer. Innlogging i IMDinett krever SMS.",
    "mobile.duplicate": "Mobilnummeret {e164} tilhører allerede {holder}. Hver bruker må ha sitt eget nummer.",
    "centre.unknown": "«{written}» finnes ikke i mottaksregisteret.",
    "centre.ambiguous": "«{written}» passer på flere mottak. Velg det riktige.",
    "centre.inactive": "{name} ({mottaksnummer}) er nedlagt; det kan ikke gis nye brukere der.",
    "centre.duplicate": "{name} ({mottaksnummer}) står mer enn én gang i skjemaet.",
    "centre.admin_limit": "{name} ({mottaksnummer}) har allerede {count} mottaksadministratorer: {people}. "
                          "Med denne søkeren blir det {after}; IMDi anbefaler høyst {limit}.",
    "centre.other_operator": "{name} ({mottaksnummer}) drives av {centre_operator}, ikke av {operator} som "
                             "skjemaet gjelder.",
    "sender.unverified": "Vi kan ikke bekrefte at {sender} skriver på vegne av {operator}: {reasons}.",
    "form.in_body": "Opplysningene stod i selve e-posten; skjemaet var ikke vedlagt.",
    "form.duplicate": "Det samme skjemaet var vedlagt flere ganger (for eksempel som Word og PDF); "
                      "det er bare laget én sak.",
    "unreadable.scanned": "Skjemaet er et skannet bilde eller et bilde der feltene ikke kunne leses maskinelt.",
    "form.ocr": "Verdiene er lest fra et bilde med tekstgjenkjenning. Sammenlign dem med originalen før "
                "du godkjenner.",
    "removal.person_unknown": "Det er ikke valgt hvem som skal miste tilgangen: henvendelsen navnga ingen sikkert. "
                              "Velg brukeren før saken kan godkjennes.",
    "centre.last_admin": "Etter fjerningen har {names} ingen mottaksadministrator, og mottaket kan da ikke "
                         "opprette brukere. Godkjenn bare med en begrunnelse.",
}
# Shorter versions where a value above is unknown.
_OPERATOR_FALLBACK: dict[str, str] = {
    "mobile.not_mobile": "Nummeret er ikke et mobilnummer. Innlogging i IMDinett krever SMS.",
    "mobile.duplicate": "Mobilnummeret tilhører allerede en annen bruker eller søker.",
    "centre.admin_limit": "{name} ({mottaksnummer}) har allerede {count} mottaksadministratorer, registrert "
                          "eller under behandling. IMDi anbefaler høyst {limit}.",
    "centre.other_operator": "{name} ({mottaksnummer}) drives av en annen driftsoperatør enn den skjemaet "
                             "gjelder.",
    "sender.unverified": "Vi kan ikke bekrefte avsenderen {sender}: {reasons}.",
}
_OPERATOR_LAST: dict[str, str] = {
    "centre.last_admin": "Etter fjerningen har mottaket ingen mottaksadministrator, og kan da ikke opprette "
                         "brukere. Godkjenn bare med en begrunnelse.",
    "sender.unverified": "Vi kan ikke bekrefte at avsenderen skriver på vegne av driftsoperatøren.",
}


def _reason_no(reason: str, names: dict[str, Any]) -> str:
    """One of the sender check's reasons (English, for the log) in the operator's words."""
    import re

    text = reason.strip()
    match = re.match(r"^(SPF|DKIM|DMARC) (\w+)$", text)
    if match:
        return f"{match.group(1)}-kontrollen ga «{match.group(2)}»"
    match = re.match(r"^domain (\S+) is not \S+'s (\S+)$", text)
    if match:
        who = names.get("operator") or "driftsoperatøren"
        return f"domenet {match.group(1)} hører ikke til {who}, som bruker {match.group(2)}"
    if text.startswith("no registry operator matches"):
        return "ingen driftsoperatør i registeret passer med skjemaet eller avsenderen"
    return text


def operator_text(code: str, field: str | None, details: dict[str, Any] | None,
                  names: dict[str, Any] | None = None) -> str | None:
    """The finding in words for IMDi's operator, or None when there is no operator text for the code."""
    base = code.split(":", 1)[0]
    if base not in _OPERATOR:
        return None
    details = dict(details or {})
    names = dict(names or {})
    path = code.split(":", 1)[1] if ":" in code else field
    values: dict[str, Any] = {"label": FIELD_LABELS.get(path or "", path or ""), "limit": ADMIN_LIMIT, **details}
    if "count" in details and isinstance(details["count"], int):
        values["after"] = details["count"] + 1
    if isinstance(details.get("type"), str):
        values["number_kind"] = _NUMBER_KINDS.get(details["type"], "ikke et mobilnummer")
    holder = details.get("holder")
    if isinstance(holder, dict):
        if holder.get("kind") == "task" and holder.get("case_ref"):
            values["holder"] = f"{holder.get('name') or 'en annen søker'} i den ventende saken {holder['case_ref']}"
        elif holder.get("name"):
            values["holder"] = f"{holder['name']}" + (f" (bruker {holder['user_id']})" if holder.get("user_id") else "")
    if isinstance(details.get("reasons"), list):
        values["reasons"] = "; ".join(_reason_no(str(r), names) for r in details["reasons"])
    people = names.pop("people", None)
    if people:
        values["people"] = names_and(list(people))
    values.update({k: v for k, v in names.items() if v})
    if values.get("sender") is None:
        values.pop("sender", None)
    for template in (_OPERATOR[base], _OPERATOR_FALLBACK.get(base), _OPERATOR_LAST.get(base)):
        if template is None:
            continue
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            continue
    return None


def names_and(names: list[str]) -> str:
    """'A', 'A og B', 'A, B og C'."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " og " + names[-1]


# --- the question approval asks ----------------------------------------------------------------------------
# What approval passes only with an operator's reason (pipeline.core.policy.reasons_needed), in the
# operator's words: the same list on the case page, on the `a` key, in the CLI's refusal and in bulk's.
_REASONS: dict[str, str] = {
    "sender.unverified": "avsenderen er ikke bekreftet som driftsoperatøren",
    "proposal.pending": "et forslag fra et svar venter på vurdering",
    "centre.last_admin": "mottaket blir uten mottaksadministrator",
    "owner.other": "en annen saksbehandler har tatt saken",
    "centre.admin_limit": "mottaket får flere enn to mottaksadministratorer",
    "centre.other_operator": "mottaket drives av en annen driftsoperatør",
    "form.duplicate": "det samme skjemaet var vedlagt flere ganger",
    "form.in_body": "opplysningene stod i selve e-posten",
    "mobile.invalid": "mobilnummeret er ugyldig",
    "mobile.not_mobile": "nummeret er ikke et mobilnummer",
    "mobile.duplicate": "mobilnummeret er allerede i bruk",
    "email.invalid": "en e-postadresse er ugyldig",
    "centre.unknown": "et mottak finnes ikke i registeret",
    "centre.ambiguous": "et mottak kan være flere",
    "centre.inactive": "et mottak er nedlagt",
    "centre.duplicate": "et mottak står flere ganger",
    "unreadable.scanned": "skjemaet er et skannet bilde uten tekst",
}


def approval_reason(code: str, owner: str | None = None) -> str:
    """Why approval asks for a reason, in a few words (a finding the sender must answer: 'feil i …')."""
    if code == "owner.other" and owner:
        return f"{owner} har tatt saken"
    base = code.split(":", 1)[0]
    if base in _REASONS:
        return _REASONS[base]
    if base == "field.missing":
        path = code.split(":", 1)[1] if ":" in code else ""
        return f"«{FIELD_LABELS.get(path, path)}» mangler"
    return f"funnet {code} står"


APPROVAL_QUESTION = "Godkjenning krever en begrunnelse fordi"
