"""Calendar quarters written ``YYYYQn`` (CONTRACT.md §1)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
# Quarters vcc reads: far enough from year 1 and 9999 that trend windows and the next quarter
# (for due dates) remain dates Python can hold.
FIRST_YEAR, LAST_YEAR = 1900, 9000


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _QUARTER.match(text.strip().upper())
        if not match:
            raise ValueError(f"'{text}' is not a quarter: write it as YYYYQn, e.g. 2024Q3")
        year = int(match.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            # 0000Q1 has no calendar; a trend window or the next quarter must stay in one.
            raise ValueError(
                f"'{text}' is not a quarter vcc can report: the year must be between "
                f"{FIRST_YEAR} and {LAST_YEAR}"
            )
        return cls(year, int(match.group(2)))

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def last_complete(cls, today: dt.date) -> Quarter:
        return cls.containing(today).previous()

    def __str__(self) -> str:
        return f"{self.year:04d}Q{self.number}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        return self.next().start - dt.timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)

    def shift(self, quarters: int) -> Quarter:
        index = self.year * 4 + self.number - 1 + quarters
        return Quarter(index // 4, index % 4 + 1)

    def financial_year_label(self) -> str:
        """UK financial year (April to March): 2024Q3 is "2024/25 Q2", 2024Q1 is "2023/24 Q4"."""
        start_year = self.year if self.number > 1 else self.year - 1
        fy_quarter = (self.number + 2) % 4 + 1
        return f"{start_year}/{(start_year + 1) % 100:02d} Q{fy_quarter}"


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    if last < first:
        raise ValueError(f"{last} is before {first}")
    quarters = [first]
    while quarters[-1] < last:
        quarters.append(quarters[-1].next())
    return quarters


def quarter_labels(days: pd.Series) -> pd.Series:
    """The ``YYYYQn`` label of each date, vectorised."""
    return (
        days.dt.year.astype("Int64").astype("string")
        + "Q"
        + days.dt.quarter.astype("Int64").astype("string")
    )


def long_date(day: dt.date) -> str:
    """GOV.UK style: ``15 October 2024`` (no leading zero, no ordinal)."""
    return f"{day.day} {day:%B %Y}"


def unreportable(quarter: Quarter, as_of: dt.date, today: dt.date) -> str | None:
    """Why ``quarter`` cannot be reported with data complete up to ``as_of`` on ``today``, or None.

    The as-of date cannot be after today (no extract is complete up to a day that has not ended),
    and the quarter must have begun by it. A quarter still in progress on the as-of date can be
    reported: its report says it covers part of the quarter (``part_quarter``)."""
    if as_of > today:
        return (
            f"the as-of date {long_date(as_of)} is after today ({long_date(today)}): the data "
            "cannot be complete up to a day that has not ended"
        )
    if quarter.start > as_of:
        return (
            f"{quarter} begins on {long_date(quarter.start)}, after the as-of date "
            f"{long_date(as_of)}: there is nothing to report yet (the last complete quarter is "
            f"{Quarter.last_complete(as_of)})"
        )
    return None


def part_quarter(quarter: Quarter, as_of: dt.date) -> bool:
    """Whether the quarter had not ended on the as-of date."""
    return as_of < quarter.end


LOCAL_TIMEZONE = "Europe/London"  # sources are local wall-clock time (CONTRACT.md §1)


def local_wall_clock(moment: dt.datetime) -> dt.datetime:
    """``moment`` as naive London wall-clock time, the form every typed column holds; a naive
    ``moment`` is taken to be that already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(zoneinfo.ZoneInfo(LOCAL_TIMEZONE)).replace(tzinfo=None)
