"""Extraction: read each canonical table of one source as it arrived (CONTRACT.md §2).

A table comes from a file in the source's folder (CSV, XLSX or Parquet) or from a database table,
view or query. Extraction renames the source's columns onto the canonical ones, keeps only those in
schema order and applies the configured code maps. It interprets nothing else: coercion
(``flows/coerce.py``) types the values and reports each one it cannot read against its raw row.

**The as-of cut pushed to the database** (``kind = "sql"``, ``extract_source(..., as_of=D)``).
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

import codecs
import datetime as dt
import glob
import os
import re
import zipfile
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow
import sqlalchemy as sa
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import exc as sa_exc

from flows.config import SourceConfig, TableSource
from flows.errors import SourceError, SourceUnavailable
from transforms import schema

LOCAL_TIMEZONE = "Europe/London"  # the extract moment is compared as London time (validation)

SQL_CHUNK_ROWS = 50_000
# A database that is unavailable for now (SourceUnavailable) is tried again after each of these
# waits, by the flow's extract task and by `vcc validate` alike, then the run fails.
RETRY_DELAYS_SECONDS = (2, 5, 15)
CSV_ERROR_PREFIX = "Error tokenizing data. C error: "
LAST_ROW_BYTES = 1 << 16  # enough for the longest row of any canonical table
FILE_KINDS = (".csv", ".xlsx", ".parquet")
DATE_IN_NAME = re.compile(r"\d{4}-\d{2}-\d{2}")
TRANSIENT_DATABASE_ERRORS = (
    sa_exc.OperationalError,  # refused, timed out, database locked, server gone away
    sa_exc.TimeoutError,  # no pooled connection free in time
    sa_exc.DisconnectionError,
)
BACKGROUND_LINK = re.compile(r"\s*\(Background on this error at: [^)]*\)$")
# sqlite raises these as OperationalError too, but no retry will cure them.
PERMANENT_DATABASE_PROBLEMS = ("no such table", "no such column", "syntax error")


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
    ignore (see the module docstring). ``extracted_at`` is the moment the extract is taken, as
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
        cut = DateCut(as_of, _local_naive(moment), source.timezone) if as_of else None
        as_of_end = _day_after(as_of or _local_naive(moment).date())
        return _extract_database(name, source, tables, cut, as_of_end)
    return _extract_folder(name, source, tables)


# --- files ----------------------------------------------------------------------------------


def _extract_folder(
    name: str, source: SourceConfig, tables: list[schema.Table]
) -> dict[str, RawTable]:
    assert source.path is not None  # SourceConfig guarantees it for kind "files"
    folder = Path(source.path)
    if not folder.is_dir():
        raise SourceError(f"source {name}: folder {folder} does not exist")
    extracted = {}
    for table in tables:
        where = f"source {name}, table {table.name}"
        spec = source.table(table.name)
        path = newest_drop(folder, table.name, spec.file)
        if path is None:
            if table.optional:
                continue
            wanted = spec.file or f"{table.name}.csv, {table.name}.xlsx or {table.name}.parquet"
            raise SourceError(f"{where}: no file {wanted} in {folder}")
        frame = _read_file(path, spec, source, where)
        extracted[table.name] = _canonical(name, table, frame, spec, str(path))
    return extracted


def newest_drop(folder: Path, table: str, pattern: str | None = None) -> Path | None:
    """The file holding ``table``: ``pattern`` (a name or glob) if given, else ``<table>.<ext>``
    or a dated drop ``<table>_YYYY-MM-DD.<ext>``. Of several, the newest drop wins: by the date
    in its name, else by its modification date; then by modification time."""
    if pattern:
        candidates = [Path(p) for p in glob.glob(os.path.join(glob.escape(str(folder)), pattern))]
    else:
        default = re.compile(
            rf"{re.escape(table)}(_\d{{4}}-\d{{2}}-\d{{2}})?\.(csv|xlsx|parquet)", re.IGNORECASE
        )
        candidates = [p for p in folder.iterdir() if default.fullmatch(p.name)]
    return max((p for p in candidates if p.is_file()), key=_drop_order, default=None)


def _drop_order(path: Path) -> tuple[str, float, str]:
    modified = path.stat().st_mtime
    dates = DATE_IN_NAME.findall(path.name)
    day = dates[-1] if dates else dt.date.fromtimestamp(modified).isoformat()
    return day, modified, path.name


def _read_file(path: Path, spec: TableSource, source: SourceConfig, where: str) -> pd.DataFrame:
    kind = path.suffix.lower()
    if kind not in FILE_KINDS:
        raise SourceError(f"{where}: {path} is not a .csv, .xlsx or .parquet file")
    try:
        if kind == ".csv":
            return _read_csv(
                path, spec.encoding or source.encoding, spec.delimiter or source.delimiter, where
            )
        if kind == ".xlsx":
            return _read_xlsx(path, spec.sheet, where)
        return _read_parquet(path, where)
    except PermissionError as error:
        raise SourceError(f"{where}: {path} cannot be read: {error.strerror}") from error


def _read_csv(path: Path, encoding: str, delimiter: str, where: str) -> pd.DataFrame:
    try:
        # Excel writes a byte-order mark before UTF-8 text; utf-8-sig drops it if present.
        if codecs.lookup(encoding).name == "utf-8":
            encoding = "utf-8-sig"
    except LookupError:
        raise SourceError(f"{where}: unknown text encoding {encoding!r}") from None
    try:
        # Every value stays text, and only an empty field is missing: "NA" or "null" may be data.
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding, sep=delimiter
        )
    except UnicodeDecodeError as error:
        shown = encoding.removesuffix("-sig")
        byte = error.object[error.start]
        raise SourceError(
            f"{where}: {path} is not valid {shown} text (byte {byte:#04x})"
        ) from error
    except pd.errors.EmptyDataError:
        raise SourceError(f"{where}: {path} is empty (not even a header line)") from None
    except pd.errors.ParserError as error:
        reason = str(error).strip().splitlines()[-1].removeprefix(CSV_ERROR_PREFIX)
        if reason.startswith("EOF inside string"):
            reason += " (a quoted value is never closed: the file looks cut short)"
        raise SourceError(f"{where}: {path} is not valid CSV: {reason}") from error
    _check_last_row(path, encoding, delimiter, frame.shape[1], where)
    return frame


def _check_last_row(path: Path, encoding: str, delimiter: str, columns: int, where: str) -> None:
    """A file cut short ends part-way through a row, with no line break after it. pandas would
    read that row with its missing fields empty, and the rows cut off would go unnoticed."""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - LAST_ROW_BYTES))
        tail = handle.read().decode(encoding, errors="replace")
    if not tail or tail.endswith(("\n", "\r")):
        return
    last = tail.splitlines()[-1]
    if '"' in last:
        return  # may end a quoted value that began on an earlier line: cannot judge from here
    fields = len(last.split(delimiter))
    if fields < columns:
        raise SourceError(
            f"{where}: {path} ends part-way through a row (its last line has {fields} of "
            f"{columns} fields and no line break): the file looks cut short"
        )


def _read_xlsx(path: Path, sheet: str | None, where: str) -> pd.DataFrame:
    try:
        with pd.ExcelFile(path, engine="openpyxl") as workbook:
            if not workbook.sheet_names:
                raise SourceError(f"{where}: {path} has no sheets")
            if sheet is not None and sheet not in workbook.sheet_names:
                sheets = ", ".join(map(str, workbook.sheet_names))
                raise SourceError(f"{where}: {path} has no sheet {sheet!r} (it has {sheets})")
            name = sheet if sheet is not None else workbook.sheet_names[0]
            frame = pd.read_excel(workbook, name, keep_default_na=False, na_values=[""])
    except (zipfile.BadZipFile, InvalidFileException, KeyError) as error:
        raise SourceError(f"{where}: {path} is not an xlsx workbook") from error
    if frame.shape[1] == 0:
        raise SourceError(f"{where}: {path} sheet {name!r} is empty (not even a header row)")
    return frame


def _read_parquet(path: Path, where: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (pyarrow.ArrowException, ValueError) as error:
        reason = str(error).strip().splitlines()[0]
        raise SourceError(f"{where}: {path} is not a parquet file ({reason})") from error


# --- databases ------------------------------------------------------------------------------


def _extract_database(
    name: str,
    source: SourceConfig,
    tables: list[schema.Table],
    cut: DateCut | None,
    as_of_end: dt.datetime,
) -> dict[str, RawTable]:
    url = _parse_url(name, source.resolved_url(name))
    shown = url.render_as_string(hide_password=True)
    engine = _engine(name, url, shown)
    extracted = {}
    try:
        for table in tables:
            where = f"source {name}, table {table.name}"
            spec = source.table(table.name)
            date_format = spec.date_format or source.date_format
            reading = _Reading(name, table, spec, shown, cut, as_of_end, date_format)
            with _database_errors(where, url):
                frame, origin = _read_database_table(engine, reading)
            if frame is None:
                if table.optional:
                    continue
                raise SourceError(f"{where}: no table or view {origin} in database {shown}")
            extracted[table.name] = _canonical(name, table, frame, spec, origin)
    finally:
        engine.dispose()
    return extracted


def _parse_url(name: str, text: str) -> sa.URL:
    try:
        return sa.make_url(text)
    except sa_exc.ArgumentError:
        # Not parsed, so it cannot be masked: say nothing of its content.
        raise SourceError(
            f"source {name}: the database URL is not a valid SQLAlchemy URL"
        ) from None


def _engine(name: str, url: sa.URL, shown: str) -> sa.Engine:
    database = url.database or ""
    a_sqlite_file = url.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    # sqlite would silently create an empty database where the file is missing.
    if a_sqlite_file and not url.query.get("uri") and not Path(database).is_file():
        raise SourceError(f"source {name}: database file {database} does not exist")
    try:
        engine = sa.create_engine(url)
    except (sa_exc.ArgumentError, ImportError) as error:
        reason = _one_line(error, url.password)
        raise SourceError(f"source {name}: cannot open database {shown}: {reason}") from None
    if engine.dialect.is_async:
        engine.dispose()
        raise SourceError(f"source {name}: {shown} names an asynchronous driver; use a plain one")
    return engine


@dataclass(frozen=True)
class _Reading:
    """What reading one table from a database needs to know."""

    source: str
    table: schema.Table
    spec: TableSource
    shown: str  # the URL with its password masked
    cut: DateCut | None
    as_of_end: dt.datetime  # bound to a query's :as_of_end
    date_format: str | None


def _read_database_table(engine: sa.Engine, reading: _Reading) -> tuple[pd.DataFrame | None, str]:
    """The table, view or query, read in chunks; (None, name) if the table does not exist."""
    table, spec, shown = reading.table, reading.spec, reading.shown
    parameters: dict[str, object] = {}
    with engine.connect() as connection:
        if spec.query:
            query = sa.text(spec.query)
            if "as_of_end" in query.compile().params:
                parameters["as_of_end"] = reading.as_of_end
            statement: sa.Executable = query
            origin = f"sql query on {shown}"
        else:
            schema_name, _, name = (spec.table or table.name).rpartition(".")
            inspector = sa.inspect(connection)
            if not inspector.has_table(name, schema=schema_name or None):
                return None, spec.table or table.name
            selected = sa.table(name, schema=schema_name or None)
            statement = sa.select(sa.text("*")).select_from(selected)
            origin = f"sql table {spec.table or table.name} on {shown}"
            left_out = _cut_clause(connection, inspector, selected, reading)
            if left_out is not None:
                assert reading.cut is not None
                statement = statement.where(sa.not_(left_out))
                origin += f", rows dated after {reading.cut.as_of} left out"
        # Stream where the driver can, so a big table never sits in memory twice.
        connection = connection.execution_options(stream_results=True)
        chunks = pd.read_sql(statement, connection, params=parameters, chunksize=SQL_CHUNK_ROWS)
        return pd.concat(chunks, ignore_index=True), origin


# --- the as-of cut (module docstring) -------------------------------------------------------

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
        return _day_after(self.as_of)

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


def _cut_clause(
    connection: sa.Connection, inspector: sa.Inspector, selected: sa.TableClause, reading: _Reading
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


def _day_after(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def _local_naive(moment: dt.datetime) -> dt.datetime:
    """``moment`` as naive London time, the form validation compares dates with."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(zoneinfo.ZoneInfo(LOCAL_TIMEZONE)).replace(tzinfo=None)


