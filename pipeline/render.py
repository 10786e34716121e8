"""Rendering the reply e-mails (pure: a kind and a context in, subject, text and HTML out).

Templates live in `templates/email/`: one shared layout (`_layout.txt`, `_layout.html`) and, per kind,
`<kind>.txt` (which also defines `{% block subject %}`) and `<kind>.html`. HTML templates are
autoescaped; every template uses StrictUndefined, so a missing context value fails loudly in tests
instead of leaving a gap in a mail to a driftsoperatør.

Context (see `base_context`): signature, sender_address, sender_name, case_ref, applicant
{first_name, last_name, email, mobile, position}, operator {...}, centres [{written, mottaksnummer,
name}], fields [(label, value)], problems [str], note, and per kind: reason (rejection), user_id
(confirmation), errors [{filename, message}] (unreadable); task_kind and verified (removal replies
and rejection), user_removed (removal_confirmation), review (review, review_reminder).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipeline.domain import CENTRES, FIELD_LABELS, FIELD_PATHS, REPLY_KINDS
from pipeline.resources import templates_dir

KINDS = tuple(REPLY_KINDS)

EMPTY = "(ikke fylt ut)"


@dataclass(frozen=True)
class RenderedReply:
    subject: str
    text: str
    html: str


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir() / "email")),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


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
    }


def fields_as_read(values: dict[str, Any], centres: list[str]) -> list[tuple[str, str]]:
    """[(label, value)] for the sender to compare with what they meant to write."""
    out = [(FIELD_LABELS[path], values.get(path) or EMPTY) for path in FIELD_PATHS]
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
