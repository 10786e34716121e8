"""The CLI's text output in the operators' words: the same Norwegian labels as the web UI
(pipeline.core.domain, pipeline.core.labels); codes stay in --json."""

from __future__ import annotations

from pipeline.core.domain import KIND_LABELS, ORIGINS, REPLY_KINDS, REPLY_STATES, REVIEW_STATES, field_label
from pipeline.core.domain import state_label as _state_label
from pipeline.core.labels import ATTACHMENT_CODES, FINDINGS, OUTCOMES, audit_label

__all__ = ["audit_label", "field_label"]

SEVERITIES = {"error": "feil", "warning": "advarsel", "info": "merknad"}


def count(n: int, one: str, many: str) -> str:
    """'1 melding', '3 meldinger'."""
    return f"{n} {one if n == 1 else many}"


def state(code: str | None, kind: str | None = None) -> str:
    return _state_label(code, kind)


def kind(code: str | None) -> str:
    return KIND_LABELS.get(code or "", code or "–")


def outcome(code: str | None) -> str:
    """What became of a message; one still being processed (or waiting for another try) has none yet."""
    if code in (None, "", "retrying"):
        return "Under behandling"
    return OUTCOMES.get(code, code)


def attachment(code: str) -> str:
    return ATTACHMENT_CODES.get(code, code)


def finding(code: str) -> str:
    base, _, path = code.partition(":")
    words = FINDINGS.get(base, code)
    return f"{words} ({field_label(path).lower()})" if path else words


def severity(code: str) -> str:
    return SEVERITIES.get(code, code)


def review_state(code: str) -> str:
    return REVIEW_STATES.get(code, code)


def reply_state(code: str) -> str:
    return REPLY_STATES.get(code, code)


def reply_kind(code: str) -> str:
    return REPLY_KINDS.get(code, code)


def origin(code: str | None) -> str:
    return ORIGINS.get(code or "", code or "–")
