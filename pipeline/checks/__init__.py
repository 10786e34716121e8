"""Validation rules: a FormReading in, findings out (pure, against a read-only registry view)."""

from pipeline.checks.model import BLOCKING_CODES, CheckResult, Finding, ResolvedCentre, is_blocking

__all__ = ["BLOCKING_CODES", "CheckResult", "Finding", "ResolvedCentre", "is_blocking"]
