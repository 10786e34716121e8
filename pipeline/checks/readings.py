"""A FormReading from the `pipeline parse --json` shape: lets `pipeline check` take a saved reading and
lets tests and fixtures check a reading without a .docx or .pdf."""

from __future__ import annotations

from typing import Any

from pipeline.forms.reading import FIELD_PATHS, FieldValue, FormReading


def reading_from_json(data: dict[str, Any], filename: str | None = None) -> FormReading:
    source = data.get("source") or {}
    fields = {}
    for path in FIELD_PATHS:
        section, name = path.split(".")
        value = (data.get(section) or {}).get(name)
        if value is not None:
            fields[path] = FieldValue(str(value))
    centres = [FieldValue(str(c)) for c in data.get("centres") or [] if c]
    return FormReading(form=data.get("form") or "mottaksadministrator", filename=source.get("filename") or filename,
                       format=source.get("format") or "text", method=source.get("method") or "json",
                       fields=fields, centres=centres)


def make_reading(*, organisation: str | None = None, manager: str | None = None, op_email: str | None = None,
                 op_phone: str | None = None, first_name: str | None = None, last_name: str | None = None,
                 email: str | None = None, mobile: str | None = None, position: str | None = None,
                 centres: tuple[str, ...] | list[str] = ()) -> FormReading:
    """A reading built from keyword values (the names of `reading` in tools/fixtures/common.py)."""
    return reading_from_json({
        "operator": {"organisation": organisation, "manager": manager, "email": op_email, "phone": op_phone},
        "applicant": {"first_name": first_name, "last_name": last_name, "email": email, "mobile": mobile,
                      "position": position},
        "centres": list(centres),
    })
