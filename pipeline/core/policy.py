"""Who may cause what: the one rule every use case asks before a mail or an operator changes a case,
confirms a review, learns a registry fact, or approves (pure: facts in, answers out).

    may_answer(kind, sender, case_sender=..., operator_email=...) -> bool
        may this mail name a person, assign a removal or change values by itself (else: a proposal)
    may_confirm_review(sender, review_to=..., operator_email=...) -> bool
    entitled_to_registry_facts(recipient, operator_email=..., operator_domain=...) -> bool
        may a reply to this address name registry facts (else: the same short receipt for everyone)
    firm_blockers(case) -> [code]           what no reason can pass (an unconfirmed OCR reading, nobody named)
    reasons_needed(case, actor) -> [code]   what approval passes only with a person's reason
    bulk_may_take(case, actor) -> bool      only clean cases from verified senders, unowned or the actor's own

A sender is an address with a verdict (pipeline.checks.authentication): `verified` means IMDi's receiving
host vouched for the From address. Being verified says who wrote the mail, not that they may steer
someone else's case: a stranger whose own domain passes DMARC is verified, and is still a stranger.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.domain import REMOVAL, REVIEW

REVIEW_ANSWER = "access_review"  # the kind of thing an answer to an access review answers


@dataclass(frozen=True)
class Sender:
    """Who a mail is from: its From address, and whether IMDi's receiving host vouched for it."""

    address: str | None
    verified: bool


def _addr(text: str | None) -> str:
    return (text or "").strip().lower()


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2] if "@" in address else ""


def within_domain(address: str | None, domain: str | None) -> bool:
    """The address is at the domain or one of its subdomains (never a bare top-level domain)."""
    here, there = _domain_of(_addr(address)), _addr(domain).lstrip("@")
    return bool(here and there and "." in there and (here == there or here.endswith("." + there)))


def may_answer(kind: str, sender: Sender, *, case_sender: str | None, operator_email: str | None = None) -> bool:
    """Only a verified mail from the case's own sender (for a removal or an access review also from the
    driftsoperatør's registered address) may name a person, assign a removal, confirm a review or change
    values; anything else becomes a proposal for an operator."""
    address = _addr(sender.address)
    if not sender.verified or "@" not in address:
        return False
    if case_sender and address == _addr(case_sender):
        return True
    return kind in (REMOVAL, REVIEW_ANSWER) and bool(operator_email) and address == _addr(operator_email)


def may_confirm_review(sender: Sender, *, review_to: str | None, operator_email: str | None) -> bool:
    """An access review is the driftsoperatør's to answer: at the address it was sent to (its registered
    address then) or the one registered now, and verified."""
    return may_answer(REVIEW_ANSWER, sender, case_sender=review_to, operator_email=operator_email)


def entitled_to_registry_facts(recipient: Sender, *, operator_email: str | None,
                               operator_domain: str | None) -> bool:
    """A reply may name registry facts (who holds a mobile, the role, a centre's administrators, the values
    of a case) only to the driftsoperatør itself: its registered address, or its domain, and only when IMDi's
    receiving host verified the mail. Everyone else gets the same short receipt whatever the registry holds."""
    address = _addr(recipient.address)
    if not recipient.verified or "@" not in address:
        return False
    return (bool(operator_email) and address == _addr(operator_email)) or within_domain(address, operator_domain)


# --- approval -----------------------------------------------------------------------------------------

# Findings no reason passes: what IMDi must do itself first (confirm an OCR reading, choose the person).
FIRM = frozenset({"form.ocr", "removal.person_unknown"})

# What approval asks a reason for besides the findings themselves (findings use their own codes).
UNVERIFIED = "sender.unverified"
PROPOSAL_PENDING = "proposal.pending"
LAST_ADMIN = "centre.last_admin"
OTHER_OWNER = "owner.other"


@dataclass(frozen=True)
class CaseFacts:
    """What the approval rule needs to know about a case, as it is now."""

    kind: str
    state: str
    findings: tuple[str, ...]  # the codes of the findings that stand
    from_mail: bool  # a mail asked for it (else IMDi support or the registry: nobody outside)
    sender_verified: bool  # the mail's sender was verified (meaningless without a mail)
    pending_proposals: int  # answers from senders who may not change the case, not yet decided
    last_admin_centres: tuple[str, ...]  # a removal: centres it would leave with no administrator
    owner: str | None  # the operator who took the case
    names_person: bool = True  # a removal: a registry user and centres are chosen


def firm_blockers(case: CaseFacts) -> list[str]:
    codes = {c for c in case.findings if c in FIRM}
    if case.kind == REMOVAL and not case.names_person:
        codes.add("removal.person_unknown")
    return sorted(codes)


def reasons_needed(case: CaseFacts, actor: str | None) -> list[str]:
    """Everything approval passes only with an operator's explicit reason (sorted, no repeats)."""
    codes = {c for c in case.findings if c not in FIRM}
    if case.from_mail and not case.sender_verified:
        codes.add(UNVERIFIED)
    if case.pending_proposals:
        codes.add(PROPOSAL_PENDING)
    if case.kind == REMOVAL and case.last_admin_centres:
        codes.add(LAST_ADMIN)
    if case.owner and case.owner != actor:
        codes.add(OTHER_OWNER)
    return sorted(codes)


def bulk_may_take(case: CaseFacts, actor: str | None) -> bool:
    """Bulk approval takes only a case waiting for review with nothing to ask about: no finding, a verified
    sender, no pending proposal, no centre left without an administrator, unowned or the actor's own."""
    return case.state == REVIEW and not firm_blockers(case) and not reasons_needed(case, actor)
