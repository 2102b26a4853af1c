"""Calendar quarters written ``YYYYQn`` (CONTRACT.md §1)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _QUARTER.match(text.strip().upper())
        if not match:
            raise ValueError(f"'{text}' is not a quarter: write it as YYYYQn, e.g. 2024Q3")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def last_complete(cls, today: dt.date) -> Quarter:
        return cls.containing(today).previous()

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

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
