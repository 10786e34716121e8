"""A task's values in force (the reading with corrections laid over it), and the context of its replies."""

from __future__ import annotations

from typing import Any

from pipeline.adapters.db.models import Task
from pipeline.checks.findings import needs_sender
from pipeline.core.domain import CENTRES, FIELD_LABELS, field_label
from pipeline.core.render import fields_as_read
from pipeline.forms.reading import FIELD_PATHS, FieldValue, FormReading, Provenance
from pipeline.forms.reading import written_values as values_in_force
from pipeline.settings import Settings

CENTRE_SEPARATORS = (";", "\n")


def written_values(task: Task) -> dict[str, Any]:
    """Field path → value as the sender wrote it, with operators' corrections laid over it."""
    return values_in_force(task.reading, task.corrections)


def effective_reading(task: Task) -> FormReading:
    """A FormReading of the values in force, for checking again; corrected values say so in provenance."""
    reading = task.reading or {}
    source = reading.get("source") or {}
    corrected = task.corrections or {}
    values = written_values(task)
    fields = {}
    for path in FIELD_PATHS:
        where = Provenance("correction") if path in corrected else None
        fields[path] = FieldValue(values[path], where)
    centre_where = Provenance("correction") if "centres" in corrected else None
    return FormReading(
        form=reading.get("form", "mottaksadministrator"), filename=source.get("filename"),
        format=source.get("format", "docx"), method=source.get("method", "docx"), fields=fields,
        centres=[FieldValue(c, centre_where) for c in values["centres"] if c],
    )


def split_centres(value: Any) -> list[str]:
    items = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value or "")]
    for sep in CENTRE_SEPARATORS:
        items = [part for item in items for part in item.split(sep)]
    return [" ".join(i.split()) for i in items if i.strip()]


def asks_sender(task: Task) -> bool:
    """A finding stands that only the sender can answer: the case belongs in needs_info."""
    return any(needs_sender(f.code) for f in task.findings)


# Findings whose text tells a registry fact (a mobile is taken, a centre's administrators, who runs a
# centre): said only to a verified sender. The mobile's own text says only "already in use", no name.
REGISTRY_FACTS = frozenset({"mobile.duplicate", "centre.admin_limit", "centre.other_operator"})


def reply_context(task: Task | None, settings: Settings, *, verified: bool = True) -> dict[str, Any]:
    """The template context for a reply about `task`. Unverified (the recipient is a sender IMDi's mail
    host did not vouch for, or the case holds sender.unverified: not verified as the operator's): no
    values from the form, no registry facts, each problem only by its field."""
    ctx: dict[str, Any] = {"signature": settings.signature, "sender_address": _address_of(settings.reply_from),
                           "verified": verified}
    if task is None:
        return ctx
    verified = verified and not any(f.code == "sender.unverified" for f in task.findings)
    ctx.update(verified=verified, task_kind=task.kind or "grant")
    # Only what the sender can answer: what IMDi does itself (form.ocr) is not asked of them.
    asked = [f for f in task.findings if needs_sender(f.code)]
    in_body = any(f.code == "form.in_body" for f in task.findings)
    if not verified:
        problems = [f"«{field_label(f.field)}» må rettes eller fylles ut." if f.field else
                    "Skjemaet må sendes som vedlegg (Word-fil eller PDF)." if f.code == "form.in_body" else
                    "Skjemaet må rettes."
                    for f in asked if f.code.split(":", 1)[0] not in REGISTRY_FACTS]
        ctx.update(case_ref=task.case_ref, problems=list(dict.fromkeys(problems)), in_body=in_body,
                   reason=task.decision_reason, user_id=None, scanned=_scanned(task))
        return ctx
    values = written_values(task)
    ctx.update(
        case_ref=task.case_ref,
        applicant={"first_name": task.first_name or values["applicant.first_name"],
                   "last_name": task.last_name or values["applicant.last_name"],
                   "email": task.email or values["applicant.email"],
                   "mobile": task.mobile or values["applicant.mobile"],
                   "position": task.position or values["applicant.position"]},
        operator=dict(task.operator or {}),
        centres=[{"written": c.written, "mottaksnummer": c.mottaksnummer, "name": c.name} for c in task.centres],
        fields=fields_as_read(values, split_centres(values["centres"])),
        # Labels of the fields IMDi corrected, so that the sender is told we changed what they wrote.
        corrected=[FIELD_LABELS[path] for path in (*FIELD_PATHS, CENTRES) if path in (task.corrections or {})],
        # Only what the sender can answer: what IMDi does itself (form.ocr) is not asked of them.
        problems=list(dict.fromkeys(f.message_no for f in asked)),
        in_body=in_body,
        # The form was a scan or photo read by OCR: the receipt says IMDi reads it and checks it by hand.
        scanned=_scanned(task),
        user_id=task.provisioned_user_id,
        reason=task.decision_reason,
    )
    return ctx


def _scanned(task: Task) -> bool:
    """The form was a scan or photo read by OCR: the receipt says IMDi reads it and checks it by hand."""
    return bool(((task.reading or {}).get("source") or {}).get("method") == "ocr")


def _address_of(text: str) -> str:
    from email.utils import parseaddr

    return parseaddr(text)[1] or text
