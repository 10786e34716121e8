"""check_reading: one form reading against the registry, all rules, one CheckResult."""

from __future__ import annotations

from typing import Any

from pipeline.checks.centre_checks import Applicant, check_centres
from pipeline.checks.emails import check_email
from pipeline.checks.findings import CheckResult, Finding
from pipeline.checks.mobile import Mobile, check_duplicate, parse_mobile
from pipeline.checks.operator import check_sender, match_operator
from pipeline.checks.required import check_required
from pipeline.checks.source import check_source
from pipeline.forms.reading import FormReading, fold
from pipeline.registry.lookup import RegistryLookup
from pipeline.registry.validate import e164, parse_phone
from pipeline.settings import Settings


def check_reading(reading: FormReading, view: RegistryLookup, *, sender: str | None = None,
                  auth: dict[str, Any] | None = None, exclude_task_id: int | None = None,
                  settings: Settings, reading_confirmed: bool = False) -> CheckResult:
    """Check a form: required fields, addresses, the mobile, the centres, the operator, the sender, and
    how it was read.

    exclude_task_id: the task being re-checked (its own mobile and centres are not a clash).
    reading_confirmed: an operator confirmed an OCR reading against the page (no form.ocr).
    """
    findings: list[Finding] = check_required(reading)
    value = reading.value

    op_email, bad = check_email(fold(value("operator.email")), "operator.email",
                                check_deliverability=settings.check_deliverability)
    findings += [bad] if bad else []
    email, bad = check_email(fold(value("applicant.email")), "applicant.email",
                             check_deliverability=settings.check_deliverability)
    findings += [bad] if bad else []

    first, last = fold(value("applicant.first_name")), fold(value("applicant.last_name"))
    mobile = parse_mobile(fold(value("applicant.mobile")), settings.default_region)
    extends, mobile_findings = _mobile(view, mobile, first=first, last=last, email=email,
                                       exclude_task_id=exclude_task_id)
    findings += mobile_findings

    organisation = fold(value("operator.organisation"))
    operator, how = match_operator(view, organisation=organisation, operator_email=op_email,
                                   sender=sender, applicant_email=email)
    centres, centre_findings = check_centres(
        view, reading.centre_names(), operator_id=operator.operator_id if operator else None,
        applicant=Applicant(mobile=mobile.e164, email=email, user_id=extends), exclude_task_id=exclude_task_id)
    findings += centre_findings
    unverified = check_sender(sender, auth, operator)
    findings += [unverified] if unverified else []
    findings += check_source(reading, reading_confirmed=reading_confirmed)

    return CheckResult(
        findings=findings,
        centres=centres,
        applicant={
            "first_name": first, "last_name": last,
            "email": email or fold(value("applicant.email")),
            "mobile": mobile.e164 or fold(value("applicant.mobile")),
            "position": fold(value("applicant.position")),
        },
        operator={
            "organisation": organisation, "manager": fold(value("operator.manager")),
            "email": op_email or fold(value("operator.email")),
            "phone": _phone(fold(value("operator.phone")), settings.default_region),
        },
        operator_id=operator.operator_id if operator else None,
        extends_user_id=extends,
        mobile_country=mobile.country,
        operator_match=how,
    )


def _mobile(view: RegistryLookup, mobile: Mobile, *, first: str | None, last: str | None, email: str | None,
            exclude_task_id: int | None) -> tuple[str | None, list[Finding]]:
    """The mobile's findings, and the registry user the applicant already is (the same mobile and person,
    or failing that the same e-mail as exactly one user)."""
    if mobile.finding:
        return None, [mobile.finding]
    if not mobile.e164:
        return None, []
    extends, dup = check_duplicate(view, mobile.e164, first=first, last=last, email=email,
                                   exclude_task_id=exclude_task_id)
    if extends is None and dup is None and email:
        # Same e-mail as one registry user: the same person, now with another mobile.
        same = view.users_by_email(email)
        extends = same[0].user_id if len(same) == 1 else None
    return extends, [dup] if dup else []


def _phone(value: str | None, region: str) -> str | None:
    """E.164 when it parses as a valid number, else as written (the operator's phone is informative)."""
    if not value:
        return None
    import phonenumbers

    number = parse_phone(value, region)
    return e164(number) if number is not None and phonenumbers.is_valid_number(number) else value
