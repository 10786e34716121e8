"""A case's history in the operator's words: each audit event's details rendered by one labelled table.

The services write their audit details for the log and for scripts: keys, codes, field paths, English
reasons, ids. Here each known key has a label and a way to show its value; a key this table does not
know is left out of the line (the event's action still shows), so that no code reaches the page. A
state "changed" to itself is not a change and is not shown as one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.core.auth_words import reason_words
from pipeline.core.domain import FIELD_LABELS, KIND_LABELS, ORIGINS, field_label
from pipeline.entrypoints.web.detail_labels import VALUES, finding_words, reason_text
from pipeline.entrypoints.web.labels import AUDIT_ACTIONS, OUTCOMES, REPLY_KINDS, REPLY_STATES, STATES, short

SYSTEM = "system"

# What the removal reader says it could not be sure of (pipeline.core.removal_text), in Norwegian.
_UNCLEAR: tuple[tuple[str, str], ...] = (
    (r"^an exception names someone: (.*)$", r"et unntak nevner noen: \1"),
    (r"^the sentence also says someone stays: (.*)$", r"setningen sier også at noen skal beholde tilgangen: \1"),
    (r"^several people in one sentence: (.*)$", r"flere personer i én setning: \1"),
    (r"^only a first or last name: (.*)$", r"bare fornavn eller etternavn: \1"),
    (r"^no registry user named: (.*)$", r"ingen bruker i registeret er nevnt i \1"),
    (r"^no registry user named$", "ingen bruker i registeret er nevnt"),
    (r"^two registry users are called (.*)$", r"to brukere i registeret heter \1"),
    (r"^neither a confirmation nor a removal$", "verken en bekreftelse eller en fjerning"),
)
_QUOTED = re.compile(r"""^'(.*)'$|^"(.*)"$""", re.DOTALL)
_WHY = {"the sender is not verified": "avsenderen er ikke bekreftet",
        "not the case's sender": "svaret kom fra en annen adresse enn saken"}
_BY = {"answer": "svar fra avsender", "correction": "rettelse", "accept_change": "godtatt forslag",
       "confirm_reading": "bekreftet opplesning"}
_REASONS = ((r"^removal task (\S+)$", r"fjerningssak \1"),
            (r"^closed centre (\S+)$", r"mottak \1 nedlagt"))


def _quote(text: str) -> str:
    match = _QUOTED.match(text.strip())
    inner = (match.group(1) if match.group(1) is not None else match.group(2)) if match else text.strip()
    return f"«{inner}»"


def unclear_text(value: str) -> str:
    for pattern, words in _UNCLEAR:
        found = re.match(pattern, value, re.DOTALL)
        if found:
            return words.replace("\\1", _quote(found.group(1))) if found.groups() else words
    return "uklart svar"


def _reason(value: Any) -> str:
    text = str(value)
    if text in VALUES["reason"]:
        return VALUES["reason"][text]
    for pattern, words in _REASONS:
        if re.match(pattern, text):
            return re.sub(pattern, words, text)
    said = reason_text(text)
    return said if said != text else reason_words(text)


def _yes(value: Any) -> str:
    return "ja" if value else "nei"


def _field(value: Any) -> str:
    text = str(value)
    return field_label(text) if text in FIELD_LABELS else ("Mottak" if text == "centres" else text)


def _plain(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _yes(value)
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) or "–"
    if isinstance(value, dict):
        return ", ".join(f"{_field(k)}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _findings(value: Any) -> str:
    counted = Counter(finding_words(str(v)) for v in (value if isinstance(value, list) else [value]))
    return ", ".join(w if n == 1 else f"{w} ({n})" for w, n in counted.items()) or "ingen"


def _changes(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    parts = []
    for path, change in value.items():
        if isinstance(change, dict) and set(change) <= {"before", "after"}:
            parts.append(f"{_field(path)}: {_plain(change.get('before'))} → {_plain(change.get('after'))}")
    return "; ".join(parts)


def _values(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{_field(k)}: {_plain(v)}" for k, v in value.items() if v not in (None, "", []))
    if isinstance(value, list):
        return ", ".join(_field(v) for v in value)
    return _field(value)


def _roles(value: Any) -> str:
    out = []
    for role in value if isinstance(value, list) else []:
        if isinstance(role, list | tuple) and len(role) == 2:
            out.append(f"{role[0]} ved {role[1]}")
        elif isinstance(role, dict):
            out.append(f"{role.get('role', '')} ved {role.get('mottaksnummer', '')}".strip())
    return ", ".join(out) or "–"


def _code(table: dict[str, str]) -> Callable[[Any], str]:
    return lambda v: table.get(str(v), "–" if v in (None, "") else str(v))


def _list_of(show: Callable[[Any], str]) -> Callable[[Any], str]:
    return lambda v: ", ".join(show(x) for x in (v if isinstance(v, list) else [v])) or "–"


# key -> (label, how its value shows). The order here is the order on the line.
TABLE: dict[str, tuple[str, Callable[[Any], str]]] = {
    "kind": ("Type", _code({**REPLY_KINDS, **KIND_LABELS})),
    "origin": ("Bedt om av", _code(ORIGINS)),
    "outcome": ("Utfall", _code(OUTCOMES)),
    "user_id": ("Bruker-ID", _plain),
    "centres": ("Mottak", _plain),
    "mottaksnummer": ("Mottaksnummer", _plain),
    "findings": ("Funn", _findings),
    "blocking": ("Overstyrte feil", _findings),
    "changes": ("Endringer", _changes),
    "values": ("Verdier", _values),
    "corrected": ("Rettet", _values),
    "corrections_dropped": ("Rettelser som falt bort", _values),
    "roles": ("Roller", _roles),
    "reason": ("Grunn", _reason),
    "why": ("Hvorfor", lambda v: _WHY.get(str(v), "–")),
    "unclear": ("Uklart", _list_of(lambda v: unclear_text(str(v)))),
    "operator_known": ("Driftsoperatøren kjent", _yes),
    "sender": ("Avsender", _plain),
    "sender_verified": ("Avsender bekreftet", _yes),
    "verified": ("Avsender bekreftet", _yes),
    "note": ("Merknad til avsender", _plain),
    "internal_note": ("Intern merknad", _plain),
    "override_reason": ("Begrunnelse for overstyring", _plain),
    "bulk": ("Godkjent sammen med andre", _yes),
    "by": ("Utløst av", _code(_BY)),
    "owner": ("Saksbehandler", _plain),
    "case_ref": ("Sak", _plain),
    "review_ref": ("Gjennomgang", _plain),
    "subject": ("Emne", _plain),
    "to": ("Til", _plain),
    "attempts": ("Forsøk", _plain),
    "gave_up": ("Gitt opp", _yes),
    "error": ("Feil", lambda v: "sendingen feilet"),
    "user_removed": ("Brukeren avsluttet", _yes),
    "name": ("Navn", _plain),
    "written": ("Skrevet", _plain),
}


def details_text(details: dict[str, Any] | None) -> str:
    """An event's details on one line, in the table's labels; unknown keys and ids left out."""
    details = details or {}
    parts: list[str] = []
    state = details.get("state")
    if isinstance(state, dict) and state.get("before") != state.get("after"):
        before, after = state.get("before"), state.get("after")
        named = {"new": "ny", **STATES, **REPLY_STATES}
        parts.append(f"Status: {named.get(str(before), '–')} → {named.get(str(after), '–')}")
    elif isinstance(state, str):
        parts.append(f"Status: {({**STATES, **REPLY_STATES}).get(state, '–')}")
    for name, (label, show) in TABLE.items():
        if name not in details or details[name] is None or details[name] == [] or details[name] == {}:
            continue
        text = show(details[name])
        if text and text != "–":
            parts.append(f"{label}: {short(text)}")
    return "; ".join(parts)


def actor_name(actor: str | None, operators: Iterable[str] = ()) -> str:
    """Who did it, as a person: an operator's account name as their name ("kari.saksbehandler" ->
    "Kari Saksbehandler"); the pipeline itself as "Systemet"; anyone else (a login on the server, the
    command line's $USER) as the command line."""
    if not actor or actor == SYSTEM:
        return "Systemet"
    if actor in set(operators):
        return " ".join(p[:1].upper() + p[1:] for p in re.split(r"[._]+", actor) if p)
    return f"Kommandolinjen ({actor})"


@dataclass(frozen=True)
class HistoryLine:
    at: Any
    who: str
    what: str
    details: str


def lines(events: Iterable[Any], operators: Iterable[str]) -> list[HistoryLine]:
    known = set(operators)
    return [HistoryLine(e.at, actor_name(e.actor, known), AUDIT_ACTIONS.get(e.action, "Hendelse"),
                        details_text(e.details)) for e in events]