@contextmanager
def _database_errors(where: str, url: sa.URL) -> Iterator[None]:
    """Turn database errors into one line, with a retryable class for transient failures."""
    shown = url.render_as_string(hide_password=True)
    try:
        yield
    except (sa_exc.SQLAlchemyError, pd.errors.DatabaseError) as raised:
        # pandas wraps the SQLAlchemy error of a failed query in its own DatabaseError.
        error = raised.__cause__ if isinstance(raised, pd.errors.DatabaseError) else raised
        reason = _one_line(error or raised, url.password)
        transient = isinstance(error, TRANSIENT_DATABASE_ERRORS) and not any(
            problem in reason.lower() for problem in PERMANENT_DATABASE_PROBLEMS
        )
        if transient:
            raise SourceUnavailable(f"{where}: database {shown} unavailable: {reason}") from raised
        raise SourceError(f"{where}: database {shown}: {reason}") from raised


def _one_line(error: BaseException, password: str | None) -> str:
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    reason = BACKGROUND_LINK.sub("", lines[0]) if lines else type(original).__name__
    return reason.replace(password, "***") if password else reason


# --- the canonical shape --------------------------------------------------------------------


def _canonical(
    source: str, table: schema.Table, frame: pd.DataFrame, spec: TableSource, origin: str
) -> RawTable:
    """Rename onto canonical columns, keep those in schema order, map codes, number the rows."""
    where = f"source {source}, table {table.name}"
    frame = frame.rename(columns=lambda column: str(column).strip()).rename(columns=spec.rename)
    wanted = table.column_names
    # an optional column (CONTRACT.md §6.1) the source does not supply is read as empty
    absent = [c.name for c in table.columns if c.optional and c.name not in frame.columns]
    frame = frame.assign(**dict.fromkeys(absent))
    missing = [column for column in wanted if column not in frame.columns]
    if missing:
        hint = " (only one column was read: check the delimiter)" if frame.shape[1] == 1 else ""
        raise SourceError(f"{where}: {origin} lacks column {', '.join(missing)}{hint}")
    doubled = [column for column in wanted if list(frame.columns).count(column) > 1]
    if doubled:
        raise SourceError(f"{where}: {origin} has more than one column {', '.join(doubled)}")
    unmapped = sorted(set(spec.values) - set(wanted))
    if unmapped:
        raise SourceError(f"{where}: values configured for {', '.join(unmapped)}, not a column")
    frame = frame[wanted].reset_index(drop=True)
    for column, codes in spec.values.items():
        frame[column] = _map_codes(frame[column], codes)
    return RawTable(source, table.name, frame, origin)


def _map_codes(values: pd.Series, codes: dict[str, str]) -> pd.Series:
    """Replace agency codes by canonical ones; other values stay as they arrived."""
    # Codes are text in TOML; compare as text so that a numeric XLSX or SQL code 1 matches "1".
    as_text = values.astype("string").str.strip()
    return as_text.map(codes).where(as_text.isin(list(codes)), values)
