"""Time: stored in UTC, shown in Oslo time (pure).

SQLite hands back naive datetimes; everything the pipeline stores is UTC, so a naive value is UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def now_utc() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def in_oslo(value: datetime) -> datetime:
    return aware(value).astimezone(OSLO)  # type: ignore[union-attr]


def cli_time(value: datetime | None) -> str:
    """'2026-12-01 22:41:07 +01:00': Oslo time to the second, with its offset (for IMDi support)."""
    if value is None:
        return "–"
    local = in_oslo(value)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def ui_time(value: datetime | None) -> str:
    """'01.12.2026 22:41': Oslo time as operators read it."""
    if value is None:
        return "–"
    return f"{in_oslo(value):%d.%m.%Y %H:%M}"
