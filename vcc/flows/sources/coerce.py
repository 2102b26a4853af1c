"""Coercion: give each raw column the type of its canonical kind (``transforms/schema.py``) and list
every value that was present but could not be read, against the raw row it came from.

Timestamps become local wall-clock time (CONTRACT.md §1): naive values are already local, values
with an offset are converted to the source's zone, and both are kept tz-naive. Booleans accept
true/false, 1/0, Y/N and yes/no in any case (CONTRACT.md §2). Empty text is missing, not a problem.

A column may mix date layouts (a system migrated, a spreadsheet edited by hand). With a
``date_format`` configured, a value in that format is read by it, and a value that is not but is
ISO 8601 (``2024-10-05``, ``2024-10-05T09:30``, as workbook cells and canonical text give them) is
read as ISO 8601; anything else is a problem. So ``05/10/2024 09:30`` (with ``%d/%m/%Y %H:%M``) and
``2024-10-05T09:30`` are the same moment, while ``05/10/2024`` without its time, or a US
``10/31/2024 09:30``, is unparseable and its row quarantined: vcc never guesses day-first or
month-first. Without a ``date_format``, only ISO 8601 is read.

Each column is parsed once per distinct value (``pd.factorize``) and the results are spread back
over the rows: a million flags parse as their handful of spellings. The parsing itself is pandas'
vectorised string and date code; no Python loop runs over rows.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

import numpy as np
import pandas as pd

from vcc.flows.config import SourceConfig
from vcc.flows.errors import ConfigError
from vcc.flows.sources import date_text
from vcc.flows.sources.extract import RawTable
from vcc.transforms import schema

DTYPES = {
    "datetime": "datetime64[ns]",
    "bool": "boolean",
    "int": "Int64",
    "float": "Float64",
    "str": "string",
}
REASONS = {
    "datetime": "is not a valid date",
    "bool": "is not a boolean",
    "int": "is not a whole number",
    "float": "is not a number",
    "str": "is not text",  # never raised: any value reads as text
}
# ``why``: for a date, why it did not read (``date_text``: partial, swapped, ...); else blank.
PROBLEM_COLUMNS = ["row", "column", "value", "reason", "why"]
BOOLEANS = {
    **dict.fromkeys(("true", "1", "y", "yes"), True),
    **dict.fromkeys(("false", "0", "n", "no"), False),
}
# An offset after a time of day: Z, +01:00, +0100 or +01. A bare date never carries one, and its
# day ("2024-03-05") must not be mistaken for an offset of -05. ASCII classes, not \d or \s:
# pyarrow's regex engine runs this eight times faster so.
UTC_OFFSET = r"[T ][0-9:.,]+ *(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)$"


def coerce_table(
    raw: RawTable,
    table: schema.Table,
    date_format: str | None = None,
    timezone: str = "Europe/London",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(typed, problems): the table typed by its canonical kinds, with the same index and columns,
    and one problem row (row, column, value, reason, why) per present value that could not be
    read."""
    _check_timezone(timezone)
    typed: dict[str, pd.Series] = {}
    problems = [_empty_problems()]
    for column in table.columns:
        values, unreadable = coerce_column(
            raw.frame[column.name], column.kind, date_format, timezone
        )
        typed[column.name] = values
        why = (
            date_text.why_unreadable(unreadable, date_format)
            if column.kind == "datetime"
            else pd.Series("", index=unreadable.index, dtype="string")
        )
        problems.append(_problems(column.name, unreadable, REASONS[column.kind], why))
    problem_frame = pd.concat(problems, ignore_index=True)
    problem_frame["row"] = problem_frame["row"].astype(raw.frame.index.dtype)
    return pd.DataFrame(typed, index=raw.frame.index), problem_frame


