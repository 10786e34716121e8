"""Working days in Norway (pure): Monday to Friday, except the public holidays (helligdager) that the
`holidays` package knows: New Year's Day, Maundy Thursday, Good Friday, Easter Monday, 1 and 17 May,
Ascension Day, Whit Monday, Christmas Day and Boxing Day. Reminders to senders and access reviews
count in these.

    add_working_days(start, n) -> the moment n working days after start (same time of day)
    is_working_day(day) -> bool
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

import holidays

from pipeline.core.clock import OSLO


@cache
def _norway(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NO", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _norway(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment `days` working days after `start`. The calendar day is taken in Oslo: a mail sent on
    Friday 23:30 UTC is Saturday in Norway."""
    local = start.astimezone(OSLO) if start.tzinfo else start
    at = local
    while days > 0:
        at += timedelta(days=1)
        if is_working_day(at.date()):
            days -= 1
    return at.astimezone(start.tzinfo) if start.tzinfo else at
