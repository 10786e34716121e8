"""Reading what a driftsoperatør writes about who should lose access (pure: text in, a reading out).

    new_text(body) -> the sender's own words: quoted mail, forwarded headers and the signature cut off
    read_removal(text, people, sender=...) -> Reading      a mail asking that someone's access end
    read_review_answer(text, listed, sender=...) -> Reading   an answer to an access review

Only what is read with confidence counts: a person is named when a sentence that asks for a removal
("har sluttet", "skal ikke lenger ha", "fjern", "slett", "avslutte tilgangen", …) holds their full name or
their e-mail address. A first or last name alone, a name shared by two people, a sentence that also says
someone stays ("fortsatt", "beholde", "ikke fjern", "overtar") or an exception ("bortsett fra") make the
reading `unclear`: a person reads it, and nothing is guessed.

Matching is on folded text (case, accents and æøå folded as registry names are), word by word, so
"Ødegård" matches "Odegard" and "Berg" never matches inside "Bergen".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.core.names import fold_text


@dataclass(frozen=True)
class Person:
    """A registry user the text may name."""

    user_id: str
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class Reading:
    intent: bool  # some sentence asks that someone lose access
    confirms: bool = False  # "alt stemmer", "bekrefter", "ingen endringer"
    named: tuple[str, ...] = ()  # user ids named as leaving, each with confidence, in the order written
    unclear: tuple[str, ...] = ()  # why a person must read it (English, for the operator)
    evidence: tuple[str, ...] = ()  # the sentences that asked for a removal, as written
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def certain(self) -> bool:
        return not self.unclear


# --- the sender's own words ---------------------------------------------------------------------------

_QUOTE_HEAD = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|opprinnelig melding|videresendt melding|forwarded message)"
    r"|(?:fra|from|sendt|sent|til|to|emne|subject)\s*:\s*\S"
    r"|.{0,300}\b(?:skrev|wrote)\b.{0,200}:\s*$)", re.IGNORECASE)
_CLOSING = re.compile(r"(?:^|(?<=[.!?])\s+|\s{2,})(?:med vennlig hilsen|vennlig hilsen|venleg helsing|beste hilsen|"
                      r"mvh\.?|hilsen|best regards|kind regards|regards)\b", re.IGNORECASE)


def new_text(body: str) -> str:
    """The part of a mail the sender wrote now: up to the first quoted header or signature."""
    kept: list[str] = []
    for line in (body or "").replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        if stripped in ("--", "-- ", "__") or _QUOTE_HEAD.match(line):
            break
        closing = _CLOSING.search(line)
        if closing is not None:
            head = line[:closing.start()].rstrip()
            if head:
                kept.append(head)
            break
        kept.append(line)
    return "\n".join(kept).strip()


# --- phrases (written folded: æ→ae, ø→o, å→a) --------------------------------------------------------

# Asking, on their own, that someone lose access.
_STRONG = re.compile(
    r"\b(?:har slutta?et|har slutta|har gatt av|slutter|sluttet|fratrer|fratradt|skal ikke (?:lenger|lengre|mer) ha"
    r"|ikke (?:lenger|lengre) (?:ansatt|jobber|arbeider|i jobb|skal ha|ha tilgang|ha rollen|har behov)"
    r"|skal ikke ha (?:tilgang|rollen)|avslutt(?:e|es|er)? (?:tilgangen|tilgang|brukeren|rollen|kontoen)"
    r"|trekk(?:e|es)? tilbake (?:tilgangen|tilgang|rollen)|ikke (?:lenger|lengre) behov for)\b")
# Asking only with an object (access, role, user) or a person named beside them.
_WEAK = re.compile(r"\b(?:fjern(?:e|es|et)?|slett(?:e|es|et)?|ta bort|tas bort|deaktiver(?:e|es)?"
                   r"|inaktiver(?:e|es)?|sperr(?:e|es)?|avslutt(?:e|es)?)\b")
_OBJECT = re.compile(r"\b(?:tilgang\w*|rolle\w*|bruker\w*|konto\w*|mottaksadministrator\w*|imdinett)\b")
# Someone stays, or it is not a removal after all: a person must read it.
_STAYS = re.compile(
    r"\b(?:ikke (?:fjern|slett|ta bort|avslutt|deaktiver)\w*|(?:skal|ma|bor) ikke (?:fjernes|slettes|avsluttes)"
    r"|fortsatt|fortsetter|fremdeles|beholde\w*|overtar|erstatter|i stedet|istedenfor|ny administrator)\b")
_EXCEPTION = re.compile(r"\b(?:bortsett fra|unntatt|med unntak|utenom)\b")
_CONFIRM = re.compile(
    r"\b(?:alt (?:stemmer|er riktig|er korrekt|ok|i orden)|bekreft(?:er|et|es|a)?|ingen endring(?:er)?"
    r"|listen (?:stemmer|er riktig|er korrekt)|stemmer|det er riktig|ser riktig ut|er korrekt)\b")
_SELF = re.compile(r"\b(?:meg|min tilgang|min bruker|mine tilganger|jeg har slutta?et|jeg slutter)\b")
# Pointing back at someone named before ("Kan dere fjerne tilgangen hans?").
_PRONOUN = re.compile(r"\b(?:han|ham|hans|hun|henne|hennes|de|dem|deres|disse|begge|vedkommende)\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A sentence ends at . ! ? ; and a space, but not after a day of the month ("fra 30. november", an
# ordinal in Norwegian): the reason quotes the sentence whole.
_SENTENCE = re.compile(r"(?<=[.!?;])(?<!\b\d\.)(?<!\b\d\d\.)\s+")


@dataclass(frozen=True)
class _Sentence:
    raw: str
    folded: str
    emails: frozenset[str]


def _sentences(text: str) -> list[list[_Sentence]]:
    """Paragraphs of sentences; a line is a sentence of its own (lists are written one name a line)."""
    paragraphs: list[list[_Sentence]] = [[]]
    for line in text.split("\n"):
        if not line.strip():
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        for part in _SENTENCE.split(line.strip()):
            if part.strip():
                paragraphs[-1].append(_Sentence(part.strip(), fold_text(part),
                                                frozenset(e.casefold().rstrip(".") for e in _EMAIL.findall(part))))
    return [p for p in paragraphs if p]


def _words(folded: str) -> str:
    return f" {folded} "


def _mentions(s: _Sentence, people: Sequence[Person]) -> tuple[list[Person], list[Person]]:
    """(named in full or by e-mail, named by first or last name only). An e-mail address decides between
    people who share a name."""
    words = _words(s.folded)
    by_email = [p for p in people if p.email and p.email.casefold() in s.emails]
    taken = {fold_text(f"{p.first_name} {p.last_name}") for p in by_email}
    full, partial = list(by_email), []
    for p in people:
        if p in by_email:
            continue
        first, last = fold_text(p.first_name), fold_text(p.last_name)
        if first and last and f" {first} {last} " in words:
            if f"{first} {last}" not in taken:
                full.append(p)
        elif (last and f" {last} " in words) or (first and f" {first.split()[0]} " in words):
            partial.append(p)
    return full, partial


def _same_name(people: Sequence[Person]) -> set[str]:
    """User ids of people who share their full name with another candidate."""
    seen: dict[str, list[str]] = {}
    for p in people:
        seen.setdefault(fold_text(f"{p.first_name} {p.last_name}"), []).append(p.user_id)
    return {uid for ids in seen.values() if len(ids) > 1 for uid in ids}


def _asks(s: _Sentence, named: bool) -> bool:
    return bool(_STRONG.search(s.folded) or (_WEAK.search(s.folded) and (named or _OBJECT.search(s.folded))))


def _read(text: str, people: Sequence[Person], sender: str | None) -> Reading:
    twins = _same_name(people)
    named: list[str] = []
    unclear: list[str] = []
    evidence: list[str] = []
    anonymous: list[str] = []  # sentences that ask without naming anyone ("Kan dere fjerne tilgangen?")
    intent = False
    heading = False  # the paragraph before ended with "Disse har sluttet:"
    for paragraph in _sentences(text):
        scope = heading  # "Disse har sluttet:" puts the lines below it in scope (after a blank line too)
        heading = False
        for s in paragraph:
            full, partial = _mentions(s, people)
            asks = _asks(s, bool(full or partial))
            if not asks and not scope:
                if full and _EXCEPTION.search(s.folded):
                    unclear.append(f"an exception names someone: {s.raw!r}")
                continue
            intent = True
            evidence.append(s.raw)
            if asks and s.raw.rstrip().endswith(":"):
                scope = True
                heading = s is paragraph[-1]
                continue
            if _STAYS.search(s.folded) or _EXCEPTION.search(s.folded):
                unclear.append(f"the sentence also says someone stays: {s.raw!r}")
                continue
            shared = [p for p in full if p.user_id in twins and p.email.casefold() not in s.emails]
            if shared:
                unclear.extend(f"two registry users are called {p.first_name} {p.last_name}" for p in shared)
                continue
            if len(full) > 1 and not (scope or "," in s.raw or " og " in f" {s.folded} "):
                unclear.append(f"several people in one sentence: {s.raw!r}")
                continue
            named.extend(p.user_id for p in full if p.user_id not in named)
            if partial and not full:
                unclear.append(f"only a first or last name: {s.raw!r}")
            elif not full and not partial:
                mine = [p for p in people if sender and p.email.casefold() == sender.casefold()]
                if _SELF.search(s.folded) and len(mine) == 1:
                    named.extend(p.user_id for p in mine if p.user_id not in named)
                elif not _PRONOUN.search(s.folded):
                    anonymous.append(s.raw)
    if intent and (anonymous or not named) and not unclear:
        unclear.append(f"no registry user named: {anonymous[0]!r}" if anonymous else "no registry user named")
    return Reading(intent=intent, named=tuple(named), unclear=tuple(dict.fromkeys(unclear)),
                   evidence=tuple(evidence))


def read_removal(text: str, people: Sequence[Person], *, sender: str | None = None) -> Reading:
    """A mail asking that someone lose access; `people`: the registry users it may be about."""
    return _read(new_text(text), people, sender)


def read_names(text: str, people: Sequence[Person]) -> Reading:
    """An answer to "who is meant?": the people named in full or by e-mail; no asking phrase needed."""
    own = new_text(text)
    twins = _same_name(people)
    named: list[str] = []
    unclear: list[str] = []
    for paragraph in _sentences(own):
        for s in paragraph:
            full, partial = _mentions(s, people)
            if _STAYS.search(s.folded) and (full or partial):
                unclear.append(f"the sentence also says someone stays: {s.raw!r}")
                continue
            for p in full:
                if p.user_id in twins and p.email.casefold() not in s.emails:
                    unclear.append(f"two registry users are called {p.first_name} {p.last_name}")
                elif p.user_id not in named:
                    named.append(p.user_id)
            if partial and not full:
                unclear.append(f"only a first or last name: {s.raw!r}")
    if not named and not unclear:
        unclear.append("no registry user named")
    return Reading(intent=bool(named), named=tuple(named), unclear=tuple(dict.fromkeys(unclear)))


def read_review_answer(text: str, listed: Sequence[Person], *, sender: str | None = None) -> Reading:
    """An answer to an access review: confirmed ("alt stemmer"), people named as leaving, or unclear.
    Only the people the review listed can be named."""
    own = new_text(text)
    reading = _read(own, listed, sender)
    folded = fold_text(own)
    confirms = bool(_CONFIRM.search(folded))
    if not own:
        return Reading(intent=False, confirms=False, unclear=("the answer holds no text of its own",))
    if reading.intent:
        return Reading(intent=True, confirms=confirms, named=reading.named, unclear=reading.unclear,
                       evidence=reading.evidence)
    if confirms and not _EXCEPTION.search(folded) and not re.search(r"\bmen\b", folded):
        return Reading(intent=False, confirms=True, unclear=reading.unclear)
    return Reading(intent=False, confirms=confirms, unclear=(*reading.unclear, "neither a confirmation nor a removal"))
