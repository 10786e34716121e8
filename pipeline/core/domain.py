"""The domain's words, as data (pure, no I/O): task kinds and states with the actions between them,
reply states with their one gate, the form's field paths with their Norwegian labels, and the role.

    next_state(action, state, to=None) -> state        the task state machine (IllegalTransition otherwise)
    reply_may_change(before, after) -> bool            the reply state machine
    operator_actions(kind, state, *, reading_to_confirm=False) -> tuple[action]
                                                       the buttons a case offers (UI and CLI derive from it)

Grant tasks (one per form) and removal tasks (a registry user's role ends at some or all of their
centres) share the states:

    needs_info ──clear──▶ review ──approve──▶ approved ──done──▶ done ("opprettet" / "fjernet")
        ▲  │                │  │                 │
        │  └────────────────┼──┼── reject ───────┴──▶ rejected
        └──── request_info ─┘  └── supersede ───────▶ superseded   (from needs_info too)

The stored name of the carried-out state is `provisioned` (the queue's contract); operators read
"opprettet" for a grant and "fjernet" for a removal.
"""

from __future__ import annotations

from typing import Final, Literal

from pipeline.errors import IllegalTransition

ROLE: Final = "Mottaksadministrator"
ADMIN_LIMIT: Final = 2  # IMDi recommends at most two Mottaksadministrator users per centre

# --- tasks ----------------------------------------------------------------------------------------------

TaskKind = Literal["grant", "removal"]
GRANT: Final = "grant"
REMOVAL: Final = "removal"
TASK_KINDS: Final[tuple[str, ...]] = (GRANT, REMOVAL)
KIND_LABELS: Final[dict[str, str]] = {GRANT: "Gi tilgang", REMOVAL: "Fjern tilgang"}

NEEDS_INFO: Final = "needs_info"
REVIEW: Final = "review"
APPROVED: Final = "approved"
DONE: Final = "provisioned"
REJECTED: Final = "rejected"
SUPERSEDED: Final = "superseded"
TASK_STATES: Final[tuple[str, ...]] = (NEEDS_INFO, REVIEW, APPROVED, DONE, REJECTED, SUPERSEDED)

# Named subsets, each meaning one thing:
UNDECIDED: Final = frozenset({NEEDS_INFO, REVIEW})  # waiting for a decision (an answer may still update it)
PENDING: Final = frozenset({NEEDS_INFO, REVIEW, APPROVED})  # not carried out yet: counts in the checks
ENDED: Final = frozenset({DONE, REJECTED, SUPERSEDED})  # nothing more happens to it

STATE_LABELS: Final[dict[str, str]] = {
    NEEDS_INFO: "Mangler opplysninger",
    REVIEW: "Til vurdering",
    APPROVED: "Godkjent",
    DONE: "Utført",
    REJECTED: "Avslått",
    SUPERSEDED: "Erstattet",
}
_DONE_LABELS: Final[dict[str, str]] = {GRANT: "Opprettet", REMOVAL: "Fjernet"}


def state_label(state: str | None, kind: str | None = None) -> str:
    """The operator's word for a state: 'Opprettet' or 'Fjernet' for a done task of that kind."""
    if state == DONE and kind in _DONE_LABELS:
        return _DONE_LABELS[kind]
    return STATE_LABELS.get(state or "", state or "–")


# action: (states it may start from, states it may lead to; () = it stays where it is)
ACTIONS: Final[dict[str, tuple[frozenset[str], tuple[str, ...]]]] = {
    "open": (frozenset({"new"}), (NEEDS_INFO, REVIEW)),
    "clear": (frozenset({NEEDS_INFO}), (REVIEW,)),  # an answer or correction left nothing blocking
    "block": (frozenset({REVIEW}), (NEEDS_INFO,)),  # the sender's answer brought a blocking finding
    "request_info": (frozenset(UNDECIDED), (NEEDS_INFO,)),
    "correct": (frozenset(UNDECIDED), ()),
    "answer": (frozenset(UNDECIDED), ()),
    "accept_change": (frozenset(UNDECIDED), ()),  # an operator took the values of an unverified answer
    "confirm_reading": (frozenset(UNDECIDED), ()),  # an operator checked an OCR reading against the page
    "take": (frozenset(PENDING), ()),  # an operator takes the case (ownership, no state change)
    "assign": (frozenset(UNDECIDED), ()),  # a removal: a person says which registry user and centres are meant
    "approve": (frozenset(UNDECIDED), (APPROVED,)),  # from needs_info only with an override
    "reject": (frozenset(PENDING), (REJECTED,)),
    "provision": (frozenset({APPROVED}), (DONE,)),
    "supersede": (frozenset(UNDECIDED), (SUPERSEDED,)),
}
TRANSITIONS: Final[frozenset[tuple[str, str]]] = frozenset(
    (src, dst) for srcs, dsts in ACTIONS.values() for src in srcs for dst in dsts if src != dst
)

