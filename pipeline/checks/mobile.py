"""Mobile numbers: phonenumbers in the default region (NO), to E.164; and who already holds one."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

from pipeline.checks.findings import Finding
from pipeline.checks.texts import finding
from pipeline.core.names import same_person
from pipeline.registry.lookup import RegistryLookup
from pipeline.registry.validate import MOBILE_TYPES, e164

__all__ = ["Mobile", "check_duplicate", "parse_mobile", "same_person"]

# Words people write around a number: "(privat)", "Mob:", "tlf.", "mobil nr".
_NOISE = re.compile(r"\((?:privat|jobb|arbeid|mobil)\)|\b(?:mob(?:il)?(?:\s*nr)?|tlf|telefon|privat|jobb)\b\.?:?",
                    re.IGNORECASE)
_TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "landline", PhoneNumberType.TOLL_FREE: "toll-free number",
    PhoneNumberType.PREMIUM_RATE: "premium-rate number", PhoneNumberType.SHARED_COST: "shared-cost number",
    PhoneNumberType.VOIP: "VoIP number", PhoneNumberType.PERSONAL_NUMBER: "personal number",
    PhoneNumberType.PAGER: "pager", PhoneNumberType.UAN: "company number", PhoneNumberType.VOICEMAIL: "voicemail",
}


@dataclass(frozen=True)
class Mobile:
    e164: str | None  # set when it is a valid number, mobile or not
    country: str | None  # ISO region, e.g. NO, SE
    finding: Finding | None


def parse_mobile(value: str | None, region: str = "NO") -> Mobile:
    if not value:
        return Mobile(None, None, None)
    text = _NOISE.sub(" ", value).strip(" :,;")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        return Mobile(None, None, finding("mobile.invalid", "applicant.mobile", {"value": value},
                                          value=value, reason=str(exc)))
    if not phonenumbers.is_valid_number(number):
        return Mobile(None, None, finding("mobile.invalid", "applicant.mobile", {"value": value},
                                          value=value, reason="not a valid number"))
    normalised = e164(number)
    country = phonenumbers.region_code_for_number(number)
    kind = phonenumbers.number_type(number)
    if kind not in MOBILE_TYPES:
        kind_name = _TYPE_NAMES.get(kind, "number that is not a mobile")
        return Mobile(normalised, country, finding(
            "mobile.not_mobile", "applicant.mobile", {"value": value, "e164": normalised, "type": kind_name,
                                                      "country": country},
            value=value, e164=normalised, kind=kind_name))
    return Mobile(normalised, country, None)


def check_duplicate(view: RegistryLookup, mobile: str, *, first: str | None, last: str | None,
                    email: str | None, exclude_task_id: int | None = None) -> tuple[str | None, Finding | None]:
    """(registry user the applicant already is, or None; mobile.duplicate or None).

    Same mobile is only a duplicate when it belongs to a different person: the same person
    applying for more centres extends their user.
    """
    user = view.user_by_mobile(mobile)
    if user is not None:
        if same_person(first, last, email, user.first_name, user.last_name, user.email):
            return user.user_id, None
        holder = f"registry user {user.first_name} {user.last_name} ({user.user_id})"
        return None, finding("mobile.duplicate", "applicant.mobile", {
            "e164": mobile, "holder": {"kind": "registry", "user_id": user.user_id,
                                       "name": f"{user.first_name} {user.last_name}", "email": user.email}},
            e164=mobile, holder=holder)
    for task in view.open_tasks_by_mobile(mobile, exclude_task_id=exclude_task_id):
        if same_person(first, last, email, task.first_name, task.last_name, task.email):
            continue
        name = " ".join(p for p in (task.first_name, task.last_name) if p) or "unnamed applicant"
        return None, finding("mobile.duplicate", "applicant.mobile", {
            "e164": mobile, "holder": {"kind": "task", "task_id": task.id, "case_ref": task.case_ref,
                                       "name": name, "email": task.email}},
            e164=mobile, holder=f"{name} in open task {task.case_ref}")
    return None, None
