"""What a date's text must carry, and why a date that could not be read was not read.

A date or timestamp must name its day (CONTRACT.md §1 works on the local date of every
timestamp): ``2026-09`` and ``2026`` are a month and a year, and pandas' ISO 8601 reader would
take them for 1 September and 1 January. They are quarantined as *partial*, never filled in. A
timestamp column also needs whatever precision its ``date_format`` declares: with
``%d/%m/%Y %H:%M``, an ISO 8601 value that reads in its stead must give the hour and minute too.

Text that cannot be read is explained where the cause can be told from the text: a partial date,
a value that reads only with day and month exchanged, a count of seconds or milliseconds since
1970. When such a cause runs through a column (at least ``SYSTEMATIC_SHARE`` of its values), the
column is wrong as a whole (its other dates, with a day of 12 or less, read as the wrong day), so
the table is refused in one line naming the cause rather than quarantined row by row.
"""

from __future__ import annotations

import re
from typing import Final

import pandas as pd

from vcc.flows.config.date_format import FORMAT_UNITS, UNITS, declared_unit
from vcc.flows.errors import SourceError

# The text names a day: ISO 8601 extended (2026-09-05, 2026-9-5) or basic (20260905), with or
# without a time after it.
ISO_WITH_DAY = r"^[0-9]{4}(?:-[0-9]{1,2}-[0-9]{1,2}|[0-9]{4})(?:[T ]|$)"
# A month or a year alone, in the layouts systems export them: 2026, 2026-09, 2026/9, 09/2026,
# Sep 2026, September-2026.
_PARTIAL = re.compile(
    r"^(?:[0-9]{4}(?:[-/. ][0-9]{1,2})?|[0-9]{1,2}[-/. ][0-9]{4}|[A-Za-z]{3,9}[-/. ,]*[0-9]{4})$"
)
_EPOCH = re.compile(r"^-?[0-9]{9,13}(?:\.0+)?$")
_ISO_PARTS = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(.*)$")
# The time after an ISO 8601 date: hour, then optional minute and second.
_ISO_TIME = re.compile(r"^[0-9]{4}-?[0-9]{1,2}-?[0-9]{1,2}[T ]([0-9]{2})(:?[0-9]{2})?(:?[0-9]{2})?")

SYSTEMATIC_SHARE: Final = 0.25  # of a column's present values; at least SYSTEMATIC_MINIMUM
SYSTEMATIC_MINIMUM: Final = 3

# Why a value did not read; the first words of each are the quarantine reason's.
NOT_A_DATE = "not a date"
PARTIAL = "no day: a month or a year alone is not a date"
SWAPPED = "it reads only with day and month exchanged"
EPOCH = "a number, not a date (seconds or milliseconds since 1970?)"


def iso_unit(text: pd.Series) -> pd.Series:
    """The finest unit each ISO 8601 text gives (an index into UNITS)."""
    parts = text.str.extract(_ISO_TIME)
    return parts.notna().sum(axis=1).astype(int)


def precision_reason(date_format: str, unit: int) -> str:
    """The reason for an ISO 8601 value less precise than ``date_format`` declares."""
    missing = "time of day" if unit == 0 else UNITS[unit + 1]
    return f"no {missing}, which its date_format {date_format!r} gives"


def why_unreadable(text: pd.Series, date_format: str | None) -> pd.Series:
    """For each text that did not read as a date, why (one of the reasons above)."""
    reasons = pd.Series(NOT_A_DATE, index=text.index, dtype="string")
    reasons[text.str.match(_PARTIAL).fillna(False).to_numpy(bool)] = PARTIAL
    reasons[text.str.match(_EPOCH).fillna(False).to_numpy(bool)] = EPOCH
    reasons[_reads_swapped(text, date_format).to_numpy(bool)] = SWAPPED
    if date_format:
        unit = declared_unit(date_format)
        has_day = text.str.contains(ISO_WITH_DAY, regex=True).fillna(False).to_numpy(bool)
        iso = pd.to_datetime(text.where(has_day), format="ISO8601", errors="coerce").notna()
        short = has_day & iso.to_numpy(bool) & (iso_unit(text) < unit).to_numpy(bool)
        for found in sorted(set(iso_unit(text)[short])):
            reasons[short & (iso_unit(text) == found).to_numpy(bool)] = precision_reason(
                date_format, found
            )
        day_only = _day_part(date_format)
        if unit and day_only:
            dated = pd.to_datetime(text, format=day_only, errors="coerce").notna()
            reasons[dated.to_numpy(bool)] = precision_reason(date_format, 0)
    return reasons


def _day_part(date_format: str) -> str | None:
    """``date_format`` up to its time of day (``%d/%m/%Y`` of ``%d/%m/%Y %H:%M``), if it ends
    with one."""
    starts = [date_format.find(code) for code, _ in FORMAT_UNITS if code in date_format]
    day = date_format[: min(starts)].rstrip(" T") if starts else ""
    return day if day and "%z" not in date_format[min(starts) :] else None


def _reads_swapped(text: pd.Series, date_format: str | None) -> pd.Series:
    """Whether each text reads as a date once its day and month are exchanged."""
    iso = text.str.extract(_ISO_PARTS)
    exchanged = (iso[0] + "-" + iso[2] + "-" + iso[1] + iso[3]).where(iso[0].notna())
    swapped = pd.to_datetime(exchanged, format="ISO8601", errors="coerce").notna()
    if date_format and "%d" in date_format and "%m" in date_format:
        other = date_format.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
        swapped |= pd.to_datetime(text, format=other, errors="coerce", utc="%z" in other).notna()
    return swapped


def refuse_systematic(where: str, column: str, present: int, problems: pd.DataFrame) -> None:
    """Refuse the table when a cause that spoils the whole column runs through it: dates with
    day and month exchanged (the ones whose day is 12 or less read as the wrong day), or numbers
    since 1970 (none of the column reads)."""
    for cause, words in (
        (SWAPPED, "read only with day and month exchanged: the column looks {}, so its "
         "dates with a day of 12 or less would read as the wrong day"),
        (EPOCH, "are numbers, not dates ({}): export the column as dates, or as text such as "
         "2024-10-05T09:30"),
    ):  # fmt: skip
        values = problems.loc[problems["why"] == cause, "value"]
        if len(values) >= SYSTEMATIC_MINIMUM and len(values) >= SYSTEMATIC_SHARE * present:
            example = str(values.iloc[0])
            detail = (
                "month-first where day-first is configured, or the reverse"
                if cause == SWAPPED
                else _epoch_reading(example)
            )
            raise SourceError(
                f"{where} {column}: {len(values)} of {present} values such as {example!r} "
                + words.format(detail)
            )


def _epoch_reading(value: str) -> str:
    number = int(float(value))
    unit = "ms" if abs(number) >= 10**11 else "s"
    moment = pd.Timestamp(number, unit=unit)
    since = "milliseconds" if unit == "ms" else "seconds"
    return f"as {since} since 1970 it would be {moment.isoformat(sep=' ')} UTC"
