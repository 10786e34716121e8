"""Which registry operator is asking: by organisation number, name, or e-mail domain; and whether the
sender is verified (SPF/DKIM/DMARC and the operator's domain)."""

from __future__ import annotations

import re
from typing import Any

from pipeline.checks.emails import email_domain
from pipeline.checks.model import Finding
from pipeline.checks.texts import finding
from pipeline.registry.lookup import OperatorInfo, RegistryLookup
from pipeline.registry.validate import orgnr_valid

# "Firma AS (org.nr. 815 071 980)", "orgnr: 815071980", "815 071 980"
_ORGNR = re.compile(r"(?<!\d)(\d{3})[ .\u00a0]?(\d{3})[ .\u00a0]?(\d{3})(?!\d)")
_FAILED = {"fail", "softfail", "permerror", "hardfail"}


def orgnrs_in(text: str | None) -> list[str]:
    return [n for n in ("".join(m.groups()) for m in _ORGNR.finditer(text or "")) if orgnr_valid(n)]


def match_operator(view: RegistryLookup, *, organisation: str | None, operator_email: str | None,
                   sender: str | None, applicant_email: str | None) -> tuple[OperatorInfo | None, str | None]:
    """(operator, how): how is orgnr, name, operator_email, sender or applicant_email."""
    for orgnr in orgnrs_in(organisation):
        op = view.operator_by_orgnr(orgnr)
        if op:
            return op, "orgnr"
    if organisation:
        name = _ORGNR.sub(" ", organisation)
        name = re.sub(r"\(?\s*org\.?\s*(?:nr|nummer)\.?:?\s*\)?", " ", name, flags=re.IGNORECASE)
        op = view.operator_by_name(name)
        if op:
            return op, "name"
    for how, address in (("operator_email", operator_email), ("sender", sender),
                         ("applicant_email", applicant_email)):
        domain = email_domain(address)
        found = view.operators_by_domain(domain) if domain else []
        if len(found) == 1:
            return found[0], how
    return None, None


def _verdict(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("result") or value.get("verdict")
    if isinstance(value, list | tuple):
        return next((v for v in map(_verdict, value) if v in _FAILED), _verdict(value[0]) if value else "")
    return str(value or "").strip().lower()


def check_sender(sender: str | None, auth: dict[str, Any] | None, operator: OperatorInfo | None) -> Finding | None:
    """sender.unverified (a warning) when a verdict failed or the domain is not the operator's."""
    reasons = []
    for key in ("spf", "dkim", "dmarc"):
        verdict = _verdict((auth or {}).get(key))
        if verdict in _FAILED:
            reasons.append(f"{key.upper()} {verdict}")
    domain = email_domain(sender)
    if domain and operator is None:
        reasons.append("no registry operator matches the form or the sender")
    elif domain and operator and not (domain == operator.email_domain or domain.endswith("." + operator.email_domain)):
        reasons.append(f"domain {domain} is not {operator.operator_id}'s {operator.email_domain}")
    if not reasons:
        return None
    return finding("sender.unverified", None, {"sender": sender, "reasons": reasons,
                                               "operator_id": operator.operator_id if operator else None},
                   sender=sender or "?", reason="; ".join(reasons))
