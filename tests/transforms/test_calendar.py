"""The working-day calendar against the published England and Wales bank holidays.

``fixtures/bank_holidays_england_wales.csv`` is checked in from the government's published list
(one-off holidays included: VE day 2020, the Platinum Jubilee and State Funeral in 2022, the
Coronation in 2023), so a change in the holidays package that disagreed would fail here.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tests.conftest import FIXTURES
from vcc.transforms.calendar import WorkingDayCalendar

PUBLISHED = pd.read_csv(FIXTURES / "bank_holidays_england_wales.csv", parse_dates=["date"])
YEARS = range(2019, 2027)


@pytest.mark.parametrize("year", YEARS)
def test_non_working_weekdays_are_exactly_the_published_bank_holidays(year) -> None:
    calendar = WorkingDayCalendar()
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    weekdays = days[days.day_of_week < 5]
    closed = {day.date() for day in weekdays if not calendar.is_working_day(day.date())}
    published = {day.date() for day in PUBLISHED["date"] if day.year == year}
    assert closed == published


def test_calendar_covers_2015_to_2035() -> None:
    calendar = WorkingDayCalendar()
    years = {day.astype("datetime64[Y]").astype(int) + 1970 for day in calendar.holidays}
    assert set(range(2015, 2036)) <= years
    assert not calendar.is_working_day(dt.date(2035, 12, 25))


def test_working_days_between_counts_days_after_the_start() -> None:
    calendar = WorkingDayCalendar()
    start = pd.Series(pd.to_datetime(["2024-05-03", "2024-05-03", "2024-03-01"]))
    end = pd.Series(pd.to_datetime(["2024-05-03", "2024-05-07", pd.NaT]))
    counts = calendar.working_days_between(start, end)
    assert counts.tolist()[:2] == [0, 1]  # Friday to Tuesday over the May bank holiday: 1
    assert pd.isna(counts.iloc[2])
    assert np.issubdtype(calendar.holidays.dtype, np.datetime64)
