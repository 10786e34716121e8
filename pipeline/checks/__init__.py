"""Validation rules: a FormReading in, findings out (pure, against a read-only registry view).

    check_reading(reading, view, *, sender=None, auth=None, exclude_task_id=None,
                  reading_confirmed=False) -> CheckResult

Rules live in small modules: required, emails, mobile, centres, operator, source; texts in texts.
What a finding means for the case: needs_sender(code) (the case starts in needs_info and the sender is
asked) and blocks_approval(code) (approval is refused; with an override only where overridable(code)).
"""

from pipeline.checks.findings import (
    OPERATOR_CODES,
    SENDER_CODES,
    CheckResult,
    Finding,
    ResolvedCentre,
    blocks_approval,
    needs_sender,
    overridable,
)

__all__ = ["OPERATOR_CODES", "SENDER_CODES", "CheckResult", "Finding", "ResolvedCentre", "blocks_approval",
           "check_reading", "make_reading", "needs_sender", "overridable", "reading_from_json"]


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # Lazy: importing the pure model (as the queue and forms code do) must not pull in the database layer.
    if name == "check_reading":
        from pipeline.checks.check import check_reading

        return check_reading
    if name in ("reading_from_json", "make_reading"):
        from pipeline.checks import readings

        return getattr(readings, name)
    raise AttributeError(name)
