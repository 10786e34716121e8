"""Views of a task: the values in force (reading + corrections), JSON for the CLI, export rows, reply context."""

from __future__ import annotations

from typing import Any

from pipeline.checks.model import is_blocking
from pipeline.db.models import Task
from pipeline.domain import CENTRES, FIELD_LABELS, ROLE, field_label
from pipeline.forms.model import FIELD_PATHS, FieldValue, FormReading, Provenance
from pipeline.render import fields_as_read
from pipeline.settings import Settings

CENTRE_SEPARATORS = (";", "\n")


def written_values(task: Task) -> dict[str, Any]:
    """Field path → value as the sender wrote it, with operators' corrections laid over it."""
    reading = task.reading or {}
    values: dict[str, Any] = {}
    for path in FIELD_PATHS:
        section, name = path.split(".")
        values[path] = (reading.get(section) or {}).get(name)
    values["centres"] = list(reading.get("centres") or [])
    values.update(task.corrections or {})
    return values


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


def applicant_json(task: Task) -> dict[str, Any]:
    return {"first_name": task.first_name, "last_name": task.last_name, "email": task.email,
            "mobile": task.mobile, "position": task.position}


def has_blocking(task: Task) -> bool:
    return any(is_blocking(f.code) for f in task.findings)


def task_json(task: Task, message_id: str | None, *, full: bool = False) -> dict[str, Any]:
    """The `pipeline queue list --json` contract (DESIGN.md), plus case_ref and timestamps."""
    out: dict[str, Any] = {
        "id": task.id,
        "case_ref": task.case_ref,
        "state": task.state,
        "message_id": message_id,
        "sender": task.sender,
        "applicant": applicant_json(task),
        "operator": dict(task.operator or {}),
        "operator_id": task.operator_id,
        "centres": [{"written": c.written, "mottaksnummer": c.mottaksnummer, "name": c.name} for c in task.centres],
        "findings": [{"code": f.code, "severity": f.severity, "field": f.field} for f in task.findings],
        "blocking": has_blocking(task),
        "extends_user_id": task.extends_user_id,
        "provisioned_user_id": task.provisioned_user_id,
        "superseded_by_id": task.superseded_by_id,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }
    if full:
        out["findings"] = [{"code": f.code, "severity": f.severity, "field": f.field, "message": f.message_no,
                            "message_en": f.message_en, "details": f.details} for f in task.findings]
        out["reading"] = task.reading
        out["corrections"] = task.corrections
        out["decision_reason"] = task.decision_reason
        out["override_reason"] = task.override_reason
        out["reminder_sent_at"] = task.reminder_sent_at
        out["answered_at"] = task.answered_at
    return out


def export_row(task: Task) -> dict[str, Any]:
    """What an operator types into IMDinett to create the user."""
    return {
        "case_ref": task.case_ref,
        "first_name": task.first_name,
        "last_name": task.last_name,
        "name": " ".join(p for p in (task.first_name, task.last_name) if p),
        "email": task.email,
        "mobile": task.mobile,
        "role": ROLE,
        "centres": [{"mottaksnummer": c.mottaksnummer, "name": c.name or c.written} for c in task.centres],
        "operator": (task.operator or {}).get("organisation"),
        "operator_id": task.operator_id,
        "extends_user_id": task.extends_user_id,
    }


# Findings whose text tells a registry fact (a mobile is taken, a centre's administrators, who runs a
# centre): said only to a verified sender. The mobile's own text says only "already in use", no name.
REGISTRY_FACTS = frozenset({"mobile.duplicate", "centre.admin_limit", "centre.other_operator"})


def reply_context(task: Task | None, settings: Settings, *, verified: bool = True) -> dict[str, Any]:
    """The template context for a reply about `task`. Unverified (the recipient is a sender IMDi's mail
    host did not vouch for): no values from the form, no registry facts, each problem only by its field."""
    ctx: dict[str, Any] = {"signature": settings.signature, "sender_address": _address_of(settings.reply_from),
                           "verified": verified}
    if task is None:
        return ctx
    blocking = [f for f in task.findings if is_blocking(f.code)]
    in_body = any(f.code == "form.in_body" for f in task.findings)
    if not verified:
        problems = [f"«{field_label(f.field)}» må rettes eller fylles ut." if f.field else
                    "Skjemaet må sendes som vedlegg (Word-fil eller PDF)." if f.code == "form.in_body" else
                    "Skjemaet må rettes."
                    for f in blocking if f.code.split(":", 1)[0] not in REGISTRY_FACTS]
        ctx.update(case_ref=task.case_ref, problems=list(dict.fromkeys(problems)), in_body=in_body,
                   reason=task.decision_reason, user_id=None)
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
        problems=list(dict.fromkeys(f.message_no for f in blocking)),
        in_body=in_body,
        user_id=task.provisioned_user_id,
        reason=task.decision_reason,
    )
    return ctx


def _address_of(text: str) -> str:
    from email.utils import parseaddr

    return parseaddr(text)[1] or text