# What an operator can do to a case, in the order the case page offers it, with the button's words.
OPERATOR_ACTIONS: Final[dict[str, str]] = {
    "confirm_reading": "Bekreft opplesningen",  # only while a reading made by OCR waits for a person
    "approve": "Godkjenn",
    "request_info": "Be om opplysninger",
    "reject": "Avslå",
    "provision": "Merk som utført",
}
_PROVISION_LABELS: Final[dict[str, str]] = {GRANT: "Merk som opprettet i IMDinett",
                                            REMOVAL: "Merk som fjernet i IMDinett"}


def action_label(action: str, kind: str | None = None) -> str:
    if action == "provision" and kind in _PROVISION_LABELS:
        return _PROVISION_LABELS[kind]
    return OPERATOR_ACTIONS.get(action, action)


def operator_actions(kind: str, state: str, *, reading_to_confirm: bool = False) -> tuple[str, ...]:
    """The decisions a case of this kind offers in this state (the service has the last word);
    `reading_to_confirm`: its values were read by OCR and no operator has confirmed them yet."""
    actions = [a for a in OPERATOR_ACTIONS if state in ACTIONS[a][0]
               and (a != "confirm_reading" or reading_to_confirm)]
    if kind == REMOVAL:
        # A removal asks nothing of a sender by itself: whoever asked is answered by a person.
        actions = [a for a in actions if a != "request_info"]
    return tuple(actions)


def next_state(action: str, state: str, to: str | None = None, *, case_ref: str = "") -> str:
    """The state `action` leads to from `state` (to: which of several), or IllegalTransition."""
    if action not in ACTIONS:
        raise IllegalTransition(f"unknown action {action!r}", message_no="Ukjent handling.")
    sources, targets = ACTIONS[action]
    target = to or (targets[0] if len(targets) == 1 else state)
    if state not in sources or (targets and target not in targets) or (not targets and target != state):
        allowed = ", ".join(sorted(sources))
        raise IllegalTransition(
            f"cannot {action} task {case_ref}: it is {state} (allowed from: {allowed})",
            message_no=f"Saken {case_ref} har status «{state_label(state).lower()}», så dette kan ikke gjøres nå.",
        )
    return target


# Where a task came from: a form (every grant), or what asked for a removal.
ORIGIN_FORM: Final = "form"
ORIGIN_SUPPORT: Final = "support"  # IMDi support (`pipeline queue remove`, "Fjern tilgang" in the registry)
ORIGIN_CENTRE_CLOSED: Final = "centre_closed"  # an import set the centre active=false
ORIGIN_EMAIL: Final = "email"  # a driftsoperatør asked by e-mail
ORIGIN_REVIEW: Final = "review"  # an answer to an access review
ORIGINS: Final[dict[str, str]] = {
    ORIGIN_FORM: "Skjema",
    ORIGIN_SUPPORT: "IMDi-støtte",
    ORIGIN_CENTRE_CLOSED: "Mottaket er nedlagt",
    ORIGIN_EMAIL: "E-post fra driftsoperatøren",
    ORIGIN_REVIEW: "Svar på tilgangsgjennomgang",
}
# What a removal task needs from a person before it can be approved (no guess is ever made for them).
REMOVAL_NEEDS_USER: Final = "Velg hvilken bruker og hvilke mottak saken gjelder før den godkjennes."

# --- the registry's users -------------------------------------------------------------------------------

USER_ACTIVE: Final = "active"
USER_REMOVED: Final = "removed"
USER_STATUSES: Final[dict[str, str]] = {USER_ACTIVE: "Aktiv", USER_REMOVED: "Fjernet"}
SOURCE_IMPORT: Final = "import"  # a row of an IMDinett export
SOURCE_GRANT: Final = "grant"  # a grant task marked done here
USER_SOURCES: Final[dict[str, str]] = {SOURCE_IMPORT: "Import fra IMDinett", SOURCE_GRANT: "Gitt her"}
# IMDinett's user ids as its export writes them (U10612); the registry accepts what its CSV contract does.
USER_ID_HINT: Final = "U etterfulgt av sifre, for eksempel U10612"

# --- access reviews (certification) ---------------------------------------------------------------------
#
#   sent ──answer──▶ confirmed | changes | unclear
#     └──due, no answer──▶ overdue ──answer──▶ confirmed | changes | unclear

REVIEW_SENT: Final = "sent"
REVIEW_CONFIRMED: Final = "confirmed"  # "alt stemmer": nobody to remove
REVIEW_CHANGES: Final = "changes"  # people named as leaving: a removal task each
REVIEW_UNCLEAR: Final = "unclear"  # an answer the pipeline could not read with confidence: a person reads it
REVIEW_OVERDUE: Final = "overdue"  # no answer by the due date: one reminder went out
REVIEW_STATES: Final[dict[str, str]] = {
    REVIEW_SENT: "Sendt, venter på svar",
    REVIEW_CONFIRMED: "Bekreftet",
    REVIEW_CHANGES: "Endringer",
    REVIEW_UNCLEAR: "Uklart svar",
    REVIEW_OVERDUE: "Forfalt",
}
REVIEW_WAITING: Final = frozenset({REVIEW_SENT, REVIEW_OVERDUE})  # no answer yet


