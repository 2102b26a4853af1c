"""The as-of cut pushed to the database (``kind = "sql"``, ``extract_source(..., as_of=D)``).

Every measure ignores rows dated after the as-of date D (CONTRACT.md §1), so a rerun with an
earlier D need not read them. Only the upper bound is pushed: actions dated before a trend window
still count (R7-VPS takes a VPS offer at any date), so no lower bound is. A row is left in the
database only when leaving it out changes nothing that is computed from the rows that are read:

- only tables that no other table links to and that have no unique key are cut:
  ``needs_assessments``, ``referrals``, ``investigation_events``, ``victim_contacts``,
  ``vps_offers``, ``decisions``, ``vcl_letters``, ``outcomes`` and ``release_notifications``.
  Crimes, victims and CPS cases are read whole, since a row that links to a crime or case left
  out would become a linkage failure; keyed tables (complaints, hearings, VCS referrals) are read
  whole, since leaving out the first row with a key would promote a later duplicate;
- a row is left out only when *every* date a measure triggers on is after D (``ROW_DATE``;
  for ``outcomes`` both ``received_at``, R9-OUTCOME's trigger, and ``outcome_at``, R11-REFER's);
- and only when that date is **not after the moment the extract was taken**: a date in the future
  is a recording error that validation quarantines, and the cut does not hide it.
- A date column of a real date or time type (PostgreSQL, MariaDB) is compared exactly with the
  first instant after D and with the extract moment (``timestamptz`` in the source's time zone).
  A text column (SQLite, or text in any database) is cut only when it starts with an ISO
  ``YYYY-MM-DD`` date at least three days after D and at least three days before the day of the
  extract, a margin that covers any UTC offset written after the time; text in another configured
  ``date_format`` is not cut. Empty dates, and text that does not start with such a date, are
  always read, so they are quarantined as before. (Text that starts with a date three days after D
  but cannot be read as a whole, such as ``2024-10-05Tlate``, is taken as dated after D.)

So every row that is read gets the same verdict and every figure is the same as without the cut.
What a cut run does not see is the defects of rows it leaves out (rows dated after D): the run
whose as-of date covers them reports them. With D on or after the day of the extract (the default)
nothing is cut. Files are always read whole.

A table configured as a ``query`` is run as written: the query may compare its own date column
with the bind parameter ``:as_of_end``, the first instant after D (naive local time; with no
``as_of``, the end of the day of the extract). Use it only on the tables listed above, and keep
rows whose date is empty (``WHERE offered_at < :as_of_end OR offered_at IS NULL``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from vcc.transforms import schema

if TYPE_CHECKING:
    from vcc.flows.sources.sql import TableReading


ISO_DATE_PREFIX = "^[0-9]{4}-[0-9]{2}-[0-9]{2}"
SQLITE_ISO_DATE_PREFIX = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*"
TEXT_DIALECTS = ("sqlite", "postgresql", "mysql", "mariadb")
# Days of margin for dates read as text: an offset written after the time (UTC-12 to UTC+14) and
# the source's own zone move a moment by up to 26 hours, so its local date may be two days off the
# date written.
TEXT_MARGIN_AFTER_AS_OF = dt.timedelta(days=3)
TEXT_MARGIN_BEFORE_EXTRACT = dt.timedelta(days=3)
# The dates a measure triggers on, where a table has more than its ROW_DATE.
TRIGGER_DATES: dict[str, tuple[str, ...]] = {"outcomes": ("received_at", "outcome_at")}


@dataclass(frozen=True)
class DateCut:
    """Rows dated after ``as_of`` but not after ``extracted_at`` are left in the database."""

    as_of: dt.date
    extracted_at: dt.datetime  # naive, London time, as validation compares it
    timezone: str  # the source's zone: naive times in it are local

    @property
    def as_of_end(self) -> dt.datetime:
        return day_after(self.as_of)

    def aware(self, moment: dt.datetime, *, latest: bool) -> dt.datetime:
        """A naive local time in the source's zone as an instant; of its two readings in the
        hour the clocks go back, the latest or the earliest (whichever narrows the cut)."""
        zone = zoneinfo.ZoneInfo(self.timezone)
        # Compared in UTC: aware times in one zone compare by their wall clock, fold ignored.
        readings = [moment.replace(tzinfo=zone, fold=fold).astimezone(dt.UTC) for fold in (0, 1)]
        return max(readings) if latest else min(readings)


def cut_tables(source: str) -> dict[str, tuple[str, ...]]:
    """The tables of ``source`` that the as-of cut may shorten, with the dates it looks at."""
    parents = {(parent[0], parent[1]) for _, parent in schema.LINKS}
    return {
        name: TRIGGER_DATES.get(name, (schema.ROW_DATE[name],))
        for name, table in schema.CANONICAL[source].items()
        if name in schema.ROW_DATE and table.key is None and (source, name) not in parents
    }


def cut_clause(
    connection: sa.Connection,
    inspector: sa.Inspector,
    selected: sa.TableClause,
    reading: TableReading,
) -> sa.ColumnElement[bool] | None:
    """The condition that holds for the rows to leave out, or None when nothing may be left out."""
    cut = reading.cut
    if cut is None or cut.as_of_end > cut.extracted_at:
        return None
    dates = cut_tables(reading.source).get(reading.table.name)
    if not dates or any(column in reading.spec.values for column in dates):
        return None
    reflected = inspector.get_columns(selected.name, schema=selected.schema)
    dialect = connection.dialect.name
    conditions = []
    for canonical in dates:
        names = [
            column for column in reflected
            if reading.spec.rename.get(column["name"].strip(), column["name"].strip()) == canonical
        ]  # fmt: skip
        if len(names) != 1:
            return None  # missing or doubled: extraction reports it, from the whole table
        condition = _dated_after_as_of(
            sa.column(names[0]["name"]), names[0]["type"], dialect, cut, reading.date_format
        )
        if condition is None:
            return None
        conditions.append(condition)
    return sa.and_(*conditions)


def _dated_after_as_of(
    column: sa.ColumnClause, kind: object, dialect: str, cut: DateCut, date_format: str | None
) -> sa.ColumnElement[bool] | None:
    """True for a value surely dated after the as-of date and not after the extract; None when
    the column's type gives no such certainty."""
    if dialect != "sqlite" and isinstance(kind, sa.DateTime):
        low, high = cut.as_of_end, cut.extracted_at
        if kind.timezone:
            low, high = cut.aware(low, latest=True), cut.aware(high, latest=False)
        return sa.and_(column.is_not(None), column >= low, column <= high)
    if dialect != "sqlite" and isinstance(kind, sa.Date):
        low_day, high_day = cut.as_of_end.date(), cut.extracted_at.date()
        return sa.and_(column.is_not(None), column >= low_day, column <= high_day)
    text = dialect == "sqlite" or isinstance(kind, sa.String)
    if not text or dialect not in TEXT_DIALECTS:
        return None
    if date_format and not date_format.startswith("%Y-%m-%d"):
        return None  # another layout: its text does not sort by date
    first = (cut.as_of + TEXT_MARGIN_AFTER_AS_OF).isoformat()
    last = (cut.extracted_at.date() - TEXT_MARGIN_BEFORE_EXTRACT).isoformat()
    if first > last:
        return None
    shaped: sa.ColumnElement[bool]
    if dialect == "sqlite":
        shaped = column.op("GLOB")(SQLITE_ISO_DATE_PREFIX)
    else:
        shaped = column.regexp_match(ISO_DATE_PREFIX)
    # Ten characters of one shape (digits and hyphens) sort as dates in any collation.
    day = sa.func.substr(column, 1, 10)
    return sa.and_(  # cheapest first: most rows fail the first comparison of days
        column.is_not(None),
        day >= first,
        day <= last,
        shaped,
        sa.func.substr(column, 6, 2).between("01", "12"),
        sa.func.substr(column, 9, 2).between("01", "31"),
    )


def day_after(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