def coerce_source(
    tables: dict[str, RawTable], source: SourceConfig, source_name: str
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Coerce every extracted table of a source, with its date format (the table's, else the
    source's) and the source's time zone."""
    coerced = {}
    for name, raw in tables.items():
        date_format = source.table(name).date_format or source.date_format
        table = schema.CANONICAL[source_name][name]
        coerced[name] = coerce_table(raw, table, date_format, source.timezone)
        _refuse_spoiled_date_columns(f"{source_name}.{name}", raw, table, coerced[name][1])
    return coerced


def _refuse_spoiled_date_columns(
    where: str, raw: RawTable, table: schema.Table, problems: pd.DataFrame
) -> None:
    """A date column whose values are day-and-month swapped, or epoch numbers, throughout is
    refused in one line (``date_text.refuse_systematic``), not quarantined row by row."""
    for column in table.columns:
        if column.kind != "datetime" or problems.empty:
            continue
        mine = problems[problems["column"] == column.name]
        if mine.empty:
            continue
        present = int(_as_text(pd.Index(raw.frame[column.name].dropna())).notna().sum())
        date_text.refuse_systematic(where, column.name, present, mine)


def coerce_column(
    values: pd.Series,
    kind: str,
    date_format: str | None = None,
    timezone: str = "Europe/London",
) -> tuple[pd.Series, pd.Series]:
    """(typed, unreadable): ``values`` typed as ``kind``; the text of each present value that
    could not be read, indexed by its row."""
    codes, distinct = pd.factorize(values)  # missing values (None, NaN, NA, NaT) get code -1
    text = _as_text(distinct)
    parsed = PARSERS[kind](distinct, text, date_format, timezone).astype(DTYPES[kind])
    typed = pd.Series(parsed.array.take(codes, allow_fill=True), index=values.index)
    # One extra False at the end, where code -1 (a missing value) points.
    unreadable_distinct = np.append((text.notna() & parsed.isna()).to_numpy(bool), False)
    rows = unreadable_distinct[codes]
    unreadable = pd.Series(text.array.take(codes[rows]), index=values.index[rows], dtype="string")
    return typed, unreadable


def as_text(values: pd.Series) -> pd.Series:
    """Each value as the text coercion reads it (not yet stripped), missing values missing.
    Coercing this text gives what coercing ``values`` gives: a snapshot stores it."""
    codes, distinct = pd.factorize(values)
    text = _text_values(distinct)
    return pd.Series(text.array.take(codes, allow_fill=True), index=values.index, name=values.name)


def _as_text(distinct: pd.Index) -> pd.Series:
    """Each distinct raw value as text, stripped; blank text is missing."""
    text = _text_values(distinct).str.strip()
    return text.mask(text == "")


def _text_values(distinct: pd.Index) -> pd.Series:
    if distinct.dtype == object and pd.api.types.infer_dtype(distinct) != "string":
        # Mixed values, as XLSX cells and database drivers give them: a few Python objects each.
        return pd.Series([_text_of(value) for value in distinct], dtype="string")
    text = pd.Series(distinct).astype("string")
    if distinct.dtype.kind == "f":
        text = text.str.removesuffix(".0")  # a whole float (1.0, from a column with gaps) is 1
    return text


def _text_of(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _parse_text(
    distinct: pd.Index, text: pd.Series, date_format: str | None, timezone: str
) -> pd.Series:
    return text


def _parse_booleans(
    distinct: pd.Index, text: pd.Series, date_format: str | None, timezone: str
) -> pd.Series:
    return text.str.lower().map(BOOLEANS)


def _parse_numbers(
    distinct: pd.Index, text: pd.Series, date_format: str | None, timezone: str
) -> pd.Series:
    if pd.api.types.is_numeric_dtype(distinct.dtype) and distinct.dtype.kind != "b":
        return pd.Series(distinct, dtype="Float64")
    return pd.to_numeric(text, errors="coerce").astype("Float64")


def _parse_whole_numbers(
    distinct: pd.Index, text: pd.Series, date_format: str | None, timezone: str
) -> pd.Series:
    numbers = _parse_numbers(distinct, text, date_format, timezone)
    return numbers.where((numbers % 1 == 0).fillna(False))  # 12.0 is 12; 12.5 is not whole


def _parse_datetimes(
    distinct: pd.Index, text: pd.Series, date_format: str | None, timezone: str
) -> pd.Series:
    if distinct.dtype.kind == "M":  # naive or tz-aware datetime64
        stamps = pd.Series(distinct)  # typed by Parquet or the database driver
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert(timezone).dt.tz_localize(None)
    else:
        # The source's own format first; canonical ISO 8601 still reads, e.g. from XLSX dates,
        # if it names a day (pandas would read 2026-09 as 1 September) and is as precise as the
        # date_format declares (a time of day, with %H:%M).
        stamps = _strptime(text, date_format, timezone) if date_format else None
        iso = text.notna() if stamps is None else stamps.isna() & text.notna()
        iso &= text.str.contains(date_text.ISO_WITH_DAY, regex=True).fillna(False)
        # A date or datetime object (a workbook cell, a database driver's) is typed already.
        iso &= (date_text.iso_unit(text) >= date_text.declared_unit(date_format)) | _typed(distinct)
        read = _parse_iso(text.where(iso), timezone)
        stamps = read if stamps is None else stamps.where(~iso, read)
    # datetime64[ns] spans 1677-2262: a sentinel such as 9999-12-31 is not a date we can use.
    return stamps.where(stamps.between(pd.Timestamp.min, pd.Timestamp.max))


def _typed(distinct: pd.Index) -> pd.Series:
    """Whether each distinct value is a date or datetime object, not text."""
    if distinct.dtype != object:
        return pd.Series(False, index=range(len(distinct)))
    return pd.Series([isinstance(value, dt.date) for value in distinct])


def _parse_iso(text: pd.Series, timezone: str) -> pd.Series:
    """ISO 8601 with or without a time; values with an offset are converted to local time."""
    with_offset = text.str.contains(UTC_OFFSET, regex=True).fillna(False)
    local = pd.to_datetime(text.where(~with_offset), format="ISO8601", errors="coerce")
    if with_offset.any():
        instants = pd.to_datetime(
            text.where(with_offset), format="ISO8601", utc=True, errors="coerce"
        )
        local = local.where(~with_offset, instants.dt.tz_convert(timezone).dt.tz_localize(None))
    return local


def _strptime(text: pd.Series, date_format: str, timezone: str) -> pd.Series:
    with_offset = "%z" in date_format
    stamps = pd.to_datetime(text, format=date_format, errors="coerce", utc=with_offset)
    return stamps.dt.tz_convert(timezone).dt.tz_localize(None) if with_offset else stamps


Parser = Callable[[pd.Index, pd.Series, str | None, str], pd.Series]
PARSERS: dict[str, Parser] = {
    "datetime": _parse_datetimes,
    "bool": _parse_booleans,
    "int": _parse_whole_numbers,
    "float": _parse_numbers,
    "str": _parse_text,
}


def _problems(column: str, unreadable: pd.Series, reason: str, why: pd.Series) -> pd.DataFrame:
    plain = (why == "") | (why == date_text.NOT_A_DATE)
    told = (": " + why).where(~plain, "")
    return pd.DataFrame(
        {
            "row": unreadable.index,
            "column": column,
            "value": unreadable.to_numpy(),
            "reason": (f"{column}: '" + unreadable + f"' {reason}" + told).to_numpy(),
            "why": why.to_numpy(),
        }
    ).astype({"column": "string", "value": "string", "reason": "string", "why": "string"})


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="string") for name in PROBLEM_COLUMNS})


def _check_timezone(timezone: str) -> None:
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {timezone!r} (use a name such as Europe/London)"
        ) from None
