"""Which measures the data cannot support (CONTRACT.md §6.1).

A measure whose optional data is wholly absent from the extract is *not supported by the data*:
it has no instances and no rows in ``metrics.csv``, never a rate of 0%. A catalogue entry names
what it needs in ``requires``:

- ``"source.table"``: the table is supplied (``R10-PROPERTY``, ``R10-EXPENSES``);
- ``"source.table.column"``: some row of the table dated on or before the as-of date has a value
  in the column (``R1-INTERPRET``: ``interpreter_needed``);
- ``"source.table.column=value"``: some such row has that value (``R5-COMPENSATION``: a
  ``compensation_information`` contact).

Rows dated after the as-of date are ignored here as everywhere (CONTRACT.md §1), so that a rerun
with an earlier as-of date decides as it would have on that day.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from vcc.transforms.catalogue import Catalogue
from vcc.transforms.figures import Tables
from vcc.transforms.matching import local_date
from vcc.transforms.schema import ROW_DATE

_SOURCE_WORDS = {"cps": "CPS"}


def _dated_by(frame: pd.DataFrame, table: str, as_of: dt.date) -> pd.DataFrame:
    if table not in ROW_DATE:
        return frame
    return frame[local_date(frame[ROW_DATE[table]]) <= pd.Timestamp(as_of)]


def is_supplied(requirement: str, tables: Tables, as_of: dt.date) -> bool:
    """Whether the data holds what ``requirement`` names (see the module docstring)."""
    name, _, value = requirement.partition("=")
    source, table, *column = name.split(".")
    frame = tables.get((source, table))
    if frame is None:
        return False
    if not column:
        return True
    if column[0] not in frame:
        return False
    values = _dated_by(frame, table, as_of)[column[0]]
    if value:
        return bool((values.astype("string") == value).fillna(False).any())
    return bool(values.notna().any())


def requirement_words(requirement: str) -> str:
    """What the data lacked, for the report: e.g. "no police property table was supplied"."""
    name, _, value = requirement.partition("=")
    source, table, *column = name.split(".")
    where = f"{_SOURCE_WORDS.get(source, source)} {table.replace('_', ' ')}"
    if not column:
        return f"no {where} table was supplied"
    field = column[0].replace("_", " ")  # in words for the report: "interpreter needed"
    if value:
        return f"no {where} row has {field} {value.replace('_', ' ')}"
    return f"no {where} row records {field}"


def unsupported_measures(catalogue: Catalogue, tables: Tables, as_of: dt.date) -> list[str]:
    """The catalogue's measures whose required data is absent, in catalogue order."""
    return [
        measure.measure_id
        for measure in catalogue.measures
        if not all(is_supplied(need, tables, as_of) for need in measure.requires)
    ]
