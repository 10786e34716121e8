"""Validation rules: a FormReading in, findings out (pure, against a read-only registry view).

    check_reading(reading, view, *, sender=None, auth=None, exclude_task_id=None) -> CheckResult

Rules live in small modules: required, emails, mobile, centres, operator; texts in messages.
"""

from pipeline.checks.model import BLOCKING_CODES, CheckResult, Finding, ResolvedCentre, is_blocking

__all__ = ["BLOCKING_CODES", "CheckResult", "Finding", "ResolvedCentre", "check_reading", "is_blocking",
           "make_reading", "reading_from_json"]


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # Lazy: importing the pure model (as the queue and forms code do) must not pull in the database layer.
    if name == "check_reading":
        from pipeline.checks.check import check_reading

        return check_reading
    if name in ("reading_from_json", "make_reading"):
        from pipeline.checks import readings

        return getattr(readings, name)
    raise AttributeError(name)
