"""Field validators shared by the registry import and the checks (pure)."""

from __future__ import annotations

import functools
import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import PhoneNumberType

_ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def orgnr_valid(orgnr: str) -> bool:
    """Nine digits with a valid mod-11 check digit (Brønnøysundregistrene's rule)."""
    if not re.fullmatch(r"\d{9}", orgnr):
        return False
    rest = sum(int(d) * w for d, w in zip(orgnr, _ORGNR_WEIGHTS, strict=False)) % 11
    check = 0 if rest == 0 else 11 - rest
    return check != 10 and check == int(orgnr[8])


def domain_valid(domain: str) -> bool:
    return bool(_DOMAIN.match(domain))


def normalise_email(value: str, *, check_deliverability: bool = False) -> str:
    """The normalised address (domain lower-cased); raises ValueError with the reason.

    Accepts "Name <x@y.no>" and "mailto:x@y.no", which people paste from their mail program.
    """
    text = value.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:].split("?", 1)[0].strip()
    plain = _PLAIN.match(text)
    if plain and not check_deliverability and len(plain.group(1)) <= 64 and len(text) <= 254:
        return f"{plain.group(1)}@{_plain_domain(plain.group(2).lower())}"
    try:
        info = validate_email(text, check_deliverability=check_deliverability, allow_display_name=True)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    return info.normalized


# A plain ASCII address: a dot-atom local part and a domain of letter, digit and hyphen labels. Every such
# local part of at most 64 characters is one email-validator accepts as it is, so its verdict on the address
# is its verdict on the domain, which is asked once per domain (a registry import reads 100,000 addresses on a
# few hundred domains; the domain's checks were most of its time). Anything else goes to email-validator whole.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN = re.compile(rf"^({_ATOM}(?:\.{_ATOM})*)@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+[A-Za-z]{{2,63}})$")


@functools.lru_cache(maxsize=4096)
def _plain_domain(domain: str) -> str:
    try:
        return validate_email(f"a@{domain}", check_deliverability=False).domain
    except EmailNotValidError as exc:
        raise ValueError(str(exc).replace("a@", "", 1)) from exc


def email_key(value: str) -> str:
    """How e-mail addresses are compared and stored in the registry: case-insensitively."""
    return value.casefold()


def parse_phone(value: str, region: str = "NO") -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None


def e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _e164_number(value: str) -> phonenumbers.PhoneNumber | None:
    """An E.164 string as phonenumbers.parse reads it. A Norwegian one (+47, no leading zero) is built
    directly: parse would find the same country code and national number, and took half of a 100,000-user
    import's phone checks."""
    if value.startswith("+47") and len(value) > 3 and value[3] != "0":
        return phonenumbers.PhoneNumber(country_code=47, national_number=int(value[3:]))
    return parse_phone(value)


def registry_mobile_error(value: str) -> str | None:
    """Why a registry mobile (E.164 as stored) is not acceptable, or None."""
    if not re.fullmatch(r"\+[1-9]\d{6,14}", value):
        return f"mobile {value!r} is not in E.164 form (+47 and 8 digits)"
    number = _e164_number(value)
    # number_type is UNKNOWN for an invalid number, so one call answers both (is_valid_number would
    # compute the type a second time: a third of a 100,000-user import).
    kind = phonenumbers.number_type(number) if number is not None else PhoneNumberType.UNKNOWN
    if kind == PhoneNumberType.UNKNOWN:
        return f"mobile {value!r} is not a valid phone number"
    if kind not in MOBILE_TYPES:
        return f"mobile {value!r} is not a mobile number"
    return None


def phone_e164_error(value: str) -> str | None:
    if not re.fullmatch(r"\+[1-9]\d{6,14}", value):
        return f"phone {value!r} is not in E.164 form"
    number = parse_phone(value)
    if number is None or not phonenumbers.is_valid_number(number):
        return f"phone {value!r} is not a valid phone number"
    return None
