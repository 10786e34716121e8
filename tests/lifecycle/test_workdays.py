"""Working days skip weekends and Norwegian public holidays (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.core.workdays import add_working_days, is_working_day

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("day", [date(2026, 12, 25), date(2027, 1, 1), date(2026, 4, 2), date(2026, 4, 3),
                                 date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 14), date(2026, 5, 25)])
def test_public_holidays_are_not_working_days(day):
    assert not is_working_day(day)


def test_christmas_and_new_year_are_skipped():
    friday = datetime(2026, 12, 18, 9, 0, tzinfo=UTC)
    assert add_working_days(friday, 10) == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


def test_easter_is_skipped_and_the_day_is_oslos():
    # Wednesday 1 April 2026; Maundy Thursday, Good Friday and Easter Monday are holidays.
    assert add_working_days(datetime(2026, 4, 1, 10, 0, tzinfo=UTC), 1) == datetime(2026, 4, 7, 10, 0, tzinfo=UTC)
    # Friday 23:30 UTC is Saturday 00:30 in Oslo: one working day later is Monday 00:30 in Oslo (Sunday in UTC),
    # where counting in UTC would have made it Monday 23:30.
    late = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    assert add_working_days(late, 1) == datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
