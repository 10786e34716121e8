"""What checking a form yields: findings, resolved centres, normalised values (pure data)."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]

# Findings that make a task start in needs_info (DESIGN.md); field.missing:* blocks too.
BLOCKING_CODES = frozenset({
    "mobile.invalid", "mobile.not_mobile", "mobile.duplicate", "email.invalid:applicant.email",
    "centre.unknown", "centre.ambiguous", "centre.inactive", "form.in_body", "unreadable.scanned",
})


def is_blocking(code: str) -> bool:
    return code in BLOCKING_CODES or code.startswith("field.missing:")


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    field: str | None
    message_no: str  # for the sender; never names another person
    message_en: str  # for the log and the operator
    details: dict[str, Any] = dataclasses.field(default_factory=dict)  # e.g. suggestions, the mobile's holder

    @property
    def blocking(self) -> bool:
        return is_blocking(self.code)

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
    def blocking(self) -> bool:
        return any(f.blocking for f in self.findings)

    @property
    def initial_state(self) -> str:
        return "needs_info" if self.blocking else "review"
