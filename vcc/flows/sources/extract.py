"""Extraction: read each canonical table of one source as it arrived (CONTRACT.md §2).

A table comes from a file in the source's folder (CSV, XLSX or Parquet) or from a database table,
view or query. Extraction renames the source's columns onto the canonical ones, keeps only those in
schema order and applies the configured code maps. It interprets nothing else: coercion
(``coerce.py``) types the values and reports each one it cannot read against its raw row.

Files are read by ``files.py``, databases by ``sql.py`` (with the as-of cut of ``cut.py``), and
both are brought to the canonical shape by ``mapping.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from vcc.flows.config import SourceConfig
from vcc.flows.errors import SourceError
from vcc.flows.sources.cut import DateCut, day_after
from vcc.flows.sources.files import read_folder
from vcc.flows.sources.mapping import canonical_frame
from vcc.flows.sources.sql import read_database
from vcc.transforms import schema
from vcc.transforms.quarters import local_wall_clock

# A database that is unavailable for now (SourceUnavailable) is tried again after each of these
# waits, by the flow's extract task and by `vcc validate` alike, then the run fails.
RETRY_DELAYS_SECONDS = (2, 5, 15)


@dataclass
class RawTable:
    """One canonical table as read: canonical columns in schema order, values as they arrived
    (with the configured code maps applied). The index is the row number as read: later stages
    point back at raw rows through it."""

    source: str
    table: str
    frame: pd.DataFrame
    origin: str  # the file read, or "sql table X on <url>" / "sql query on <url>", password masked


def extract_source(
    name: str,
    source: SourceConfig,
    as_of: dt.date | None = None,
    *,
    extracted_at: dt.datetime | None = None,
) -> dict[str, RawTable]:
    """Read every canonical table of source ``name``; an absent optional table has no entry.

    With ``as_of``, a database source leaves in the database the rows that every measure would
    ignore (see ``cut.py``). ``extracted_at`` is the moment the extract is taken, as
    given to validation (default: now); rows dated after it are always read."""
    if name not in schema.CANONICAL:
        raise SourceError(f"source {name}: not a known source ({', '.join(schema.SOURCES)})")
    unknown = sorted(set(source.tables) - set(schema.CANONICAL[name]))
    if unknown:
        raise SourceError(
            f"source {name}: configures table {', '.join(unknown)}, not a table of it"
        )
    tables = list(schema.CANONICAL[name].values())
    if source.kind == "sql":
        moment = extracted_at or dt.datetime.now()
        cut = DateCut(as_of, local_wall_clock(moment), source.timezone) if as_of else None
        as_of_end = day_after(as_of or local_wall_clock(moment).date())
        read = read_database(name, source, tables, cut, as_of_end)
    else:
        read = read_folder(name, source, tables)
    return {
        table.name: RawTable(
            name,
            table.name,
            canonical_frame(name, table, frame, source.table(table.name), origin),
            origin,
        )  # fmt: skip
        for table, frame, origin in read
    }
