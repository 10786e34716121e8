"""Rendering the reply e-mails (pure: a kind and a context in, subject, text and HTML out).

Templates live in `templates/email/`: one shared layout (`_layout.txt`, `_layout.html`) and, per kind,
`<kind>.txt` (which also defines `{% block subject %}`) and `<kind>.html`. HTML templates are
autoescaped; every template uses StrictUndefined, so a missing context value fails loudly in tests
instead of leaving a gap in a mail to a driftsoperatør.

Context (see `base_context`): signature, sender_address, sender_name, case_ref, applicant
{first_name, last_name, email, mobile, position}, operator {...}, centres [{written, mottaksnummer,
name}], fields [(label, value)], problems [str], note, verified (False: the reply goes to a sender
IMDi's mail host did not vouch for, or not as the operator's, so it quotes no values and no registry
facts), in_body (the form was pasted in the mail), and per kind: reason (rejection), user_id
(confirmation), errors [{filename, message}] (unreadable; the message says what is wrong, the template
says once what to send instead); task_kind (removal replies and rejection), user_removed
(removal_confirmation), review (review, review_reminder). Mobile numbers are printed with the `phone`
filter (+47 984 02 571).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipeline.core.domain import CENTRES, FIELD_LABELS, FIELD_PATHS, REPLY_KINDS
from pipeline.resources import templates_dir

KINDS = tuple(REPLY_KINDS)

EMPTY = "(ikke fylt ut)"

# What was wrong with an attachment, as a statement: the reply says once, at the end, what to send.
UNREADABLE_REASONS: dict[str, str] = {
    "unreadable.corrupt": "filen er skadet og kunne ikke åpnes",
    "unreadable.encrypted": "filen er passordbeskyttet",
    "unreadable.scanned": "filen er et skannet bilde eller et bilde der feltene ikke kunne leses maskinelt (uskarpt, skjevt eller bare en del av siden)",
    "unsupported.format": "filformatet kan vi ikke lese",
    "unsupported.format.doc": "filen er i det eldre Word-formatet (.doc), som vi ikke kan lese",
    "limit.exceeded": "filen er for stor eller for sammensatt til å behandles automatisk",
    "limit.exceeded.message": "e-posten var for stor eller hadde for mange eller for store vedlegg til å "
                              "behandles automatisk",
}


def unreadable_reason(code: str, filename: str | None = None) -> str:
    if code == "unsupported.format" and (filename or "").lower().endswith(".doc"):
        code = "unsupported.format.doc"
    return UNREADABLE_REASONS.get(code) or UNREADABLE_REASONS.get(code.split(".")[0], "filen kunne ikke leses")


def format_phone(value: Any) -> str:
    """+47 984 02 571 for a Norwegian number in E.164, the international form for others; anything
    that is not a number in E.164 as it is."""
    text = "" if value is None else str(value)
    if not (text.startswith("+") and text[1:].isdigit()):
        return text
    if text.startswith("+47") and len(text) == 11:
        d = text[3:]
        return f"+47 {d[:3]} {d[3:5]} {d[5:]}" if d[0] in "49" else f"+47 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}"
    try:
        import phonenumbers

        number = phonenumbers.parse(text)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except Exception:  # noqa: BLE001 - not a number after all: as written
        return text


@dataclass(frozen=True)
class RenderedReply:
    subject: str
    text: str
    html: str


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir() / "email")),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["phone"] = format_phone
    return env


def render(kind: str, context: dict[str, Any]) -> RenderedReply:
    if kind not in KINDS:
        raise ValueError(f"unknown reply kind {kind!r}")
    env = environment()
    ctx = {**base_context(), **context}
    text_t = env.get_template(f"{kind}.txt")
    subject = "".join(text_t.blocks["subject"](text_t.new_context(ctx))).strip()
    text = text_t.render(ctx)
    html = env.get_template(f"{kind}.html").render(ctx)
    # One line, no CR/LF: the subject goes into a header.
    subject = " ".join(subject.split())
    return RenderedReply(subject=subject, text=_tidy(text), html=html)


def base_context() -> dict[str, Any]:
    """Every key a template may use, with an empty default, so StrictUndefined only trips on typos."""
    return {
        "signature": "",
        "sender_address": "",
        "sender_name": None,
        "case_ref": None,
        "applicant": {"first_name": None, "last_name": None, "email": None, "mobile": None, "position": None},
        "operator": {"organisation": None, "manager": None, "email": None, "phone": None},
        "centres": [],
        "fields": [],
        "problems": [],
        "scanned": False,  # the form was a scan or photo, read by OCR
        "note": None,
        "reason": None,
        "user_id": None,
        "errors": [],
        "empty": EMPTY,
        "task_kind": "grant",
        # False when the mail we answer is not verified as the operator's: then nothing from the registry
        # (who holds a role where) is written back (DESIGN.md).
        "verified": True,
        "user_removed": False,
        "review": None,  # review and review_reminder: {"ref", "operator", "listing", "due"}
        "in_body": False,
    }


def fields_as_read(values: dict[str, Any], centres: list[str]) -> list[tuple[str, str]]:
    """[(label, value)] for the sender to compare with what they meant to write."""
    phones = ("applicant.mobile", "operator.phone")
    out = [(FIELD_LABELS[path], (format_phone(values.get(path)) if path in phones else values.get(path)) or EMPTY)
           for path in FIELD_PATHS]
    out.append((FIELD_LABELS[CENTRES], "; ".join(centres) if centres else EMPTY))
    return out


def _tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces (templates with conditionals leave some)."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"