def review_after_answer(before: str, verdict: str) -> str:
    """A review's state after an answer read as `verdict` (confirmed, changes or unclear). A later
    "alt stemmer" does not undo removals an earlier answer asked for."""
    if verdict not in (REVIEW_CONFIRMED, REVIEW_CHANGES, REVIEW_UNCLEAR):
        raise ValueError(f"not an answer's verdict: {verdict!r}")
    if before == REVIEW_CHANGES and verdict == REVIEW_CONFIRMED:
        return REVIEW_CHANGES
    return verdict


# --- replies --------------------------------------------------------------------------------------------

REPLY_KINDS: Final[dict[str, str]] = {
    "receipt": "Kvittering",
    "needs_info": "Be om opplysninger",
    "confirmation": "Bekreftelse",
    "rejection": "Avslag",
    "reminder": "Påminnelse",
    "unreadable": "Kunne ikke leses",
    "no_form": "Uten skjema",
    "removal_receipt": "Kvittering for fjerning",
    "removal_needs_info": "Hvem skal fjernes?",
    "removal_confirmation": "Bekreftelse på fjerning",
    "review": "Tilgangsgjennomgang",
    "review_reminder": "Påminnelse om gjennomgang",
    # The one reply an unverified sender gets about a form or an answer: it says nothing about the case.
    "acknowledgement": "Kvittering (ubekreftet avsender)",
}
REPLY_STATES: Final[dict[str, str]] = {
    "draft": "Utkast",
    "queued": "Klar til sending",
    "sending": "Sendes",
    "sent": "Sendt",
    "failed": "Feilet",
    "cancelled": "Avbrutt",
}
# Not yet handed to the outbox: a 'sending' reply may already be at the relay, so it is never cancelled.
UNSENT: Final = frozenset({"draft", "queued", "failed"})
_REPLY_MOVES: Final[dict[str, frozenset[str]]] = {
    "draft": frozenset({"queued", "cancelled"}),  # released by a person; moot
    "queued": frozenset({"draft", "sending", "cancelled"}),  # held back; claimed by a sender; moot
    "sending": frozenset({"sent", "failed", "sending"}),  # accepted; refused; claimed again (lease ended)
    "failed": frozenset({"sending", "cancelled", "queued"}),  # retried; moot; released again by a person
    "sent": frozenset(),
    "cancelled": frozenset(),
}


def reply_may_change(before: str, after: str) -> bool:
    return after in _REPLY_MOVES.get(before, frozenset())


def reply_sources(after: str) -> tuple[str, ...]:
    """The states a reply may be in for a change to `after` (for a compare-and-set)."""
    return tuple(s for s, moves in _REPLY_MOVES.items() if after in moves)


# --- proposed changes -----------------------------------------------------------------------------------

# Values an answer carried from a sender who may not change the case by mail (not verified, or not the
# case's sender): an operator accepts or refuses them; a proposal left when the case ends is moot.
PROPOSED: Final = "proposed"
# A proposal on a removal case names the registry user it would be about (under this key of `changes`).
PERSON: Final = "removal.user_id"
PROPOSAL_STATES: Final[dict[str, str]] = {
    PROPOSED: "Venter på vurdering",
    "accepted": "Godtatt",
    "refused": "Avvist",
    "moot": "Ikke lenger aktuell",
}


# --- the form's fields ----------------------------------------------------------------------------------

FIELD_PATHS: Final[tuple[str, ...]] = (
    "operator.organisation",
    "operator.manager",
    "operator.email",
    "operator.phone",
    "applicant.first_name",
    "applicant.last_name",
    "applicant.email",
    "applicant.mobile",
    "applicant.position",
)
CENTRES: Final = "centres"
# The form's own wording: what the sender wrote them beside, and what the operator sees on the document.
FIELD_LABELS: Final[dict[str, str]] = {
    "operator.organisation": "Navn på firma / organisasjon",
    "operator.manager": "Ansvarlig leder",
    "operator.email": "E-postadresse (driftsoperatør)",
    "operator.phone": "Telefonnummer (driftsoperatør)",
    "applicant.first_name": "Fornavn",
    "applicant.last_name": "Etternavn",
    "applicant.email": "E-postadresse (den som skal ha rollen)",
    "applicant.mobile": "Mobiltelefonnummer",
    "applicant.position": "Stilling",
    CENTRES: "Hvilke mottak / akuttinnkvarteringer",
}
REQUIRED_FIELDS: Final[tuple[str, ...]] = (
    "operator.organisation", "applicant.first_name", "applicant.last_name", "applicant.email", "applicant.mobile",
)


def field_label(path: str | None) -> str:
    return FIELD_LABELS.get(path or "", path or "Generelt")
