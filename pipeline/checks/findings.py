"""What checking a form yields: findings, resolved centres, normalised values (pure data)."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]

# Two questions a finding answers, kept apart:
#  - does the SENDER have to answer it? Then the case starts in needs_info and the request for
#    information lists it (DESIGN.md's list; field.missing:* too);
#  - does it stop APPROVAL? Every finding the sender must answer does (an operator may still approve
#    with an override and a reason), and so do the findings a person at IMDi clears instead of the
#    sender: the case waits in review, the sender is asked nothing, and approval is refused outright
#    until an operator has done what the finding says.
SENDER_CODES = frozenset({
    "mobile.invalid", "mobile.not_mobile", "mobile.duplicate", "email.invalid:applicant.email",
    "centre.unknown", "centre.ambiguous", "centre.inactive", "form.in_body", "unreadable.scanned",
})
# form.ocr: the values were read by OCR from a scan or photo; an operator confirms them against the page.
# removal.person_unknown: a removal that names nobody with confidence; an operator chooses the person.
OPERATOR_CODES = frozenset({"form.ocr", "removal.person_unknown"})


def needs_sender(code: str) -> bool:
    """The sender must answer it: the case starts in (or goes back to) needs_info, and is asked."""
    return code in SENDER_CODES or code.startswith("field.missing:")


def blocks_approval(code: str) -> bool:
    """Approval is refused while it stands (with an override only where `overridable`)."""
    return needs_sender(code) or code in OPERATOR_CODES


def overridable(code: str) -> bool:
    """An operator may approve despite it, giving a reason; not so what IMDi must do itself first."""
    return code not in OPERATOR_CODES


class CodeRules:
    """What a finding's code means for the case: whether the sender is asked, whether approval is blocked.
    Shared by the finding as the checks make it and as the read models show it."""

    code: str

    @property
    def needs_sender(self) -> bool:
        return needs_sender(self.code)

    @property
    def blocks_approval(self) -> bool:
        return blocks_approval(self.code)


@dataclass(frozen=True)
class Finding(CodeRules):
    code: str
    severity: Severity
    field: str | None
    message_no: str  # for the sender; never names another person
    message_en: str  # for the log and the operator
    details: dict[str, Any] = dataclasses.field(default_factory=dict)  # e.g. suggestions, the mobile's holder

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "field": self.field, "message": self.message_no}


@dataclass(frozen=True)
class ResolvedCentre:
    written: str
    mottaksnummer: str | None
    name: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckResult:
    findings: list[Finding]
    centres: list[ResolvedCentre]
    applicant: dict[str, str | None]  # normalised: E.164 mobile, normalised e-mail, names folded
    operator: dict[str, str | None]
    operator_id: str | None = None
    extends_user_id: str | None = None  # the applicant already is this registry user
    mobile_country: str | None = None  # ISO region of the mobile (NO, SE, ...): shown for numbers abroad
    operator_match: str | None = None  # how operator_id was found: orgnr, name, operator_email, sender, ...

    @property
    def needs_sender(self) -> bool:
        return any(f.needs_sender for f in self.findings)

    @property
    def initial_state(self) -> str:
        return "needs_info" if self.needs_sender else "review"
