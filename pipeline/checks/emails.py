"""E-mail addresses: syntax by email-validator (DNS only when the settings ask for it)."""

from __future__ import annotations

from pipeline.checks.findings import Finding
from pipeline.checks.texts import finding
from pipeline.registry.validate import normalise_email


def check_email(value: str | None, path: str, *, check_deliverability: bool = False
                ) -> tuple[str | None, Finding | None]:
    """(normalised address or None, finding or None); an empty value is the required check's business."""
    if not value:
        return None, None
    try:
        return normalise_email(value, check_deliverability=check_deliverability), None
    except ValueError as exc:
        return None, finding(f"email.invalid:{path}", path, {"value": value, "reason": str(exc)},
                             value=value, reason=str(exc))


def email_domain(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip().strip(">").lower() or None
