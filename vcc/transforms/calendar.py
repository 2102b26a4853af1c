"""Working days for England and Wales, vectorised.

A working day is Monday to Friday and not an England and Wales bank holiday, one-off holidays
included (the 2022 Platinum Jubilee and State Funeral, the 2023 Coronation), plus any extra dates
an area configures. Bank holidays come from the maintained ``holidays`` package.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

FIRST_YEAR = 2010
LAST_YEAR = 2040


@lru_cache(maxsize=8)
def _bank_holidays(extra: tuple[dt.date, ...]) -> np.ndarray:
    england = holidays.country_holidays("GB", subdiv="ENG", years=range(FIRST_YEAR, LAST_YEAR + 1))
    days = sorted({*england.keys(), *extra})
    return np.array(days, dtype="datetime64[D]")


class WorkingDayCalendar:
    """England and Wales working days, with the configured extra non-working dates."""

    def __init__(self, extra_holidays: Iterable[dt.date] = ()) -> None:
        self.holidays = _bank_holidays(tuple(sorted(extra_holidays)))
        self._busdays = np.busdaycalendar(weekmask="1111100", holidays=self.holidays)

    def due_dates(self, trigger: pd.Series, working_days: pd.Series | int) -> pd.Series:
        """The N-th working day strictly after each trigger date (CONTRACT.md §1).

        Rolling a non-working trigger back to the previous working day first makes a Saturday
        trigger with N=1 fall due on Monday, as the contract's examples require.
        """
        days = trigger.to_numpy(dtype="datetime64[D]")
        offsets = np.broadcast_to(np.asarray(working_days, dtype="int64"), days.shape)
        missing = np.isnat(days)
        safe = np.where(missing, np.datetime64("2000-01-03"), days)
        due = np.busday_offset(safe, offsets, roll="backward", busdaycal=self._busdays)
        due = np.where(missing, np.datetime64("NaT"), due).astype("datetime64[s]")
        return pd.Series(due, index=trigger.index, name="due_date")

    def working_days_between(self, start: pd.Series, end: pd.Series) -> pd.Series:
        """Working days after ``start`` up to and including ``end`` (0 when on the same day)."""
        first = start.to_numpy(dtype="datetime64[D]")
        last = end.to_numpy(dtype="datetime64[D]")
        missing = np.isnat(first) | np.isnat(last)
        safe_first = np.where(missing, np.datetime64("2000-01-03"), first) + 1
        safe_last = np.where(missing, np.datetime64("2000-01-03"), last) + 1
        counts = np.busday_count(safe_first, safe_last, busdaycal=self._busdays)
        result = pd.Series(counts, index=start.index, dtype="Int64")
        return result.mask(missing)

    def is_working_day(self, day: dt.date) -> bool:
        return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=self._busdays))
