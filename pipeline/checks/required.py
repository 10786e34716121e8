"""Required fields (DESIGN.md): the operator's organisation, the applicant's names, e-mail and mobile,
and at least one centre."""

from __future__ import annotations

from pipeline.checks.findings import Finding
from pipeline.checks.texts import finding
from pipeline.core.domain import REQUIRED_FIELDS
from pipeline.forms.reading import FormReading, fold


def check_required(reading: FormReading) -> list[Finding]:
    found = [finding(f"field.missing:{path}", path) for path in REQUIRED_FIELDS if not fold(reading.value(path))]
    if not any(fold(name) for name in reading.centre_names()):
        found.append(finding("field.missing:centres", "centres"))
    return found
