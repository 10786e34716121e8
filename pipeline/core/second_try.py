"""When a stored failure to draw or render a case's file is tried again.

The case page's pictures (pipeline.steps.pictures) and Word text (pipeline.usecases.word_renderings) are made
once and kept, failures included, so that a hostile file costs the sandbox's time once, not on every
view. A failure for want of time or memory (limit.exceeded: the child was killed, or did not start in
time) may be the machine's, busy for a moment, rather than the file's: it is tried again once it is
RETRY_AFTER old, so one busy minute does not hide a case's document for good, while a hostile file
costs one try per RETRY_AFTER.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pipeline.core.clock import aware, now_utc
from pipeline.errors import LimitExceeded

RETRY_AFTER = timedelta(minutes=10)
RETRIED_CODES = frozenset({LimitExceeded.code})


def due(code: str | None, failed_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a failure stored at `failed_at` with `code` is to be tried again now."""
    when = aware(failed_at)
    return code in RETRIED_CODES and when is not None and when <= (now or now_utc()) - RETRY_AFTER
