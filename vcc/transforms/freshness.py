"""Freshness: how recent each table's newest record is at the as-of date.

A table's newest record is the latest row date (``transforms.schema.ROW_DATE``) among its accepted
rows dated on or before the as-of date. A table whose newest record is more than
``STALE_AFTER_DAYS`` days old, or that has none, is *stale*: the figures that read it are likely
incomplete at the end of the quarter (an agency's extract that stopped early, say).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from vcc.transforms.schema import ROW_DATE

STALE_AFTER_DAYS = 14
FRESHNESS_COLUMNS = ["source", "table", "newest_record", "days_before_as_of", "stale"]


def is_stale(days_before_as_of: int | None) -> bool:
    """The freshness rule: a table is stale when nothing in it is dated by the as-of date, or
    its newest record is more than STALE_AFTER_DAYS days before it."""
    return days_before_as_of is None or bool(
        pd.isna(days_before_as_of) or days_before_as_of > STALE_AFTER_DAYS
    )


def freshness(accepted: Mapping[tuple[str, str], pd.DataFrame], as_of: dt.date) -> pd.DataFrame:
    """Per table with a row date, FRESHNESS_COLUMNS: the date of its newest accepted row dated on
    or before ``as_of`` (None when there is none), the days from it to ``as_of``, and whether
    that is more than STALE_AFTER_DAYS (or there is none)."""
    end_of_day = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    rows = []
    for (source, table), frame in accepted.items():
        if table not in ROW_DATE:
            continue  # victims and cases carry no date of their own
        dates = frame[ROW_DATE[table]]
        newest = dates[dates < end_of_day].max()
        if pd.isna(newest):
            rows.append((source, table, None, pd.NA, is_stale(None)))
            continue
        days = (as_of - newest.date()).days
        rows.append((source, table, newest.date(), days, is_stale(days)))
    return pd.DataFrame(rows, columns=FRESHNESS_COLUMNS).astype(
        {"days_before_as_of": "Int64", "stale": "bool"}
    )
